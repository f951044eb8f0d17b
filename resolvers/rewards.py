"""Rewards: what the customer earned, the totals, and the currency they are in.

Cardlytics' reward amounts carry no currency: it is the customer's portfolio's
``rewardCurrencyUnit`` (from the profile), read at most once per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.context import Context
from gateway.upstreams.cardlytics.models import AdRedemptions, Redemption, RewardSummary
from resolvers.offers import DEFAULT_CHANNEL, OfferView, load_offer_view
from resolvers.viewer import require_customer

__all__ = [
    "UNKNOWN_CURRENCY",
    "RewardsData",
    "load_redemptions",
    "load_reward_currency",
    "load_reward_summary",
    "reward_offer",
]

#: ISO 4217's code for "no currency": shown when the profile names none, rather than guessing.
UNKNOWN_CURRENCY = "XXX"

T = TypeVar("T")


class Once(Generic[T]):
    """One upstream read per request, shared by every field that needs it (single flight)."""

    def __init__(self, fetch: Callable[[], Awaitable[T]]) -> None:
        self._fetch = fetch
        self._task: asyncio.Task[T] | None = None

    def get(self) -> Awaitable[T]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._fetch())
        return self._task


def _currency_once(context: Context) -> Once[str]:
    async def fetch() -> str:
        customer = await context.upstreams.cardlytics.profile.customer(context.customer_id)
        return customer.reward_currency or UNKNOWN_CURRENCY

    return Once(fetch)


def _redemptions_once(context: Context) -> Once[AdRedemptions]:
    return Once(lambda: context.upstreams.cardlytics.profile.ad_redemptions(context.customer_id))


def _summary_once(context: Context) -> Once[RewardSummary]:
    return Once(lambda: context.upstreams.cardlytics.profile.reward_summary(context.customer_id))


async def load_reward_currency(context: Context) -> str:
    require_customer(context)
    return await context.loader(_currency_once).get()


@dataclass(frozen=True)
class RewardsData:
    redemptions: AdRedemptions
    currency: str


async def load_redemptions(context: Context) -> RewardsData:
    """The customer's redemptions (reversals included) and their currency, fetched together."""
    require_customer(context)  # before any upstream call
    redemptions, currency = await asyncio.gather(
        context.loader(_redemptions_once).get(), context.loader(_currency_once).get()
    )
    return RewardsData(redemptions=redemptions, currency=currency)


async def load_reward_summary(context: Context) -> tuple[RewardSummary, str]:
    require_customer(context)
    summary, currency = await asyncio.gather(
        context.loader(_summary_once).get(), context.loader(_currency_once).get()
    )
    return summary, currency


async def reward_offer(
    context: Context, redemption: Redemption, redemptions: AdRedemptions
) -> OfferView | None:
    """The offer a reward was earned on: as the customer sees it now (through the request's
    getAds loader), else as the redemptions answer described it (an ended or removed offer)."""
    view = await load_offer_view(context, redemption.ad_id)
    if view is not None:
        return view
    ad = redemptions.ads.get(redemption.ad_id)
    if ad is None:
        return None
    return OfferView(ad=ad, category=None, rank=None, channel=DEFAULT_CHANNEL)
