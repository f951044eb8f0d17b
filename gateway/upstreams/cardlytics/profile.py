"""The customer profile reads: profile, reward summary, ad redemptions."""

from __future__ import annotations

from typing import TypeVar

from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.models import (
    AdRedemptions,
    Customer,
    RewardSummary,
    read_customer,
    read_reward_summary,
)
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.cardlytics.wire import Expect

__all__ = ["AD_REDEMPTIONS", "CUSTOMER_PROFILE", "REWARD_SUMMARY", "Profile"]

CUSTOMER_PROFILE = "/v2/customerProfile/getCustomerProfile"
REWARD_SUMMARY = "/v2/customerProfile/getCustomerRewardSummary"
AD_REDEMPTIONS = "/v2/customerProfile/getCustomerAdRedemptions"

T = TypeVar("T")


class Profile:
    """``GET /v2/customerProfile/*``: all about the customer the session was started for."""

    def __init__(self, transport: CardlyticsTransport) -> None:
        self._transport = transport

    async def customer(self, customer: HashedCustomerId) -> Customer:
        expect = Expect("getCustomerProfile", read_customer, raw=True)
        return await self._get(customer, CUSTOMER_PROFILE, expect)

    async def reward_summary(self, customer: HashedCustomerId) -> RewardSummary:
        expect = Expect("getCustomerRewardSummary", read_reward_summary, raw=True)
        return await self._get(customer, REWARD_SUMMARY, expect)

    async def ad_redemptions(self, customer: HashedCustomerId) -> AdRedemptions:
        expect = Expect("getCustomerAdRedemptions", AdRedemptions.model_validate)
        return await self._get(customer, AD_REDEMPTIONS, expect)

    async def _get(self, customer: HashedCustomerId, path: str, expect: Expect[T]) -> T:
        return await self._transport.call("GET", path, customer, expect, idempotent=True)
