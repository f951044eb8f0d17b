"""Cardlytics simulator: ``/v2/customerProfile/*`` (profile, reward summary, redemptions)."""

from __future__ import annotations

import pytest

from tests.sandbox.cardlytics_client import HTTP, assert_error
from tests.sandbox.cardlytics_support import (
    ANONYMOUS,
    LINKED,
    UNLINKED,
    activate_new_offer,
    api,
    get,
    purchase,
    redemption_action,
)
from tests.support.sandbox import Sandbox

PROFILE = "/v2/customerProfile/getCustomerProfile"
SUMMARY = "/v2/customerProfile/getCustomerRewardSummary"
REDEMPTIONS = "/v2/customerProfile/getCustomerAdRedemptions"
PERIODS = {
    "allTime",
    "pending",
    "yearToDate",
    "previousCalendarYear",
    "previousMonth",
    "previousTwelveMonths",
    "currentMonth",
}
TOTALS = {
    "redemptionCount",
    "redeemedOfferCount",
    "totalRedeemingTransactionAmount",
    "totalRewardAmount",
}
REDEMPTION_FIELDS = {
    "redemptionId",
    "adId",
    "amount",
    "redemptionDate",
    "sourceCustomerId",
    "sourceAccountId",
    "redeemingTransactionAmount",
    "transactionId",
    "rewardSettlementRunDate",
}


def test_profile_is_the_sessions_customer_with_linked_accounts(sandbox: Sandbox) -> None:
    session = api(sandbox).session(LINKED)
    response = get(session, PROFILE)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["sourceCustomerId"] == LINKED
    assert profile["enrollmentOptInStatus"] == "ACTIVE"
    assert profile["targetingIndicator"] in {"TARGET", "DO_NOT_TARGET"}
    assert profile["requestId"]
    assert [p["sourcePortfolioId"] for p in profile["portfolios"]] == ["SANDBOX-Standard"]
    linked = get(session, "/v2/data/accountLink").json()["accounts"]
    assert [a["sourceAccountId"] for a in profile["accounts"]] == [a["accountId"] for a in linked]
    for account in profile["accounts"]:
        assert account["status"] in {"OPEN", "CLOSED", "DISPUTE", "FRAUD"}
        assert account["sourceCustomerIds"] == [LINKED]
        (card,) = account["cards"]
        assert isinstance(card["networkIdentifier"], int)
        assert card["sourceAccountId"] == account["sourceAccountId"]


def test_unlinked_customer_has_a_profile_without_accounts(sandbox: Sandbox) -> None:
    profile = get(api(sandbox).session(UNLINKED), PROFILE).json()
    assert profile["sourceCustomerId"] == UNLINKED
    assert profile["accounts"] == []


def test_reward_summary_has_every_documented_period(sandbox: Sandbox) -> None:
    session = api(sandbox).session(LINKED)
    response = get(session, SUMMARY)
    assert response.status_code == 200, response.text
    summary = response.json()["rewardsSummary"]
    assert set(summary) == PERIODS
    for period in PERIODS - {"pending"}:
        assert set(summary[period]) == TOTALS
    # pending omits redeemedOfferCount and totalRewardAmount (B3)
    assert set(summary["pending"]) == {"redemptionCount", "totalRedeemingTransactionAmount"}
    redemptions = get(session, REDEMPTIONS).json()["redemptions"]
    settled = [r for r in redemptions if r["rewardSettlementRunDate"] is not None]
    pending = [r for r in redemptions if r["rewardSettlementRunDate"] is None]
    assert summary["allTime"]["redemptionCount"] == len(settled)
    assert summary["pending"]["redemptionCount"] == len(pending)
    assert summary["allTime"]["totalRewardAmount"] == pytest.approx(
        sum(r["amount"] for r in settled)
    )


def test_redemptions_come_with_the_ads_they_were_earned_on(sandbox: Sandbox) -> None:
    response = get(api(sandbox).session(LINKED), REDEMPTIONS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"redemptions", "ads", "requestId"}
    assert body["redemptions"], "the linked sample customer has a reward history"
    for redemption in body["redemptions"]:
        assert set(redemption) == REDEMPTION_FIELDS
        assert redemption["sourceCustomerId"] == LINKED
        assert isinstance(redemption["amount"], float) and redemption["amount"] > 0
        assert redemption["adId"] in body["ads"]
    for ad in body["ads"].values():
        assert ad["activationState"] == "ACTIVATED"
        assert "adServeToken" not in ad


def test_confirmed_purchase_then_reversal_moves_the_totals(sandbox: Sandbox) -> None:
    session = api(sandbox).session(LINKED)
    before = get(session, SUMMARY).json()["rewardsSummary"]
    ad_id = activate_new_offer(session)
    bought = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount="250.00")
    assert bought.status_code == 201, bought.text
    redemption_id = bought.json()["redemption"]["redemptionId"]
    pending = get(session, SUMMARY).json()["rewardsSummary"]
    assert pending["pending"]["redemptionCount"] == before["pending"]["redemptionCount"] + 1
    assert redemption_action(sandbox, redemption_id, "confirm").status_code == 200
    confirmed = get(session, SUMMARY).json()["rewardsSummary"]
    assert confirmed["allTime"]["redemptionCount"] == before["allTime"]["redemptionCount"] + 1
    assert confirmed["currentMonth"]["redemptionCount"] == (
        before["currentMonth"]["redemptionCount"] + 1
    )
    reversal = redemption_action(sandbox, redemption_id, "reverse")
    assert reversal.status_code == 200, reversal.text
    after = get(session, SUMMARY).json()["rewardsSummary"]
    assert after["allTime"] == before["allTime"]
    listed = get(session, REDEMPTIONS).json()["redemptions"]
    negative = [r for r in listed if r["amount"] < 0]
    assert [r["redemptionId"] for r in negative] == [reversal.json()["reversal"]["redemptionId"]]


@pytest.mark.parametrize("path", [PROFILE, SUMMARY, REDEMPTIONS])
def test_another_customers_token_is_401(sandbox: Sandbox, path: str) -> None:
    theirs = api(sandbox).session(UNLINKED)
    headers = {
        "Authorization": f"Bearer {theirs.token}",
        "x-source-customer-id": LINKED,
        "X-CDLX-Request-Id": "req-401",
    }
    response = HTTP.get(f"{sandbox.cardlytics_url}{path}", headers=headers)
    assert assert_error(response, 401, "SessionValidationException")["requestId"] == "req-401"


@pytest.mark.parametrize("path", [PROFILE, SUMMARY, REDEMPTIONS])
def test_expired_or_missing_token_is_401(sandbox: Sandbox, path: str) -> None:
    cardlytics = api(sandbox)
    session = cardlytics.session(LINKED)
    bare = HTTP.get(f"{sandbox.cardlytics_url}{path}", headers={"x-source-customer-id": LINKED})
    assert_error(bare, 401, "SessionValidationException")
    cardlytics.expire_tokens()
    assert_error(get(session, path), 401, "SessionValidationException")


@pytest.mark.parametrize("path", [PROFILE, SUMMARY, REDEMPTIONS])
def test_anonymous_visitor_has_no_profile(sandbox: Sandbox, path: str) -> None:
    assert_error(get(api(sandbox).session(ANONYMOUS), path), 404, "NotFound")
