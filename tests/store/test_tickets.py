"""The durable ticket index and the outbox's claims, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from gateway.store.db import Database
from gateway.store.models import CustomerTicketRow
from gateway.store.ticket_index import TrackedTicket
from gateway.store.tickets import StoredTicketIndex

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
UNAVAILABLE = "cardlytics: server error (HTTP 503)"


def ticket(sid: str = "rg-1", customer: str = "c-alice", at: datetime = T0) -> TrackedTicket:
    return TrackedTicket(
        source_ticket_id=sid,
        customer=customer,
        offer_id="1000055124",
        transaction_ids=("1484308150", "1375920849"),
        description="My reward never came",
        submitted_at=at,
    )


async def test_a_ticket_is_stored_pending_and_due_at_once(database: Database) -> None:
    # given
    store = StoredTicketIndex(database, lease_s=LEASE.total_seconds())
    # when
    stored = await store.add(ticket())
    # then
    assert stored == ticket()  # pending, never sent, no progress
    assert stored.submitted_at.tzinfo is not None
    assert await store.get("c-alice", "rg-1") == stored
    assert await store.due(T0, limit=10) == ["rg-1"]


async def test_a_second_add_keeps_the_first(database: Database) -> None:
    store = StoredTicketIndex(database)
    await store.add(ticket())
    again = await store.add(ticket(at=T0 + timedelta(minutes=5)))
    assert again.submitted_at == T0
    assert await store.for_customer("c-alice") == [ticket()]


async def test_concurrent_adds_of_one_id_store_one_row(database: Database) -> None:
    store = StoredTicketIndex(database)
    added = await asyncio.gather(*(store.add(ticket()) for _ in range(8)))
    assert {t.source_ticket_id for t in added} == {"rg-1"}
    assert len(await store.for_customer("c-alice")) == 1


async def test_only_the_owner_reads_a_ticket_newest_first(database: Database) -> None:
    store = StoredTicketIndex(database)
    await store.add(ticket("rg-old", at=T0))
    await store.add(ticket("rg-new", at=T0 + timedelta(seconds=1)))
    await store.add(ticket("rg-bob", customer="c-bob"))
    mine = await store.for_customer("c-alice")
    assert [t.source_ticket_id for t in mine] == ["rg-new", "rg-old"]
    assert await store.get("c-bob", "rg-old") is None
    assert await store.get("c-alice", "rg-missing") is None


async def test_one_claim_wins_and_holds_a_lease(database: Database) -> None:
    # given
    store = StoredTicketIndex(database, lease_s=LEASE.total_seconds())
    await store.add(ticket())
    # when: ten senders (replicas, the request, the worker) reach for it at once
    claims = await asyncio.gather(*(store.claim("rg-1", T0) for _ in range(10)))
    # then
    won = [c for c in claims if c is not None]
    assert len(won) == 1
    assert won[0].send_attempts == 1
    assert await store.due(T0 + LEASE - timedelta(seconds=1), limit=10) == []
    assert await store.claim("rg-1", T0 + LEASE - timedelta(seconds=1)) is None


async def test_a_lease_that_runs_out_lets_another_sender_resend(database: Database) -> None:
    # A sender that died mid-send never settles the row: after the lease it is due again.
    store = StoredTicketIndex(database, lease_s=LEASE.total_seconds())
    await store.add(ticket())
    assert await store.claim("rg-1", T0) is not None
    later = T0 + LEASE
    assert await store.due(later, limit=10) == ["rg-1"]
    again = await store.claim("rg-1", later)
    assert again is not None and again.send_attempts == 2 and again.resent


async def test_a_failed_send_waits_for_its_retry(database: Database) -> None:
    store = StoredTicketIndex(database, lease_s=LEASE.total_seconds())
    await store.add(ticket())
    await store.claim("rg-1", T0)
    await store.retry_at("rg-1", T0 + timedelta(seconds=4), UNAVAILABLE)
    assert await store.due(T0 + timedelta(seconds=3), limit=10) == []
    assert await store.due(T0 + timedelta(seconds=4), limit=10) == ["rg-1"]
    found = await store.find("rg-1")
    assert found is not None
    assert (found.outbox_state, found.last_error) == ("pending", UNAVAILABLE)


async def test_sent_and_refused_are_final(database: Database) -> None:
    # given
    store = StoredTicketIndex(database, lease_s=LEASE.total_seconds())
    await store.add(ticket("rg-sent"))
    await store.add(ticket("rg-refused"))
    for sid in ("rg-sent", "rg-refused"):
        await store.claim(sid, T0)
    # when
    await store.mark_sent("rg-sent", T0 + timedelta(seconds=1))
    await store.mark_refused("rg-refused", "Invalid offer Id")
    # a late answer to an expired lease cannot undo either outcome
    await store.retry_at("rg-sent", T0, "late timeout")
    await store.mark_refused("rg-sent", "late refusal")
    await store.mark_sent("rg-refused", T0)
    # then
    sent, refused = await store.find("rg-sent"), await store.find("rg-refused")
    assert sent is not None and refused is not None
    assert (sent.outbox_state, sent.sent_at, sent.last_error) == (
        "sent",
        T0 + timedelta(seconds=1),
        None,
    )
    assert (refused.outbox_state, refused.last_error) == ("refused", "Invalid offer Id")
    far = T0 + timedelta(days=1)
    assert await store.due(far, limit=10) == []
    assert await store.claim("rg-sent", far) is None


async def test_due_tickets_come_oldest_first_up_to_the_limit(database: Database) -> None:
    store = StoredTicketIndex(database)
    for n in range(5):
        await store.add(ticket(f"rg-{n}", at=T0 + timedelta(seconds=5 - n)))
    due = await store.due(T0 + timedelta(minutes=1), limit=3)
    assert due == ["rg-4", "rg-3", "rg-2"]


async def test_progress_recorded_by_the_webhook_receiver_is_read_back(database: Database) -> None:
    # given: what the receiver writes into the row (gateway/store/events.py)
    store = StoredTicketIndex(database)
    await store.add(ticket())
    async with database.transaction() as session:
        await session.execute(
            update(CustomerTicketRow)
            .where(CustomerTicketRow.source_ticket_id == "rg-1")
            .values(
                processing_status="Success",
                status="Closed",
                resolution="No Credit: Reward Received",
                resolution_text="Credited on 2026-11-20",
                updated_at=T0 + timedelta(minutes=3),
            )
        )
    # when
    found = await store.get("c-alice", "rg-1")
    # then
    assert found is not None
    assert (found.processing_status, found.status, found.resolution) == (
        "Success",
        "Closed",
        "No Credit: Reward Received",
    )
    assert found.resolution_text == "Credited on 2026-11-20"
    assert found.updated_at == T0 + timedelta(minutes=3)
