"""Each customer's sample data, derived from the seed and whatever ``x-source-customer-id`` arrives.

- Offers: 60 catalog ads (40 running, 4 upcoming, 10 ended within 120 days, 6 ended long ago) in
  a customer-specific ranking; about a third ACTIVATED, some SERVED, the rest NEW; ~10% PARKED;
  AUTO_ACTIVATED ads start ACTIVATED. ``no-user-available`` gets only the 6-ad welcome basket.
- Linking: three in four customer ids have a linked card (decided by the id alone, not the seed),
  with one or two accounts; the others have none until they start a link. The sample ids
  ``customer-linked`` and ``customer-unlinked`` (raw, or as the gateway sends them: HMAC-SHA-256
  with the sandbox key) are always linked and never linked, so docs and tests can rely on them.
- History (linked customers only): a purchase and a redemption on up to four activated offers
  (settled three days after the purchase, so recent ones are still pending; single-use offers then
  read FULLY_REDEEMED, pending ones PROCESSING), and up to two more purchases on activated offers
  that earned nothing: the "missing reward" a support ticket is about; and, when an offer allows,
  one purchase just below an activated offer's minimum spend (not eligible).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from gateway.sandbox.cardlytics.catalog import WINDOWS, Catalog
from gateway.sandbox.cardlytics.model import (
    Account,
    AccountLink,
    AdSpec,
    AdState,
    Customer,
    Redemption,
    Transaction,
    cents,
)
from gateway.sandbox.cardlytics.vocab import (
    ACTIVATED,
    ACTIVATION_STATES,
    ANONYMOUS,
    AUTO_ACTIVATED,
    FULLY_REDEEMED,
    NEW,
    PARKED,
    PROCESSING,
    VISIBLE,
)
from gateway.settings import SANDBOX_DEFAULTS

__all__ = [
    "LINKED",
    "LINKED_RAW_ID",
    "LINKING_INITIATED",
    "UNENROLLED_RAW_ID",
    "UNLINKED_RAW_ID",
    "build_customer",
    "cardlytics_customer_id",
    "digits",
    "is_linked",
    "new_id",
    "sample_id",
    "sample_unenrolled_ids",
]

LINKED = "Linked"
LINKING_INITIATED = "LinkingInitiated"
#: A raw customer id that is not enrolled; the gateway sends its HMAC (sandbox key).
UNENROLLED_RAW_ID = "customer-not-enrolled"
LINKED_RAW_ID = "customer-linked"
UNLINKED_RAW_ID = "customer-unlinked"

_DAY = timedelta(days=1)
_REWARDED, _UNREWARDED = 4, 2
_SETTLEMENT_DELAY = 3 * _DAY
_SMALL_SPEND_GAP = Decimal("1.00")


def sample_id(raw_id: str) -> str:
    """``raw_id`` as the gateway sends it in sandbox mode: HMAC-SHA-256 hex, sandbox key."""
    key = SANDBOX_DEFAULTS.customer_id_hmac_key.encode()
    return hmac.new(key, raw_id.encode(), hashlib.sha256).hexdigest()


def sample_unenrolled_ids() -> frozenset[str]:
    return frozenset({UNENROLLED_RAW_ID, sample_id(UNENROLLED_RAW_ID)})


@cache
def _fixed_links() -> dict[str, bool]:
    fixed = {LINKED_RAW_ID: True, UNLINKED_RAW_ID: False}
    return fixed | {sample_id(raw): linked for raw, linked in fixed.items()}


def cardlytics_customer_id(customer_id: str) -> str:
    """Cardlytics' own id for a customer: institution 7094 + ten digits, as in seed 000."""
    digest = hashlib.sha256(f"customer:{customer_id}".encode()).hexdigest()
    return f"7094{int(digest[:12], 16) % 10**10:010d}"


def is_linked(customer_id: str) -> bool:
    if customer_id == ANONYMOUS:
        return False
    if customer_id in _fixed_links():
        return _fixed_links()[customer_id]
    return int(hashlib.sha256(f"link:{customer_id}".encode()).hexdigest()[:8], 16) % 4 != 0


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_customer(seed: int, customer_id: str, catalog: Catalog, anchor: datetime) -> Customer:
    rng = random.Random(f"{seed}:customer:{customer_id}")
    created = anchor - rng.randint(900, 1500) * _DAY
    cardlytics_id = cardlytics_customer_id(customer_id)
    if customer_id == ANONYMOUS:
        welcome = {ad_id: AdState(NEW) for ad_id in catalog.welcome}
        return Customer(customer_id, cardlytics_id, created, welcome)
    ad_ids = [
        i for window, (_, n) in WINDOWS.items() for i in rng.sample(catalog.by_window[window], n)
    ]
    rng.shuffle(ad_ids)
    ads = {ad_id: _initial_state(rng, catalog.ads[ad_id], anchor) for ad_id in ad_ids}
    customer = Customer(customer_id, cardlytics_id, created, ads)
    if is_linked(customer_id):
        link = _sample_link(rng, created)
        customer.links[link.link_id] = link
        _sample_history(rng, customer, catalog, anchor)
    return customer


