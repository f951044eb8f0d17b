"""A delivery that cannot be read is refused with what is wrong, and nothing of it is stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.webhooks.support import Receiver, body_of, rtm_event, ticket_update

NOTHING = {"ticket_updates": 0, "reward_events": 0, "rewards": 0}


def _without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


def _redemption_without(key: str) -> dict[str, Any]:
    event = rtm_event()
    event["redemptions"][0].pop(key)
    return event


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        (b"{not json", 400, "body: is not JSON"),
        (b"\xff\xfe", 400, "body: is not JSON"),
        (b"[1, 2]", 400, "body: must be a JSON object"),
        (b"{}", 422, "body: neither a ticket update"),
        (body_of({"hello": "world"}), 422, "body: neither a ticket update"),
        (body_of({**ticket_update(), "event": "REDEMPTION_PENDING"}), 422, "body: neither"),
        (body_of(_without(ticket_update(), "sourceTicketId")), 422, "sourceTicketId: Field"),
        (body_of(_without(ticket_update(), "sourceCustomerId")), 422, "sourceCustomerId: Field"),
        (body_of(_without(ticket_update(), "processingStatus")), 422, "processingStatus: Field"),
        (body_of(ticket_update(processingStatus="Maybe")), 422, "processingStatus: Input"),
        (body_of(ticket_update(sourceTicketId="")), 422, "sourceTicketId: Value should"),
        (body_of(_without(rtm_event(), "eventId")), 422, "eventId: Field required"),
        (body_of(_without(rtm_event(), "eventTimestamp")), 422, "eventTimestamp: Field"),
        (body_of(_without(rtm_event(), "redemptions")), 422, "redemptions: must hold"),
        (body_of({**rtm_event(), "redemptions": []}), 422, "redemptions: must hold"),
        (body_of({**rtm_event(), "eventTimestamp": "yesterday"}), 422, "eventTimestamp: Input"),
        (body_of(_redemption_without("amount")), 422, "redemptions.0.amount: Field required"),
        (body_of(_redemption_without("redemptionId")), 422, "redemptions.0.redemptionId: Field"),
        (body_of(_redemption_without("sourceCustomerId")), 422, "0.sourceCustomerId: Field"),
    ],
)
def test_unreadable_deliveries_are_refused_and_not_stored(
    receiver: Receiver, body: bytes, status: int, problem: str
) -> None:
    response = receiver.post(body)

    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["error"] == "invalid_payload"
    assert any(problem in p for p in answer["problems"]), answer["problems"]
    assert receiver.counts() == NOTHING


def test_unknown_status_and_resolution_are_kept(receiver: Receiver) -> None:
    update = ticket_update(status="Escalated", resolutionType="Courtesy Credit")

    response = receiver.deliver(update)

    assert response.status_code == 200, response.text
    [row] = receiver.rows("ticket_updates")
    assert row["status"] == "Escalated"
    assert '"Courtesy Credit"' in row["payload"]


def test_failed_sample_with_undocumented_fields_is_kept(receiver: Receiver) -> None:
    # The seed's failed sample: numeric customer id, extra fields, no status (C1#2, C1#7).
    failed = {
        "offerId": 1000030804,
        "transactionIds": [1132328647],
        "resolutionType": "Courtesy Credit",
        "sourceTicketId": "testM",
        "sourceCustomerId": 1756524,
        "authorEmailAddress": "agent@example.com",
        "description": "testM description",
        "institutionId": "7094",
        "processingStatusMessage": "Ticket already exists",
        "processingStatus": "Error",
    }

    assert receiver.deliver(failed).status_code == 200
    [row] = receiver.rows("ticket_updates")
    assert (row["processing_status"], row["status"]) == ("Error", None)


def test_unknown_rtm_event_is_kept_but_not_folded(receiver: Receiver) -> None:
    response = receiver.deliver(rtm_event("REDEMPTION_SOMETHING_NEW"))

    assert response.status_code == 200
    assert receiver.counts() == {"ticket_updates": 0, "reward_events": 1, "rewards": 0}


def test_oversized_body_is_refused_before_reading(receiver: Receiver) -> None:
    limit = receiver.gateway.settings.max_body_bytes
    event = rtm_event()
    event["padding"] = "x" * (limit + 1)

    response = receiver.deliver(event)

    assert response.status_code == 413
    assert receiver.counts() == NOTHING
