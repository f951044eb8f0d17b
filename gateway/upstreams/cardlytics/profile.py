"""The customer profile reads: profile, reward summary, ad redemptions."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.models import AdRedemptions, Customer, RewardSummary
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.cardlytics.wire import Expect

__all__ = ["AD_REDEMPTIONS", "CUSTOMER_PROFILE", "REWARD_SUMMARY", "Profile"]

CUSTOMER_PROFILE = "/v2/customerProfile/getCustomerProfile"
REWARD_SUMMARY = "/v2/customerProfile/getCustomerRewardSummary"
AD_REDEMPTIONS = "/v2/customerProfile/getCustomerAdRedemptions"

M = TypeVar("M", bound=BaseModel)


class Profile:
    """``GET /v2/customerProfile/*``: all about the customer the session was started for."""

    def __init__(self, transport: CardlyticsTransport) -> None:
        self._transport = transport

    async def customer(self, customer: HashedCustomerId) -> Customer:
        return await self._get(customer, CUSTOMER_PROFILE, "getCustomerProfile", Customer)

    async def reward_summary(self, customer: HashedCustomerId) -> RewardSummary:
        return await self._get(customer, REWARD_SUMMARY, "getCustomerRewardSummary", RewardSummary)

    async def ad_redemptions(self, customer: HashedCustomerId) -> AdRedemptions:
        return await self._get(customer, AD_REDEMPTIONS, "getCustomerAdRedemptions", AdRedemptions)

    async def _get(
        self, customer: HashedCustomerId, path: str, operation: str, model: type[M]
    ) -> M:
        expect = Expect(operation, model.model_validate)
        return await self._transport.call("GET", path, customer, expect, idempotent=True)
