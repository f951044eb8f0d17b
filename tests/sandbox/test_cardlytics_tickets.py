"""Cardlytics simulator: CSA tickets (``/csaapi/v2/tickets``), accepted now, processed later.

Ticket updates are read where a publisher reads them: on its webhook, here a real receiver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from tests.sandbox.cardlytics_client import HTTP, CustomerSession, assert_error
from tests.sandbox.cardlytics_support import (
    LINKED,
    UNLINKED,
    WebhookReceiver,
    api,
    customer_overview,
    get,
    running_receiver,
    set_webhook,
    wait_until,
)
from tests.support.sandbox import Sandbox

TICKETS = "/csaapi/v2/tickets"
GET_FIELDS = {
    "authorEmailAddress",
    "cdlxTicketId",
    "sourceTicketId",
    "sourceCustomerId",
    "status",
    "activationDate",
    "description",
    "resolutionType",
    "cardlyticsResponse",
    "offerId",
    "transactionIds",
    "redemptionIds",
    "ticketCreatedDate",
    "ticketSolvedDate",
    "requestId",
}
UPDATE_FIELDS = {
    "cdlxTicketId",
    "authorEmailAddress",
    "processingStatus",
    "processingStatusMessage",
    "description",
    "sourceTicketId",
    "sourceCustomerId",
    "status",
    "resolutionType",
    "cardlyticsResponse",
    # the failed sample also echoes these (C1#7)
    "offerId",
    "transactionIds",
}
RESOLUTIONS = {
    "No Credit: Not eligible for reward",
    "No Credit: Reward Pending",
    "No Credit: Reward Received",
}


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(sandbox: Sandbox, shared_receiver: WebhookReceiver) -> WebhookReceiver:
    shared_receiver.reset()
    set_webhook(sandbox, shared_receiver.url)
    return shared_receiver


@pytest.fixture
def session(sandbox: Sandbox) -> CustomerSession:
    return api(sandbox).session(LINKED)


def _transactions(sandbox: Sandbox) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = customer_overview(sandbox, LINKED)["transactions"]
    return found


def _ticket(txn: dict[str, Any], ticket_id: str = "T-1", **changes: Any) -> dict[str, Any]:
    """A create body like the seed's sample: offer and transaction ids as JSON numbers."""
    return {
        "offerId": int(txn["adId"]),
        "transactionIds": [int(txn["transactionId"])],
        "sourceTicketId": ticket_id,
        "sourceCustomerId": LINKED,
        "authorEmailAddress": "agent@example.com",
        "description": "Reward missing for my purchase",
        **changes,
    }


def _create(session: CustomerSession, body: dict[str, Any]) -> httpx.Response:
    return session.post(TICKETS, body)


def _updates(receiver: WebhookReceiver, ticket_id: str, count: int) -> list[dict[str, Any]]:
    def arrived() -> list[dict[str, Any]] | None:
        got = [u for u in receiver.accepted_json("ticket") if u["sourceTicketId"] == ticket_id]
        return got if len(got) >= count else None

    return wait_until(arrived)


def _unrewarded(sandbox: Sandbox) -> dict[str, Any]:
    """A sample purchase on an activated offer that earned nothing though it qualifies."""
    overview = customer_overview(sandbox, LINKED)
    offers = {o["adId"]: o for o in overview["offers"]}
    return next(
        t
        for t in overview["transactions"]
        if t["redemptionId"] is None and t["amount"] >= float(offers[t["adId"]]["minSpendAmount"])
    )


