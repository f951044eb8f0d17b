"""Rewards end to end: redemptions as Money, state and reversal, the offer join, the summary."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox

CUSTOMER = "customer-linked"
SETTLED_REWARD = "180456033"  # README of the Cardlytics simulator: settled, offer 1000055124

REWARDS = """{
  rewards {
    id offerId amount { amount currency } purchaseAmount { amount currency }
    transactionId redemptionDate settlementDate state isReversal
    offer { id merchantName }
  }
}"""

SUMMARY = """{
  rewardsSummary {
    allTime { redemptionCount redeemedOfferCount totalRewardAmount { amount currency }
              totalPurchaseAmount { amount currency } }
    pending { redemptionCount redeemedOfferCount totalRewardAmount { amount }
              totalPurchaseAmount { amount } }
    yearToDate { redemptionCount } previousCalendarYear { redemptionCount }
    previousMonth { redemptionCount } previousTwelveMonths { redemptionCount }
    currentMonth { redemptionCount }
  }
}"""


async def test_rewards_are_money_newest_first_with_their_offers(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await gateway.execute(REWARDS, token=gateway.customer(CUSTOMER))

    assert result.errors == []
    assert result.data is not None
    rewards = result.data["rewards"]
    assert len(rewards) >= 4
    dates = [reward["redemptionDate"] for reward in rewards]
    assert dates == sorted(dates, reverse=True)
    for reward in rewards:
        assert reward["amount"]["currency"] == "USD"
        assert Decimal(reward["amount"]["amount"]) > 0
        assert reward["isReversal"] is False
        assert reward["offer"]["id"] == reward["offerId"]
        assert reward["state"] == ("SETTLED" if reward["settlementDate"] else "PENDING")
    settled = next(reward for reward in rewards if reward["id"] == SETTLED_REWARD)
    assert settled["state"] == "SETTLED"
    assert settled["purchaseAmount"] == {"amount": "26.52", "currency": "USD"}
    calls = sandbox.calls("cardlytics")
    # every Reward.offer from one getAds; the currency from one profile read
    assert calls["POST /v2/ads/getAds"] == 1
    assert calls["GET /v2/customerProfile/getCustomerProfile"] == 1
    assert calls["GET /v2/customerProfile/getCustomerAdRedemptions"] == 1


async def test_a_reversal_is_a_negative_reward(gateway: Gateway, sandbox: Sandbox) -> None:
    token = gateway.customer(CUSTOMER)
    before = await gateway.execute(REWARDS, token=token)  # the sandbox meets the customer
    assert before.data is not None
    assert not any(reward["isReversal"] for reward in before.data["rewards"])
    async with httpx.AsyncClient() as client:
        reversed_ = await client.post(
            f"{sandbox.cardlytics_url}/_sandbox/redemptions/{SETTLED_REWARD}/reverse"
        )
    reversed_.raise_for_status()

    result = await gateway.execute(REWARDS, token=token)

    assert result.data is not None
    [reversal] = [reward for reward in result.data["rewards"] if reward["isReversal"]]
    assert reversal["id"] != SETTLED_REWARD
    assert reversal["amount"]["amount"].startswith("-")
    assert reversal["offerId"] == "1000055124"


async def test_rewards_summary(gateway: Gateway, sandbox: Sandbox) -> None:
    result = await gateway.execute(SUMMARY, token=gateway.customer(CUSTOMER))

    assert result.errors == []
    assert result.data is not None
    summary = result.data["rewardsSummary"]
    all_time = summary["allTime"]
    assert all_time["redemptionCount"] >= 1
    assert all_time["totalRewardAmount"]["currency"] == "USD"
    assert Decimal(all_time["totalRewardAmount"]["amount"]) > 0
    # pending has no redeemed-offer count and no reward total upstream
    assert summary["pending"]["redeemedOfferCount"] is None
    assert summary["pending"]["totalRewardAmount"] is None
    assert summary["pending"]["redemptionCount"] >= 1
    assert set(summary) == {
        "allTime",
        "pending",
        "yearToDate",
        "previousCalendarYear",
        "previousMonth",
        "previousTwelveMonths",
        "currentMonth",
    }
    assert "POST /v2/ads/getAds" not in sandbox.calls("cardlytics")


@pytest.mark.parametrize("document", [REWARDS, SUMMARY])
@pytest.mark.parametrize(("role", "code"), [(None, "UNAUTHENTICATED"), ("agent", "FORBIDDEN")])
async def test_rewards_are_the_customers_own(
    gateway: Gateway, sandbox: Sandbox, document: str, role: str | None, code: str
) -> None:
    token = gateway.agent() if role == "agent" else None

    result = await gateway.execute(document, token=token)

    assert result.data is not None
    assert list(result.data.values()) == [None]
    assert result.codes == [code]
    assert sandbox.calls("cardlytics") == {}


async def test_a_summary_failure_leaves_the_offers(gateway: Gateway, sandbox: Sandbox) -> None:
    sandbox.faults(
        "cardlytics",
        {"match": "GET /v2/customerProfile/getCustomerRewardSummary", "error_status": 503},
    )

    result = await gateway.execute(
        "{ offers { totalCount } rewardsSummary { allTime { redemptionCount } } }",
        token=gateway.customer(CUSTOMER),
    )

    assert result.data is not None
    assert result.data["offers"]["totalCount"] > 0
    assert result.data["rewardsSummary"] is None
    assert result.codes == ["UPSTREAM_UNAVAILABLE"]
