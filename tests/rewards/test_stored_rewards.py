"""Rewards the gateway learnt from RTM webhooks show in ``rewards`` and ``rewardsSummary``.

The sample customer ``customer-unlinked`` has no redemptions upstream, so whatever appears came
from the store; the sandbox end-to-end test covers a reward both sources know (counted once).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.sandbox.cardlytics_support import UNLINKED
from tests.support.gateway import Gateway
from tests.webhooks.support import Receiver, rtm_event

CUSTOMER = "customer-unlinked"
REWARDS = """
{ rewards { id offerId state isReversal amount { amount currency } transactionId
            settlementDate } }
"""
SUMMARY = """
{ rewardsSummary {
    pending { redemptionCount totalPurchaseAmount { amount } }
    allTime { redemptionCount redeemedOfferCount totalRewardAmount { amount } }
    currentMonth { redemptionCount }
} }
"""


def _event(event: str, **fields: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    payload = rtm_event(event, customer=UNLINKED, redemption_id="900000001", timestamp=now)
    payload["redemptions"][0]["redemptionDate"] = now
    payload["redemptions"][0].update(fields)
    return payload


async def _query(gateway: Gateway, document: str) -> dict[str, Any]:
    result = await gateway.execute(document, token=gateway.customer(CUSTOMER))
    assert result.errors == []
    assert result.data is not None
    return result.data


async def test_pending_then_confirmed_then_reversed(receiver: Receiver) -> None:
    gateway = receiver.gateway
    base = (await _query(gateway, SUMMARY))["rewardsSummary"]
    assert (await _query(gateway, REWARDS))["rewards"] == []

    assert receiver.deliver(_event("REDEMPTION_PENDING")).status_code == 200

    [pending] = (await _query(gateway, REWARDS))["rewards"]
    assert pending["id"] == "900000001"
    assert (pending["state"], pending["isReversal"], pending["settlementDate"]) == (
        "PENDING",
        False,
        None,
    )
    assert pending["amount"]["amount"] == "5.0"
    summary = (await _query(gateway, SUMMARY))["rewardsSummary"]
    assert summary["pending"]["redemptionCount"] == base["pending"]["redemptionCount"] + 1
    assert summary["allTime"] == base["allTime"]

    settled_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    confirmed = _event("REDEMPTION_CONFIRMED", rewardSettlementRunDate=settled_at)
    assert receiver.deliver(confirmed).status_code == 200

    [settled] = (await _query(gateway, REWARDS))["rewards"]
    assert settled["state"] == "SETTLED"
    summary = (await _query(gateway, SUMMARY))["rewardsSummary"]
    assert summary["pending"] == base["pending"]
    assert summary["allTime"]["redemptionCount"] == base["allTime"]["redemptionCount"] + 1
    assert summary["currentMonth"]["redemptionCount"] == (
        base["currentMonth"]["redemptionCount"] + 1
    )

    reversal = _event(
        "REDEMPTION_CONFIRMED",
        redemptionId="900000002",
        amount=-5.0,
        redeemingTransactionAmount=-100.0,
        rewardSettlementRunDate=settled_at,
    )
    assert receiver.deliver(reversal).status_code == 200

    rewards = (await _query(gateway, REWARDS))["rewards"]
    assert sorted((r["id"], r["isReversal"]) for r in rewards) == [
        ("900000001", False),
        ("900000002", True),
    ]
    # a reversed reward and its reversal both drop out of the totals, as upstream counts them
    summary = (await _query(gateway, SUMMARY))["rewardsSummary"]
    assert summary["allTime"] == base["allTime"]


async def test_accumulating_is_not_a_reward_yet(receiver: Receiver) -> None:
    receiver.deliver(_event("REDEMPTION_ACCUMULATING_PENDING"))

    assert (await _query(receiver.gateway, REWARDS))["rewards"] == []
    [row] = receiver.rows("rewards")
    assert row["state"] == "ACCUMULATING"


async def test_another_customers_rewards_are_not_shown(receiver: Receiver) -> None:
    receiver.deliver(rtm_event(customer="someone-else-hashed"))

    assert (await _query(receiver.gateway, REWARDS))["rewards"] == []
