"""Rewards: what the customer earned, the totals, and the currency they are in.

Cardlytics' reward amounts carry no currency: it is the customer's portfolio's
``rewardCurrencyUnit`` (from the profile), read at most once per request.

Two sources are folded together: ``getCustomerAdRedemptions`` / ``getCustomerRewardSummary``,
and what the gateway stored from RTM webhooks and imported reward files (which may be ahead of
the API, or hold what it no longer lists). A redemption id (and its reversal flag) is one reward
whichever sources know it; the further-along state wins (settled over pending), and on a tie the
API's copy. Accumulating redemptions are not rewards yet and are left out. The summary is the
API's, plus the difference the stored rewards make to each period (computed by the same rules
the API uses), so nothing it already counts is counted twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Generic, TypeVar

import msgspec

from gateway.context import Context
from gateway.store.events import ACCUMULATING, StoredReward
from gateway.store.rewards import stored_rewards
from gateway.upstreams.cardlytics.models import AdRedemptions, Redemption, RewardSummary
from gateway.upstreams.cardlytics.models.rewards import RewardTotals, RewardTotalsByPeriod
from resolvers.offers import DEFAULT_CHANNEL, OfferView, load_offer_view
from resolvers.viewer import require_customer

__all__ = [
    "UNKNOWN_CURRENCY",
    "EarnedReward",
    "RewardsData",
    "load_redemptions",
    "load_reward_currency",
    "load_reward_summary",
    "load_rewards",
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


def _stored_once(context: Context) -> Once[list[StoredReward]]:
    # an empty answer is remembered briefly (gateway.store.rewards): most customers have none
    return Once(lambda: stored_rewards(context.database, context.customer_id))


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


@dataclass(frozen=True)
class EarnedReward:
    """One reward as shown: its redemption (from either source) and the currency it is in."""

    redemption: Redemption
    currency: str


async def load_rewards(context: Context) -> tuple[list[EarnedReward], AdRedemptions]:
    """The customer's rewards from the API and the store, one per redemption, oldest first."""
    require_customer(context)
    data, stored = await asyncio.gather(
        load_redemptions(context), context.loader(_stored_once).get()
    )
    merged = _merge(data.redemptions.redemptions, stored, data.currency)
    return merged, data.redemptions


def _key(redemption: Redemption) -> tuple[str, bool]:
    return redemption.redemption_id, redemption.amount < 0


def _as_redemption(reward: StoredReward) -> Redemption:
    return Redemption(
        redemption_id=reward.redemption_id,
        ad_id=reward.offer_id or "",
        amount=reward.amount,
        redemption_date=reward.redeemed_at,
        source_customer_id=reward.customer,
        transaction_id=reward.transaction_id,
        redeeming_transaction_amount=reward.purchase_amount,
        reward_settlement_run_date=reward.settled_at,
    )


def _merge(
    upstream: tuple[Redemption, ...], stored: list[StoredReward], currency: str
) -> list[EarnedReward]:
    merged = {_key(r): EarnedReward(r, currency) for r in upstream}
    for reward in stored:
        if reward.state == ACCUMULATING or not reward.offer_id:
            continue
        mine = EarnedReward(_as_redemption(reward), reward.currency or currency)
        theirs = merged.get(_key(mine.redemption))
        # further along wins: only a settlement the API has not seen yet replaces its copy
        if theirs is None or (
            theirs.redemption.reward_settlement_run_date is None
            and mine.redemption.reward_settlement_run_date is not None
        ):
            merged[_key(mine.redemption)] = mine
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(merged.values(), key=lambda e: e.redemption.redemption_date or floor)


async def load_reward_summary(context: Context) -> tuple[RewardSummary, str]:
    require_customer(context)
    summary, currency, stored = await asyncio.gather(
        context.loader(_summary_once).get(),
        context.loader(_currency_once).get(),
        context.loader(_stored_once).get(),
    )
    if not stored:
        return summary, currency  # nothing to fold: no need for the redemptions call
    merged, redemptions = await load_rewards(context)
    now = datetime.now(UTC)
    before = _periods(list(redemptions.redemptions), now)
    after = _periods([e.redemption for e in merged], now)
    periods = summary.rewards_summary
    folded = RewardTotalsByPeriod(
        **{
            name: _plus(getattr(periods, name), before[name], after[name])
            for name in RewardTotalsByPeriod.__struct_fields__
        }
    )
    return msgspec.structs.replace(summary, rewards_summary=folded), currency


@dataclass(frozen=True)
class _Totals:
    count: int = 0
    offers: frozenset[str] = frozenset()
    purchases: Decimal = Decimal(0)
    rewards: Decimal = Decimal(0)


def _totals(redemptions: list[Redemption]) -> _Totals:
    return _Totals(
        count=len(redemptions),
        offers=frozenset(r.ad_id for r in redemptions),
        purchases=sum(
            (r.redeeming_transaction_amount or Decimal(0) for r in redemptions), Decimal(0)
        ),
        rewards=sum((r.amount for r in redemptions), Decimal(0)),
    )


def _periods(redemptions: list[Redemption], now: datetime) -> dict[str, _Totals]:
    """Totals per period as the API computes them: a reversed reward and its reversal both drop
    out; ``pending`` holds unsettled rewards, the others settled ones by redemption date."""
    reversed_ = {(r.ad_id, r.transaction_id) for r in redemptions if r.amount < 0}
    kept = [
        r for r in redemptions if r.amount >= 0 and (r.ad_id, r.transaction_id) not in reversed_
    ]
    settled = [r for r in kept if r.reward_settlement_run_date is not None]
    last_month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def within(keep: Callable[[datetime], bool]) -> _Totals:
        return _totals([r for r in settled if r.redemption_date and keep(r.redemption_date)])

    return {
        "all_time": _totals(settled),
        "pending": _totals([r for r in kept if r.reward_settlement_run_date is None]),
        "year_to_date": within(lambda d: d.year == now.year),
        "previous_calendar_year": within(lambda d: d.year == now.year - 1),
        "previous_month": within(lambda d: d.strftime("%Y-%m") == last_month),
        "previous_twelve_months": within(lambda d: now - timedelta(days=365) <= d <= now),
        "current_month": within(lambda d: (d.year, d.month) == (now.year, now.month)),
    }


def _plus(totals: RewardTotals | None, before: _Totals, after: _Totals) -> RewardTotals | None:
    if before == after:
        return totals
    base = totals or RewardTotals()
    # A field the API leaves out of a period (pending's reward total) stays out.
    keep_absent = totals is not None

    def count(value: int | None, delta: int) -> int | None:
        return None if value is None and keep_absent else (value or 0) + delta

    def money(value: Decimal | None, delta: Decimal) -> Decimal | None:
        return None if value is None and keep_absent else (value or Decimal(0)) + delta

    return RewardTotals(
        redemption_count=count(base.redemption_count, after.count - before.count),
        redeemed_offer_count=count(
            base.redeemed_offer_count, len(after.offers) - len(before.offers)
        ),
        total_redeeming_transaction_amount=money(
            base.total_redeeming_transaction_amount, after.purchases - before.purchases
        ),
        total_reward_amount=money(base.total_reward_amount, after.rewards - before.rewards),
    )


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
