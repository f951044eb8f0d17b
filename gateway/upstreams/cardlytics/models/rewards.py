"""Rewards: redemptions (API and RTM webhook), the daily reward file, the reward summary."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import msgspec
from pydantic import BeforeValidator, Field, PlainValidator

from gateway.upstreams.cardlytics.models.ads import Ad, convert_ads
from gateway.upstreams.cardlytics.models.base import (
    Id,
    Money,
    Timestamp,
    WireModel,
    none_as_empty,
)
from gateway.upstreams.cardlytics.models.enums import OpenRtmEvent
from gateway.upstreams.cardlytics.models.structs import Part, finite

__all__ = [
    "AdRedemptions",
    "RealtimeEvent",
    "Redemption",
    "RewardFileRecord",
    "RewardSummary",
    "RewardTotals",
    "RewardTotalsByPeriod",
    "read_reward_summary",
]


class Redemption(WireModel):
    """A reward earned on an ad. ``amount`` is in major units (5.00); the API gives no currency."""

    redemption_id: Id
    ad_id: Id
    amount: Decimal
    redemption_date: Timestamp | None = None
    source_customer_id: Id | None = None
    source_account_id: Id | None = None
    transaction_id: Id | None = None
    redeeming_transaction_amount: Decimal | None = None
    # null until the reward is settled
    reward_settlement_run_date: Timestamp | None = None

    def reward(self, currency: str) -> Money:
        return Money(self.amount, currency)


class RealtimeEvent(WireModel):
    """An RTM webhook delivery; receivers dedupe on ``event_id`` (delivery is at-least-once)."""

    event: OpenRtmEvent
    event_id: str = Field(min_length=1)
    event_timestamp: Timestamp
    redemptions: tuple[Redemption, ...] = ()


def _amount_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        try:
            Decimal(value)
        except InvalidOperation:
            raise ValueError("rewardAmount is not a number") from None
    return value


class RewardFileRecord(WireModel):
    """One record of the daily reward file.

    ``reward_amount_raw`` stays the file's own text (``"359"`` for USD): it is probably minor
    units, unlike the API's major units, but that is unconfirmed (C2#12), so it is not converted.
    """

    redemption_id: Id
    ad_id: Id
    reward_amount_raw: Annotated[str, BeforeValidator(_amount_text)] = Field(alias="rewardAmount")
    reward_currency_type: str = Field(min_length=3, max_length=3)
    redemption_date: Timestamp
    source_customer_id: Id
    source_account_id: Id | None = None
    source_organization_id: str | None = None
    source_portfolio_id: str | None = None
    source_transaction_ids: tuple[Id, ...] = ()
    reward_id: Id | None = None
    is_offer_fully_redeemed: bool | None = None
    is_reversal: bool = False
    reward_settlement_process_date: Timestamp | None = None


# getCustomerRewardSummary is read straight from its bytes into msgspec Structs
# (``read_reward_summary``), as getAds is: the home screen reads it on every request.
class RewardTotals(Part, frozen=True):
    redemption_count: int | None = None
    redeemed_offer_count: int | None = None
    total_redeeming_transaction_amount: Decimal | None = None
    total_reward_amount: Decimal | None = None

    def __post_init__(self) -> None:
        finite(self.total_redeeming_transaction_amount, self.total_reward_amount)


class RewardTotalsByPeriod(Part, frozen=True):
    all_time: RewardTotals | None = None
    # pending has no redeemedOfferCount and no totalRewardAmount
    pending: RewardTotals | None = None
    year_to_date: RewardTotals | None = None
    previous_calendar_year: RewardTotals | None = None
    previous_month: RewardTotals | None = None
    previous_twelve_months: RewardTotals | None = None
    current_month: RewardTotals | None = None


class RewardSummary(Part, frozen=True):
    rewards_summary: RewardTotalsByPeriod
    request_id: str | None = None


_REWARD_SUMMARY = msgspec.json.Decoder(RewardSummary, strict=False)


def read_reward_summary(content: bytes | str) -> RewardSummary:
    """A getCustomerRewardSummary answer from its JSON text; raises ``msgspec.DecodeError`` (its
    subclass ``msgspec.ValidationError`` for a wrong shape)."""
    return _REWARD_SUMMARY.decode(content)


def _read_ads_map(value: Any) -> dict[str, Ad]:
    # msgspec's ValidationError is a ValueError: pydantic reports it as this field's error
    return convert_ads(none_as_empty(value))


class AdRedemptions(WireModel):
    """getCustomerAdRedemptions: the redemptions and the ads they were earned on."""

    redemptions: tuple[Redemption, ...] = ()
    # the getAds Struct, so that an ad reads the same from either answer
    ads: Annotated[dict[str, Ad], PlainValidator(_read_ads_map)] = Field(default_factory=dict)
    request_id: str | None = None