def test_create_is_accepted_then_processed_then_closed(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    txn = _unrewarded(sandbox)
    response = _create(session, _ticket(txn))
    assert response.status_code == 202, response.text
    assert set(response.json()) == {"requestId"}
    processed, closed = _updates(receiver, "T-1", 2)
    assert processed["processingStatus"] == "Success"
    assert processed["status"] == "In Process"
    assert set(processed) <= UPDATE_FIELDS
    assert closed["processingStatus"] == "Success"
    assert closed["status"] == "Closed"
    assert closed["resolutionType"] in RESOLUTIONS
    assert closed["cdlxTicketId"] == processed["cdlxTicketId"]
    assert set(closed) <= UPDATE_FIELDS
    ticket = get(session, f"{TICKETS}/T-1")
    assert ticket.status_code == 200, ticket.text
    body = ticket.json()
    assert set(body) == GET_FIELDS
    assert body["status"] == "Closed"
    assert body["offerId"] == int(txn["adId"])  # echoed as sent
    assert body["transactionIds"] == [int(txn["transactionId"])]
    assert body["ticketCreatedDate"].endswith("Z") and body["ticketSolvedDate"].endswith("Z")


def test_ticket_is_404_until_processed_then_in_process(
    start_sandbox: Callable[..., AbstractContextManager[Sandbox]],
) -> None:
    with start_sandbox(ticket_processing_delay_s=0.4, ticket_close_delay_s=0.4) as sandbox:
        session = api(sandbox).session(LINKED)
        assert _create(session, _ticket(_unrewarded(sandbox))).status_code == 202
        assert_error(get(session, f"{TICKETS}/T-1"), 404, "NotFound")
        in_process = wait_until(
            lambda: (r := get(session, f"{TICKETS}/T-1")).status_code == 200 and r.json()
        )
        assert in_process["status"] == "In Process"
        assert "ticketSolvedDate" not in in_process and "resolutionType" not in in_process
        closed = wait_until(
            lambda: (body := get(session, f"{TICKETS}/T-1").json())["status"] == "Closed" and body
        )
        assert closed["resolutionType"] in RESOLUTIONS


@pytest.mark.parametrize("count", [1, 10])
def test_one_to_ten_transactions_are_accepted(
    sandbox: Sandbox, session: CustomerSession, count: int
) -> None:
    txn = _transactions(sandbox)[0]
    ids = [int(txn["transactionId"]) + n for n in range(count)]
    assert _create(session, _ticket(txn, transactionIds=ids)).status_code == 202


@pytest.mark.parametrize("count", [0, 11])
def test_zero_or_eleven_transactions_are_rejected(
    sandbox: Sandbox, session: CustomerSession, count: int
) -> None:
    txn = _transactions(sandbox)[0]
    ids = [int(txn["transactionId"]) + n for n in range(count)]
    body = assert_error(
        _create(session, _ticket(txn, transactionIds=ids)), 400, "ValidationException"
    )
    assert any("transactionIds" in e for e in body["validationErrors"])


def test_missing_fields_are_all_listed(session: CustomerSession) -> None:
    body = assert_error(_create(session, {"description": ""}), 400, "ValidationException")
    for name in ("sourceTicketId", "sourceCustomerId", "offerId", "transactionIds", "description"):
        assert any(e.startswith(name) for e in body["validationErrors"]), name


def test_the_seeds_trailing_comma_is_not_json(session: CustomerSession) -> None:
    raw = b'{"offerId": 1, "transactionIds": [1], "sourceTicketId": "x",}'
    assert_error(session.post(TICKETS, content=raw), 400, "HttpMessageNotReadable")


def test_ticket_calls_need_a_session(sandbox: Sandbox) -> None:
    base = f"{sandbox.cardlytics_url}{TICKETS}"
    assert_error(HTTP.post(base, json={}), 401, "SessionValidationException")
    assert_error(HTTP.get(f"{base}/T-1"), 401, "SessionValidationException")
    bad = {"Authorization": "Bearer not-a-token"}
    assert_error(HTTP.get(f"{base}/T-1", headers=bad), 401, "SessionValidationException")


def test_duplicate_source_ticket_id_is_an_error_update(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    txn = _unrewarded(sandbox)
    assert _create(session, _ticket(txn, "DUP")).status_code == 202
    _updates(receiver, "DUP", 1)
    again = _create(session, _ticket(txn, "DUP", description="second try"))
    assert again.status_code == 202  # the duplicate check is asynchronous (C1#12)
    updates = _updates(receiver, "DUP", 3)
    errors = [u for u in updates if u["processingStatus"] == "Error"]
    assert [e["processingStatusMessage"] for e in errors] == ["Ticket already exists"]
    assert errors[0]["description"] == "second try"
    assert get(session, f"{TICKETS}/DUP").json()["description"] == _ticket(txn)["description"]


def _rejection(receiver: WebhookReceiver, ticket_id: str) -> dict[str, Any]:
    (update,) = _updates(receiver, ticket_id, 1)
    assert update["processingStatus"] == "Error"
    assert set(update) <= UPDATE_FIELDS
    return update


def test_unknown_offer_is_an_error_update(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    txn = _transactions(sandbox)[0]
    assert _create(session, _ticket(txn, "BAD-OFFER", offerId=1000000001)).status_code == 202
    assert _rejection(receiver, "BAD-OFFER")["processingStatusMessage"] == "Invalid offer Id"
    assert_error(get(session, f"{TICKETS}/BAD-OFFER"), 404, "NotFound")


def test_unknown_transaction_or_one_on_another_offer_is_an_error_update(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    first, second = _transactions(sandbox)[:2]
    assert first["adId"] != second["adId"]
    unknown = _ticket(first, "BAD-TXN", transactionIds=[int(first["transactionId"]), 42])
    other_offer = _ticket(first, "OTHER-TXN", transactionIds=[int(second["transactionId"])])
    assert _create(session, unknown).status_code == 202
    assert _create(session, other_offer).status_code == 202
    for ticket_id in ("BAD-TXN", "OTHER-TXN"):
        message = _rejection(receiver, ticket_id)["processingStatusMessage"]
        assert message == "Invalid transaction Id"


def test_unknown_customer_is_an_error_update(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    txn = _transactions(sandbox)[0]
    body = _ticket(txn, "BAD-CUSTOMER", sourceCustomerId="never-started-a-session")
    assert _create(session, body).status_code == 202
    message = _rejection(receiver, "BAD-CUSTOMER")["processingStatusMessage"]
    assert message == "Invalid customer Id"


def test_rewarded_purchase_resolves_as_received_or_pending(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    overview = customer_overview(sandbox, LINKED)
    settled = {
        r["redemptionId"]
        for r in overview["redemptions"]
        if r["rewardSettlementRunDate"] is not None
    }
    txn = next(t for t in overview["transactions"] if t["redemptionId"] in settled)
    assert _create(session, _ticket(txn, "PAID")).status_code == 202
    closed = _updates(receiver, "PAID", 2)[1]
    assert closed["resolutionType"] == "No Credit: Reward Received"
    ticket = get(session, f"{TICKETS}/PAID").json()
    assert ticket["redemptionIds"] == [txn["redemptionId"]]


def test_missing_reward_on_a_qualifying_purchase_is_issued(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    txn = _unrewarded(sandbox)
    assert _create(session, _ticket(txn, "MISSING")).status_code == 202
    closed = _updates(receiver, "MISSING", 2)[1]
    assert closed["resolutionType"] == "No Credit: Reward Pending"
    (redemption_id,) = get(session, f"{TICKETS}/MISSING").json()["redemptionIds"]
    rtm = wait_until(lambda: receiver.accepted_json("rtm"))
    assert rtm[0]["event"] == "REDEMPTION_PENDING"
    assert rtm[0]["redemptions"][0]["redemptionId"] == redemption_id
    assert rtm[0]["redemptions"][0]["transactionId"] == txn["transactionId"]


def test_purchase_below_minimum_spend_is_not_eligible(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    overview = customer_overview(sandbox, LINKED)
    offers = {o["adId"]: o for o in overview["offers"]}
    txn = next(
        t
        for t in overview["transactions"]
        if t["amount"] < float(offers[t["adId"]]["minSpendAmount"])
    )
    assert _create(session, _ticket(txn, "LOW")).status_code == 202
    closed = _updates(receiver, "LOW", 2)[1]
    assert closed["resolutionType"] == "No Credit: Not eligible for reward"
    assert "minimum spend" in closed["cardlyticsResponse"]
    assert get(session, f"{TICKETS}/LOW").json()["redemptionIds"] == []


def test_updates_keep_their_order_when_the_first_needs_retries(
    sandbox: Sandbox, receiver: WebhookReceiver, session: CustomerSession
) -> None:
    receiver.reset(failures=2)
    assert _create(session, _ticket(_unrewarded(sandbox), "RETRY")).status_code == 202
    updates = _updates(receiver, "RETRY", 2)
    assert [u["status"] for u in updates] == ["In Process", "Closed"]
    statuses = [r.answered for r in receiver.received if b'"RETRY"' in r.body]
    assert statuses == [500, 500, 200, 200]


def test_ticket_ids_may_be_strings_and_customer_ids_numbers(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    # the seed's create sample sends sourceCustomerId as a number (C1#2); a numeric id works too
    session = api(sandbox).session("1756524")
    body = {
        "offerId": "1000030804",
        "transactionIds": ["1132328647"],
        "sourceTicketId": "testMonzo",
        "sourceCustomerId": 1756524,
        "description": "testMonzo description",
    }
    assert _create(session, body).status_code == 202
    update = _rejection(receiver, "testMonzo")
    assert update["sourceCustomerId"] == 1756524
    assert update["processingStatusMessage"] in {"Invalid offer Id", "Invalid transaction Id"}


def test_an_unlinked_customer_session_may_call_the_csa_api(
    sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    # the CSA API serves the publisher: any live session will do (B0)
    publisher = api(sandbox).session(UNLINKED)
    api(sandbox).session(LINKED)
    assert _create(publisher, _ticket(_unrewarded(sandbox), "ANY")).status_code == 202
    assert _updates(receiver, "ANY", 2)[1]["status"] == "Closed"
