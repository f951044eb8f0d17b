"""Cardlytics simulator: reward notifications (RTM) driven by ``/_sandbox/purchases``.

A real receiver on 127.0.0.1 records every delivery: shape, order, signature, retries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import jwt
import pytest

from tests.sandbox.cardlytics_client import HTTP, ad_event, assert_error
from tests.sandbox.cardlytics_support import (
    LINKED,
    UNLINKED,
    WebhookReceiver,
    activate_new_offer,
    api,
    control,
    customer_overview,
    deliveries,
    purchase,
    redemption_action,
    running_receiver,
    set_webhook,
    wait_until,
)
from tests.support.sandbox import Sandbox

EVENT_FIELDS = {"event", "eventId", "eventTimestamp", "redemptions"}
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
EVENTS = {"REDEMPTION_PENDING", "REDEMPTION_CONFIRMED", "REDEMPTION_ACCUMULATING_PENDING"}


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(sandbox: Sandbox, shared_receiver: WebhookReceiver) -> WebhookReceiver:
    shared_receiver.reset()
    set_webhook(sandbox, shared_receiver.url)
    return shared_receiver


def _buy(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    ad_id = activate_new_offer(api(sandbox).session(LINKED))
    response = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount="250.00", **extra)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _rtm(receiver: WebhookReceiver, count: int) -> list[dict[str, Any]]:
    return wait_until(lambda: (got := receiver.accepted_json("rtm")) and len(got) >= count and got)


def test_purchase_sends_pending_then_confirm_sends_confirmed(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    bought = _buy(sandbox)
    assert bought["event"] == "REDEMPTION_PENDING"
    redemption_id = bought["redemption"]["redemptionId"]
    (pending,) = _rtm(receiver, 1)
    assert set(pending) == EVENT_FIELDS
    assert pending["event"] == "REDEMPTION_PENDING"
    (redemption,) = pending["redemptions"]
    assert set(redemption) == REDEMPTION_FIELDS
    assert redemption["redemptionId"] == redemption_id
    assert redemption["sourceCustomerId"] == LINKED
    assert redemption["rewardSettlementRunDate"] is None
    assert redemption["amount"] > 0
    assert redemption_action(sandbox, redemption_id, "confirm").status_code == 200
    first, confirmed = _rtm(receiver, 2)
    assert confirmed["event"] == "REDEMPTION_CONFIRMED"
    assert confirmed["eventId"] != first["eventId"]
    assert confirmed["redemptions"][0]["redemptionId"] == redemption_id
    assert confirmed["redemptions"][0]["rewardSettlementRunDate"] is not None
    # confirming twice is refused, and nothing more is sent
    assert_error(redemption_action(sandbox, redemption_id, "confirm"), 409, "Conflict")
    assert len(deliveries(sandbox, "rtm")) == 2


def test_settle_after_confirms_on_its_own_in_order(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    receiver.reset(failures=1)  # the pending event needs a retry: confirmed must still follow it
    _buy(sandbox, settleAfterS=0)
    events = _rtm(receiver, 2)
    assert [e["event"] for e in events] == ["REDEMPTION_PENDING", "REDEMPTION_CONFIRMED"]
    assert (
        events[0]["redemptions"][0]["redemptionId"] == (events[1]["redemptions"][0]["redemptionId"])
    )


def test_every_delivery_is_signed_over_its_body(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    _buy(sandbox)
    _rtm(receiver, 1)
    (request,) = receiver.accepted()
    key = HTTP.get(f"{control(sandbox)}/webhook-public-key")
    assert key.status_code == 200
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    claims = jwt.decode(token, key.text, algorithms=["RS256"], issuer="cardlytics")
    assert claims["sub"] == hashlib.sha256(request.body).hexdigest()
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["jti"]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_a_signature_does_not_verify_for_another_body(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    _buy(sandbox)
    _buy(sandbox)
    first, second = wait_until(lambda: len(receiver.accepted()) >= 2 and receiver.accepted())
    key = HTTP.get(f"{control(sandbox)}/webhook-public-key").text
    claims = jwt.decode(first.headers["authorization"].split()[1], key, algorithms=["RS256"])
    assert claims["sub"] != hashlib.sha256(second.body).hexdigest()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            first.headers["authorization"].split()[1][:-4] + "AAAA", key, algorithms=["RS256"]
        )


def test_failed_delivery_is_retried_with_the_same_event_until_accepted(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    receiver.reset(failures=2)
    _buy(sandbox)
    (accepted,) = _rtm(receiver, 1)
    assert [r.answered for r in receiver.received] == [500, 500, 200]
    assert len({r.body for r in receiver.received}) == 1
    assert {r.json()["eventId"] for r in receiver.received} == {accepted["eventId"]}
    (delivery,) = deliveries(sandbox, "rtm")
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 200]


def test_delivery_gives_up_after_the_retry_schedule(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    receiver.reset(failures=100)
    _buy(sandbox)
    failed = wait_until(lambda: [d for d in deliveries(sandbox, "rtm") if d["state"] == "failed"])
    # the first attempt plus one per delay of FAST_SANDBOX's (0.05, 0.1, 0.2)
    assert [a["status"] for a in failed[0]["attempts"]] == [500] * 4
    assert len(receiver.received) == 4


def test_a_receiver_that_times_out_gets_the_event_again(
    start_sandbox: Callable[..., AbstractContextManager[Sandbox]],
    shared_receiver: WebhookReceiver,
) -> None:
    shared_receiver.reset(failures=1, hang_s=1.0)
    with start_sandbox(webhook_timeout_s=0.2) as sandbox:
        set_webhook(sandbox, shared_receiver.url)
        _buy(sandbox)
        (delivery,) = wait_until(
            lambda: [d for d in deliveries(sandbox, "rtm") if d["state"] == "delivered"]
        )
    assert delivery["attempts"][0]["error"] == "ReadTimeout"
    assert delivery["attempts"][-1]["status"] == 200


def test_reversal_is_a_negative_confirmed_redemption(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    original = _buy(sandbox)["redemption"]
    assert redemption_action(sandbox, original["redemptionId"], "confirm").status_code == 200
    reversed_ = redemption_action(sandbox, original["redemptionId"], "reverse")
    assert reversed_.status_code == 200, reversed_.text
    events = _rtm(receiver, 3)
    assert [e["event"] for e in events] == [
        "REDEMPTION_PENDING",
        "REDEMPTION_CONFIRMED",
        "REDEMPTION_CONFIRMED",
    ]
    (reversal,) = events[2]["redemptions"]
    assert set(reversal) == REDEMPTION_FIELDS
    assert reversal["redemptionId"] != original["redemptionId"]
    assert reversal["transactionId"] == original["transactionId"]
    assert reversal["amount"] == -original["amount"]
    assert reversal["redeemingTransactionAmount"] == -original["redeemingTransactionAmount"]
    assert_error(redemption_action(sandbox, original["redemptionId"], "reverse"), 409, "Conflict")
    assert_error(redemption_action(sandbox, reversal["redemptionId"], "reverse"), 409, "Conflict")


def test_only_documented_event_names_and_fields_are_sent(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    bought = _buy(sandbox)
    redemption_id = bought["redemption"]["redemptionId"]
    redemption_action(sandbox, redemption_id, "confirm")
    redemption_action(sandbox, redemption_id, "reverse")
    for event in _rtm(receiver, 3):
        assert set(event) == EVENT_FIELDS
        assert event["event"] in EVENTS
        assert all(set(r) == REDEMPTION_FIELDS for r in event["redemptions"])


def test_purchases_that_earn_nothing_are_refused(sandbox: Sandbox) -> None:
    overview = customer_overview(sandbox, LINKED)
    not_activated = next(o for o in overview["offers"] if o["activationState"] != "ACTIVATED")
    refused = purchase(sandbox, sourceCustomerId=LINKED, adId=not_activated["adId"], amount="250")
    assert_error(refused, 409, "Conflict")
    unknown = purchase(sandbox, sourceCustomerId=LINKED, adId="1", amount="250")
    assert_error(unknown, 404, "NotFound")
    no_card = purchase(sandbox, sourceCustomerId=UNLINKED, adId=not_activated["adId"], amount="9")
    assert_error(no_card, 409, "Conflict")
    invalid = purchase(sandbox, sourceCustomerId=LINKED, adId=not_activated["adId"], amount="0")
    assert_error(invalid, 400, "ValidationException")
    assert deliveries(sandbox, "rtm") == []


def test_below_minimum_spend_and_second_single_use_purchase_are_refused(
    sandbox: Sandbox,
) -> None:
    session = api(sandbox).session(LINKED)
    ad_id = activate_new_offer(session)
    offer = next(o for o in customer_overview(sandbox, LINKED)["offers"] if o["adId"] == ad_id)
    if offer["rewardType"] != "METERED_AMOUNT_PURCHASE" and float(offer["minSpendAmount"]) >= 1:
        low = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount="0.50")
        assert_error(low, 409, "Conflict")
    first = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount="250.00")
    assert first.status_code == 201, first.text
    second = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount="250.00")
    if offer["isMultiRedemption"]:
        assert second.status_code == 201
    else:
        assert_error(second, 409, "Conflict")


def test_without_a_webhook_events_are_logged_not_sent(sandbox: Sandbox) -> None:
    set_webhook(sandbox, None)
    _buy(sandbox)
    (delivery,) = deliveries(sandbox, "rtm")
    assert delivery["state"] == "no-webhook"
    assert delivery["payload"]["event"] == "REDEMPTION_PENDING"


def test_purchase_shows_in_the_activated_offers_redemption_state(sandbox: Sandbox) -> None:
    session = api(sandbox).session(LINKED)
    bought = _buy(sandbox)
    ad_id = bought["redemption"]["adId"]
    ads = session.ads_ok(activationStates=["ACTIVATED"], redemptionStates=["PROCESSING"])["ads"]
    assert ads[ad_id]["redemptionState"] == "PROCESSING"


def test_metered_offer_accumulates_until_the_threshold(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    session = api(sandbox).session(LINKED)
    ads = session.ads_ok(activationStates=["NEW"])["ads"]
    running = {o["adId"] for o in customer_overview(sandbox, LINKED)["offers"] if o["running"]}
    ad_id, ad = next(
        (ad_id, ad)
        for ad_id, ad in ads.items()
        if ad["reward"]["rewardType"] == "METERED_AMOUNT_PURCHASE" and ad_id in running
    )
    session.events_ok(ad_event("ActivateOffer", ad["adServeToken"]))
    threshold = ad["reward"]["purchaseRequirement"]["minSpendAmount"]
    first = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount="10.00")
    assert first.json()["event"] == "REDEMPTION_ACCUMULATING_PENDING"
    rest = f"{threshold - 10:.2f}"
    second = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount=rest)
    assert second.json()["event"] == "REDEMPTION_PENDING"
    accumulating, pending = _rtm(receiver, 2)
    assert [accumulating["event"], pending["event"]] == [
        "REDEMPTION_ACCUMULATING_PENDING",
        "REDEMPTION_PENDING",
    ]
    earned = pending["redemptions"][0]
    assert earned["redemptionId"] == accumulating["redemptions"][0]["redemptionId"]
    assert earned["redeemingTransactionAmount"] == pytest.approx(threshold)
    assert earned["amount"] == ad["reward"]["rewardAmount"]
