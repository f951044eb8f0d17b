"""Rewards the customer earned on offers, and their totals per period (customers only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from gateway.context import Context
from gateway.upstreams.cardlytics.models import AdRedemptions, Redemption, RewardTotals
from resolvers.rewards import load_reward_summary, load_rewards, reward_offer
from schema.money import Money
from schema.offers import Offer

__all__ = ["Reward", "RewardsQuery", "RewardsSummary"]

Info = strawberry.Info[Context, None]


@strawberry.enum(description="PENDING until Cardlytics settles the reward, then SETTLED.")
class RewardState(Enum):
    PENDING = "PENDING"
    SETTLED = "SETTLED"


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return Money(amount=amount, currency=currency) if amount is not None else None


async def _reward_offer(root: strawberry.Parent[Reward], info: Info) -> Offer | None:
    view = await reward_offer(info.context, root.redemption, root.redemptions)
    return Offer.from_view(view) if view is not None else None


@strawberry.type(description="A reward earned on an offer (a Cardlytics redemption).")
class Reward:
    redemption: strawberry.Private[Redemption]
    redemptions: strawberry.Private[AdRedemptions]
    id: strawberry.ID = strawberry.field(description="The Cardlytics redemptionId.")
    offer_id: strawberry.ID
    amount: Money = strawberry.field(description="Negative for a reversal.")
    purchase_amount: Money | None = strawberry.field(
        description="The purchase that earned it (negative for a reversal)."
    )
    transaction_id: strawberry.ID | None
    redemption_date: datetime | None
    settlement_date: datetime | None = strawberry.field(
        description="When Cardlytics settled it; null while PENDING."
    )
    state: RewardState
    is_reversal: bool = strawberry.field(
        description="A refunded purchase took the reward back: this is the negative record."
    )

    @classmethod
    def from_upstream(
        cls, redemption: Redemption, redemptions: AdRedemptions, currency: str
    ) -> Reward:
        return cls(
            redemption=redemption,
            redemptions=redemptions,
            id=strawberry.ID(redemption.redemption_id),
            offer_id=strawberry.ID(redemption.ad_id),
            amount=Money(amount=redemption.amount, currency=currency),
            purchase_amount=_money(redemption.redeeming_transaction_amount, currency),
            transaction_id=(
                strawberry.ID(redemption.transaction_id) if redemption.transaction_id else None
            ),
            redemption_date=redemption.redemption_date,
            settlement_date=redemption.reward_settlement_run_date,
            state=(
                RewardState.SETTLED
                if redemption.reward_settlement_run_date is not None
                else RewardState.PENDING
            ),
            # Cardlytics records a reversal as its own redemption with a negated amount.
            is_reversal=redemption.amount < 0,
        )

    offer: Offer | None = strawberry.field(
        resolver=_reward_offer,
        description="The offer it was earned on, as the customer sees it now when still served.",
    )


@strawberry.type(name="RewardTotals", description="Counts and sums over one period.")
class RewardTotalsType:
    redemption_count: int | None
    redeemed_offer_count: int | None
    total_purchase_amount: Money | None
    total_reward_amount: Money | None

    @classmethod
    def of(cls, totals: RewardTotals | None, currency: str) -> RewardTotalsType | None:
        if totals is None:
            return None
        return cls(
            redemption_count=totals.redemption_count,
            redeemed_offer_count=totals.redeemed_offer_count,
            total_purchase_amount=_money(totals.total_redeeming_transaction_amount, currency),
            total_reward_amount=_money(totals.total_reward_amount, currency),
        )


@strawberry.type(description="The customer's rewards per period; reversals net out.")
class RewardsSummary:
    all_time: RewardTotalsType | None
    pending: RewardTotalsType | None = strawberry.field(
        description="Not yet settled; has no redeemedOfferCount and no totalRewardAmount."
    )
    year_to_date: RewardTotalsType | None
    previous_calendar_year: RewardTotalsType | None
    previous_month: RewardTotalsType | None
    previous_twelve_months: RewardTotalsType | None
    current_month: RewardTotalsType | None


async def _rewards(info: Info) -> list[Reward]:
    # The API's and the stored (RTM, reward file) rewards, one per redemption.
    earned, redemptions = await load_rewards(info.context)
    rewards = [Reward.from_upstream(e.redemption, redemptions, e.currency) for e in earned]
    # Newest first: a screen shows the latest rewards; they come oldest first.
    return rewards[::-1]


async def _summary(info: Info) -> RewardsSummary:
    summary, currency = await load_reward_summary(info.context)
    periods = summary.rewards_summary
    return RewardsSummary(
        all_time=RewardTotalsType.of(periods.all_time, currency),
        pending=RewardTotalsType.of(periods.pending, currency),
        year_to_date=RewardTotalsType.of(periods.year_to_date, currency),
        previous_calendar_year=RewardTotalsType.of(periods.previous_calendar_year, currency),
        previous_month=RewardTotalsType.of(periods.previous_month, currency),
        previous_twelve_months=RewardTotalsType.of(periods.previous_twelve_months, currency),
        current_month=RewardTotalsType.of(periods.current_month, currency),
    )


@strawberry.type
class RewardsQuery:
    rewards: list[Reward] | None = strawberry.field(
        resolver=_rewards,
        description="The signed-in customer's rewards, newest first, reversals included.",
    )
    rewards_summary: RewardsSummary | None = strawberry.field(
        resolver=_summary, description="The signed-in customer's reward totals."
    )