def _initial_state(rng: random.Random, spec: AdSpec, anchor: datetime) -> AdState:
    visibility = PARKED if rng.random() < 0.1 else VISIBLE
    if spec.start > anchor:
        return AdState(NEW, visibility)
    if spec.reward.activation_model == AUTO_ACTIVATED:
        return AdState(ACTIVATED, visibility, activated_at=spec.start)
    activation = rng.choices(ACTIVATION_STATES, weights=(5, 3, 4))[0]
    if activation != ACTIVATED:
        return AdState(activation, visibility)
    return AdState(
        activation, visibility, activated_at=_between(rng, spec.start, min(spec.end, anchor))
    )


def _sample_link(rng: random.Random, created: datetime) -> AccountLink:
    opened = created + rng.randint(1, 30) * _DAY
    accounts = [
        Account(
            account_id=new_id(rng),
            card_type=rng.choice(("CREDIT", "DEBIT")),
            last4=f"{rng.randrange(10000):04d}",
            iin=rng.choice(("411111", "424242", "510510", "555555")),
            opened=opened,
        )
        for _ in range(rng.randint(1, 2))
    ]
    return AccountLink(new_id(rng), LINKED, "PLAID_HOSTED", opened, accounts)


def _sample_history(
    rng: random.Random, customer: Customer, catalog: Catalog, anchor: datetime
) -> None:
    activated = [
        (catalog.ads[ad_id], state)
        for ad_id, state in customer.ads.items()
        if state.activated_at is not None and catalog.ads[ad_id].start < anchor
    ]
    for n, (spec, state) in enumerate(activated[: _REWARDED + _UNREWARDED]):
        assert state.activated_at is not None
        latest = max(state.activated_at, min(spec.end, anchor - _DAY))
        spend = _spend(rng, spec)
        account = rng.choice(customer.accounts)
        bought = _between(rng, state.activated_at, latest)
        txn = Transaction(digits(rng, 10), spec.ad_id, account.account_id, spend, bought)
        customer.transactions[txn.transaction_id] = txn
        if n < _REWARDED:
            redemption = _redemption(rng, customer, spec, txn, anchor)
            customer.redemptions.append(redemption)
            single_use = not spec.reward.multi_redemption
            state.redemption = (
                PROCESSING if redemption.pending else FULLY_REDEEMED if single_use else None
            )
    customer.redemptions.sort(key=lambda r: r.date)
    below_minimum = [
        (spec, state)
        for spec, state in activated[_REWARDED + _UNREWARDED :]
        if not spec.reward.metered and spec.reward.min_spend >= _SMALL_SPEND_GAP * 5
    ]
    if below_minimum:
        spec, state = below_minimum[0]
        assert state.activated_at is not None
        bought = _between(rng, state.activated_at, max(state.activated_at, anchor - _DAY))
        spend = spec.reward.min_spend - _SMALL_SPEND_GAP
        account = rng.choice(customer.accounts)
        txn = Transaction(digits(rng, 10), spec.ad_id, account.account_id, spend, bought)
        customer.transactions[txn.transaction_id] = txn


def _redemption(
    rng: random.Random, customer: Customer, spec: AdSpec, txn: Transaction, anchor: datetime
) -> Redemption:
    redeemed = txn.date + timedelta(hours=12)
    settled = redeemed + _SETTLEMENT_DELAY
    return Redemption(
        redemption_id=digits(rng, 9),
        ad_id=spec.ad_id,
        customer_id=customer.customer_id,
        account_id=txn.account_id,
        transaction_id=txn.transaction_id,
        amount=spec.reward.earned(txn.amount),
        transaction_amount=txn.amount,
        date=redeemed,
        settled_at=settled if settled <= anchor else None,
    )


def _spend(rng: random.Random, spec: AdSpec) -> Decimal:
    low = max(int(spec.reward.min_spend * 100), 500)
    return cents(Decimal(rng.randint(low, low * 4)) / 100)


def digits(rng: random.Random, length: int) -> str:
    return str(rng.randrange(10 ** (length - 1) + 10 ** (length - 2), 2 * 10 ** (length - 1)))


def _between(rng: random.Random, first: datetime, last: datetime) -> datetime:
    seconds = max(0, int((last - first).total_seconds()))
    return first + timedelta(seconds=rng.randint(0, seconds))
