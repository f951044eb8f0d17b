"""The ads every customer's offers are drawn from: fixed for a seed and a day.

Dates are relative to ``anchor`` (midnight UTC of the day the simulator started or was reset), so
the mix of running, upcoming and ended ads stays the same whenever it runs. Each ad falls in one
date window; ``WINDOWS`` says how many the catalog has and how many each customer gets.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from gateway.sandbox.cardlytics.model import AdSpec, Category, Reward
from gateway.sandbox.cardlytics.vocab import ACTIVATABLE, AUTO_ACTIVATED

__all__ = ["CATEGORIES", "CURATIONS", "LOGO_BASE_URL", "WINDOWS", "Catalog", "build_catalog"]

# Food and Other carry the ids the seed's getAds sample gives them.
CATEGORIES = tuple(
    Category(id_, name)
    for id_, name in (
        ("1", "Entertainment"),
        ("2", "Food"),
        ("3", "Retail"),
        ("4", "Services"),
        ("5", "Travel"),
        ("6", "Other"),
    )
)
_MERCHANTS = {
    "1": ("Starlight Cinemas", "Arcade Alley", "Encore Tickets", "StreamBox", "Bowl-a-Rama"),
    "2": ("Bella Pasta", "Green Bowl Salads", "Morning Brew Coffee", "Taco Fiesta", "Sushi Wave"),
    "3": ("Urban Threads", "Gadget Garage", "Book Nook", "Home & Hearth", "Pet Palace"),
    "4": ("Sparkle Car Wash", "QuickFix Repair", "FreshPress Laundry", "FitLife Gym", "ClearView"),
    "5": ("SkyHigh Airlines", "Coastal Inns", "RoadRunner Rentals", "Metro Rail", "Summit Lodges"),
    "6": ("CDLX - US Test Account 1", "Corner Market", "Fuel Stop", "Gift Hub", "Flower Corner"),
}
# Merchants whose purchases are of a documented special type.
_PURCHASES = {
    "Fuel Stop": (("PayAtPump", "InStore"), ("Fuel",)),
    "StreamBox": (("Online", "App"), ("Subscription",)),
    "FitLife Gym": (("InStore", "App"), ("Membership",)),
}
_CHANNELS = (("Online", "InStore"), ("InStore",), ("Online",), ("Online", "InStore", "App"))
_CATEGORY_SECTION = {
    "1": "EntertainmentCategory",
    "2": "FoodCategory",
    "3": "RetailCategory",
    "4": "ServicesCategory",
    "5": "TravelCategory",
}
_EXTRA_SECTIONS = ("FeaturedOffers", "Dashboard", "Summary", "Transaction", "Email", "Map")
CURATIONS = {"101": "Featured", "102": "Seasonal", "103": "Local favourites"}
LOGO_BASE_URL = "https://cdn.example.com/cardlytics/images/non-annotated-logo"

# window -> (ads in the catalog, ads each customer gets)
WINDOWS = {"current": (60, 40), "upcoming": (6, 4), "recent": (15, 10), "old": (9, 6)}
WELCOME_BASKET_SIZE = 6

_DAY = timedelta(days=1)
_LAST_SECOND = timedelta(hours=23, minutes=59, seconds=59)


@dataclass(frozen=True)
class Catalog:
    ads: dict[str, AdSpec]
    by_window: dict[str, tuple[str, ...]]
    welcome: tuple[str, ...]  # the welcome basket, for ``no-user-available`` only


def build_catalog(seed: int, anchor: datetime) -> Catalog:
    rng = random.Random(f"{seed}:catalog")
    ads: dict[str, AdSpec] = {}
    by_window: dict[str, tuple[str, ...]] = {}
    index = 0
    for window, (size, _) in WINDOWS.items():
        ids = []
        for _ in range(size):
            ad_id = f"{1000050000 + index * 100 + rng.randrange(100)}"
            ads[ad_id] = _ad(rng, seed, ad_id, index, _dates(rng, window, anchor))
            ids.append(ad_id)
            index += 1
        by_window[window] = tuple(ids)
    welcome = []
    for n in range(WELCOME_BASKET_SIZE):
        ad_id = f"{1000090000 + n * 100 + rng.randrange(100)}"
        ads[ad_id] = _ad(rng, seed, ad_id, n, _dates(rng, "current", anchor), welcome=True)
        welcome.append(ad_id)
    return Catalog(ads, by_window, tuple(welcome))


def _ad(
    rng: random.Random,
    seed: int,
    ad_id: str,
    index: int,
    dates: tuple[datetime, datetime, bool],
    welcome: bool = False,
) -> AdSpec:
    category = CATEGORIES[index % len(CATEGORIES)]
    merchant = _MERCHANTS[category.id][(index // len(CATEGORIES)) % 5]
    start, end, expiring_soon = dates
    sections = ["Landing", "LatestOffers", *rng.sample(_EXTRA_SECTIONS, k=rng.randint(0, 2))]
    if category.id in _CATEGORY_SECTION:
        sections.append(_CATEGORY_SECTION[category.id])
    if expiring_soon:
        sections.append("ExpiringSoon")
    affiliate = not welcome and rng.random() < 0.1
    return AdSpec(
        ad_id=ad_id,
        merchant=merchant,
        category=category,
        sections=tuple(sections),
        curation_ids=(rng.choice(list(CURATIONS)),) if rng.random() < 0.3 else (),
        reward=_reward(rng, merchant, affiliate=affiliate, welcome=welcome),
        start=start,
        end=end,
        affiliate=affiliate,
        logo_keys=(_logo_key(seed, ad_id, "large"), _logo_key(seed, ad_id, "small")),
    )


def _reward(rng: random.Random, merchant: str, *, affiliate: bool, welcome: bool) -> Reward:
    kind = rng.choices(("PERCENT", "FIXED", "METERED"), weights=(6, 3, 1))[0]
    if kind == "PERCENT":
        amount = rng.choice(("2", "3", "5", "7.5", "10", "15"))
        max_amount, min_spend = rng.choice(("10", "20", "30", "50")), rng.choice(("0.2", "5", "10"))
    elif kind == "FIXED":
        amount = max_amount = rng.choice(("5", "10", "15", "20", "25"))
        min_spend = rng.choice(("20", "25", "40", "50", "75"))
    else:
        amount = max_amount = rng.choice(("10", "15", "25"))
        min_spend = rng.choice(("100", "150", "200"))
    channels, purchase_types = _PURCHASES.get(merchant, (rng.choice(_CHANNELS), ()))
    auto = not welcome and rng.random() < 0.15
    return Reward(
        reward_type=f"{kind}_AMOUNT_PURCHASE",
        amount=Decimal(amount),
        max_amount=Decimal(max_amount),
        multi_redemption=kind != "METERED" and rng.random() < 0.2,
        min_spend=Decimal(min_spend),
        channels=channels,
        purchase_types=purchase_types,
        url_click_required=affiliate,
        activation_model=AUTO_ACTIVATED if auto else ACTIVATABLE,
    )


def _dates(rng: random.Random, window: str, anchor: datetime) -> tuple[datetime, datetime, bool]:
    """(start, end, whether it ends within two weeks) of an ad in ``window``."""
    length = rng.randint(30, 120) * _DAY
    if window == "current":
        start = anchor - rng.randint(1, 90) * _DAY
        end = anchor + rng.randint(3, 120) * _DAY + _LAST_SECOND
    elif window == "upcoming":
        start = anchor + rng.randint(2, 14) * _DAY
        end = start + length + _LAST_SECOND
    else:  # ended: within the 120-day lookback, or long before it
        days_ago = rng.randint(1, 100) if window == "recent" else rng.randint(150, 400)
        end = anchor - days_ago * _DAY + _LAST_SECOND
        start = end - _LAST_SECOND - length
    return start, end, window == "current" and end - anchor < 14 * _DAY


def _logo_key(seed: int, ad_id: str, size: str) -> str:
    return hashlib.sha256(f"{seed}:{ad_id}:{size}".encode()).hexdigest()[:32]
