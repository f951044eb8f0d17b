"""The ticket outbox against the sandbox: retries until 202, final refusals, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway.outbox import OutboxPolicy, OutboxWorker, TicketOutbox
from gateway.store.db import Database
from gateway.store.models import CustomerTicketRow
from gateway.store.ticket_index import TrackedTicket
from gateway.store.tickets import StoredTicketIndex
from gateway.upstreams.resilience import CircuitBreaker
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import (
    HASHER,
    NO_RETRIES,
    TICKETS_POST,
    calls_to,
    cardlytics_client,
)

FAST = OutboxPolicy(retry_base_s=0.02, retry_max_s=0.1, poll_interval_s=0.02)
LINKED = HASHER("customer-linked")


def ticket(sid: str = "rg-outbox-1") -> TrackedTicket:
    # customer-linked's settled purchase (gateway/sandbox/cardlytics/README.md)
    return TrackedTicket(
        source_ticket_id=sid,
        customer=LINKED,
        offer_id="1000055124",
        transaction_ids=("1484308150",),
        description="My reward never came",
        submitted_at=datetime.now(UTC),
    )


@asynccontextmanager
async def outbox_on(
    sandbox: Sandbox, url: str, *, lease_s: float = 30.0, read_timeout_s: float = 5.0
) -> AsyncIterator[TicketOutbox]:
    """An outbox as the app builds one (one attempt per send: the outbox does the retrying)."""
    database = Database(url)
    await database.migrate()
    breaker = CircuitBreaker(failure_threshold=100)
    try:
        async with cardlytics_client(
            sandbox.cardlytics_url, retry=NO_RETRIES, breaker=breaker, read_timeout_s=read_timeout_s
        ) as client:
            yield TicketOutbox(StoredTicketIndex(database, lease_s=lease_s), client.tickets, FAST)
    finally:
        await database.aclose()


@asynccontextmanager
async def worker_for(outbox: TicketOutbox) -> AsyncIterator[OutboxWorker]:
    worker = OutboxWorker(outbox)
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def state_of(outbox: TicketOutbox, sid: str) -> str | None:
    found = await outbox.store.find(sid)
    return found.outbox_state if found else None


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"


async def test_503s_are_retried_with_backoff_until_202(sandbox: Sandbox, store_url: str) -> None:
    # given
    sandbox.faults("cardlytics", {"match": TICKETS_POST, "error_status": 503, "times": 4})
    async with outbox_on(sandbox, store_url) as outbox:
        # when: the request's own attempt fails, the worker carries on
        first = await outbox.open(ticket())
        assert (first.outbox_state, first.send_attempts) == ("pending", 1)
        assert first.last_error is not None and "503" in first.last_error
        async with worker_for(outbox):

            async def sent() -> bool:
                return await state_of(outbox, "rg-outbox-1") == "sent"

            await until(sent)
        # then
        done = await outbox.store.find("rg-outbox-1")
    assert done is not None
    assert (done.send_attempts, done.last_error) == (5, None)
    assert done.sent_at is not None
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 5


async def test_a_final_400_marks_the_ticket_refused_with_the_reason(
    sandbox: Sandbox, store_url: str
) -> None:
    # given
    sandbox.faults("cardlytics", {"match": TICKETS_POST, "error_status": 400})
    async with outbox_on(sandbox, store_url) as outbox, worker_for(outbox):
        # when
        result = await outbox.open(ticket())
        await asyncio.sleep(5 * FAST.poll_interval_s)  # the worker has had its chances
    # then
    assert result.outbox_state == "refused"
    assert result.last_error  # Cardlytics' own title for the refusal
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 1  # never resent


async def test_a_ticket_that_could_never_be_sent_is_refused_not_retried(
    sandbox: Sandbox, store_url: str
) -> None:
    # The resolver checks the rules first; this is the outbox's own guard against a bad row.
    too_many = tuple(str(1000 + n) for n in range(11))
    async with outbox_on(sandbox, store_url) as outbox:
        result = await outbox.open(
            TrackedTicket(**{**ticket().__dict__, "transaction_ids": too_many})
        )
    assert result.outbox_state == "refused"
    assert result.last_error is not None and "\n" not in result.last_error
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 0


async def test_a_restarted_worker_sends_what_a_crash_left_claimed(
    sandbox: Sandbox, store_url: str
) -> None:
    # given: a gateway stored the ticket, claimed it, and died before any answer
    async with outbox_on(sandbox, store_url, lease_s=0.3) as crashed:
        await crashed.store.add(ticket())
        assert await crashed.store.claim("rg-outbox-1", datetime.now(UTC)) is not None
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 0
    # when: a new process opens the same store
    async with outbox_on(sandbox, store_url, lease_s=0.3) as restarted, worker_for(restarted):

        async def sent() -> bool:
            return await state_of(restarted, "rg-outbox-1") == "sent"

        await until(sent)
    # then: sent once, and Cardlytics processes it
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 1
    await _until_upstream_has(sandbox, "rg-outbox-1")


async def test_stopping_the_worker_mid_send_leaves_the_ticket_for_the_next(
    sandbox: Sandbox, store_url: str
) -> None:
    # given: the send hangs
    sandbox.faults("cardlytics", {"match": TICKETS_POST, "hang_s": 2.0, "times": 1})
    async with outbox_on(sandbox, store_url, lease_s=0.5) as outbox:
        await outbox.store.add(ticket())
        async with worker_for(outbox):

            async def in_flight() -> bool:
                return calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 1

            await until(in_flight)
        # when: stopped (shutdown) while the send is in flight
        stopped = await outbox.store.find("rg-outbox-1")
        assert stopped is not None and stopped.outbox_state == "pending"
        # then: a new worker takes it once the lease ends
        async with worker_for(outbox):

            async def sent() -> bool:
                return await state_of(outbox, "rg-outbox-1") == "sent"

            await until(sent)
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 2


async def _until_upstream_has(sandbox: Sandbox, sid: str) -> None:
    async with httpx.AsyncClient(base_url=sandbox.cardlytics_url) as http:

        async def processed() -> bool:
            answer = await http.get("/_sandbox/deliveries", params={"kind": "ticket"})
            return any(
                d["payload"].get("sourceTicketId") == sid
                and d["payload"].get("processingStatus") == "Success"
                for d in answer.json()["deliveries"]
            )

        await until(processed)


async def test_a_resend_of_a_ticket_cardlytics_already_took_is_one_ticket(
    sandbox: Sandbox, store_url: str
) -> None:
    # given: Cardlytics takes the first post but its answer is garbled on the way back
    sandbox.faults("cardlytics", {"match": TICKETS_POST, "malformed": True, "times": 1})
    async with outbox_on(sandbox, store_url) as outbox, worker_for(outbox):
        # when
        first = await outbox.open(ticket())
        assert first.outbox_state == "pending"  # no readable 202: it must be sent again

        async def sent() -> bool:
            return await state_of(outbox, "rg-outbox-1") == "sent"

        await until(sent)
    # then: the resend is reported as a duplicate, and there is one ticket
    await _until_upstream_has(sandbox, "rg-outbox-1")
    payloads = await _deliveries(sandbox, "rg-outbox-1")

    async def duplicate_reported() -> bool:
        payloads[:] = await _deliveries(sandbox, "rg-outbox-1")
        return any(p.get("processingStatusMessage") == "Ticket already exists" for p in payloads)

    await until(duplicate_reported)
    accepted = [p for p in payloads if p["processingStatus"] == "Success"]
    assert len({p["cdlxTicketId"] for p in accepted}) == 1
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 2


async def _deliveries(sandbox: Sandbox, sid: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=sandbox.cardlytics_url) as http:
        answer = await http.get("/_sandbox/deliveries", params={"kind": "ticket"})
    return [
        d["payload"]
        for d in answer.json()["deliveries"]
        if d["payload"].get("sourceTicketId") == sid
    ]


async def test_a_ticket_the_webhook_says_cardlytics_holds_is_not_posted_again(
    sandbox: Sandbox, store_url: str
) -> None:
    # given: the 202 never arrived, but the processing update did (the receiver wrote it)
    async with outbox_on(sandbox, store_url) as outbox:
        await outbox.store.add(ticket())
        database = Database(store_url)
        try:
            async with database.transaction() as session:
                row = await session.get(CustomerTicketRow, "rg-outbox-1")
                assert row is not None
                row.processing_status, row.status = "Success", "In Process"
        finally:
            await database.aclose()
        # when
        await outbox.send_due()
        # then
        assert await state_of(outbox, "rg-outbox-1") == "sent"
    assert calls_to(sandbox, TICKETS_POST)[TICKETS_POST] == 0
