"""Redeliveries change nothing and still get 2xx; concurrent duplicates store one row."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.webhooks.support import Receiver, body_of, rtm_event, ticket_update


def test_a_redelivered_ticket_update_changes_nothing(receiver: Receiver) -> None:
    update = ticket_update()

    first, again = receiver.deliver(update), receiver.deliver(update)

    assert (first.status_code, first.json()) == (200, {"status": "stored"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert len(receiver.rows("ticket_updates")) == 1


def test_the_same_update_spelled_differently_is_a_duplicate(receiver: Receiver) -> None:
    update = ticket_update()
    reordered = json.dumps(dict(reversed(list(update.items()))), indent=2).encode()

    receiver.deliver(update)
    response = receiver.post(reordered)

    assert response.json() == {"status": "duplicate"}
    assert len(receiver.rows("ticket_updates")) == 1


def test_the_next_update_of_a_ticket_is_stored(receiver: Receiver) -> None:
    receiver.deliver(ticket_update(status="In Process"))
    receiver.deliver(ticket_update(status="Closed", resolutionType="No Credit: Reward Pending"))

    assert [r["status"] for r in receiver.rows("ticket_updates")] == ["In Process", "Closed"]


def test_a_redelivered_rtm_event_changes_nothing(receiver: Receiver) -> None:
    event = rtm_event(event_id="e-1")
    receiver.deliver(event)
    # A redelivery is the same eventId; even a changed body must not fold twice.
    changed = {**event, "redemptions": [{**event["redemptions"][0], "amount": 99.0}]}

    again = receiver.deliver(changed)

    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert len(receiver.rows("reward_events")) == 1
    [reward] = receiver.rows("rewards")
    assert reward["amount"] == "5.0"


def test_concurrent_duplicates_store_one_row(receiver: Receiver) -> None:
    body = body_of(rtm_event(event_id="e-concurrent"))
    token = receiver.keys.sign(body)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: receiver.post(body, token=token), range(20)))

    assert [a.status_code for a in answers] == [200] * 20
    assert sorted(a.json()["status"] for a in answers).count("stored") == 1
    assert len(receiver.rows("reward_events")) == 1
    assert len(receiver.rows("rewards")) == 1


def test_concurrent_duplicate_ticket_updates_store_one_row(receiver: Receiver) -> None:
    body = body_of(ticket_update("T-concurrent"))

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: receiver.post(body), range(20)))

    assert [a.status_code for a in answers] == [200] * 20
    assert len(receiver.rows("ticket_updates")) == 1


def test_concurrent_events_about_one_redemption_fold_into_one_reward(
    receiver: Receiver,
) -> None:
    pending = rtm_event("REDEMPTION_PENDING", timestamp="2025-03-08T10:00:00Z")
    confirmed = rtm_event(
        "REDEMPTION_CONFIRMED",
        timestamp="2025-03-09T10:00:00Z",
        settled="2025-03-09T09:00:00Z",
    )

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(receiver.deliver, [pending, confirmed]))

    assert [a.status_code for a in answers] == [200, 200]
    assert len(receiver.rows("reward_events")) == 2
    [reward] = receiver.rows("rewards")
    assert reward["state"] == "CONFIRMED"


def test_a_late_older_event_does_not_undo_a_confirmation(receiver: Receiver) -> None:
    receiver.deliver(rtm_event("REDEMPTION_CONFIRMED", settled="2025-03-09T09:00:00Z"))
    receiver.deliver(rtm_event("REDEMPTION_PENDING", amount=4.0))

    [reward] = receiver.rows("rewards")
    assert (reward["state"], reward["amount"]) == ("CONFIRMED", "5.0")
