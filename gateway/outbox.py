"""The customer ticket outbox: post what the store holds as pending until Cardlytics answers.

``createCustomerTicket`` commits the ticket first and then calls ``TicketOutbox.send`` once; the
``OutboxWorker`` (started in the app's lifespan) sends whatever is due after that: tickets whose
send failed and is waiting out its backoff, and tickets a crash or restart left claimed but
unacknowledged (their lease ran out). Re-sending is safe because the ``sourceTicketId`` is fixed
when the ticket is stored: Cardlytics reports a second copy as "Ticket already exists" on the
webhook and keeps one ticket (seed 000, upstreams.md C1#12).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.customer_ids import HashedCustomerId
from gateway.store.ticket_index import TrackedTicket
from gateway.store.tickets import StoredTicketIndex
from gateway.upstreams.cardlytics.tickets import Tickets
from gateway.upstreams.errors import (
    UpstreamError,
    UpstreamNotAllowed,
    UpstreamNotFound,
    UpstreamRejected,
)

__all__ = ["ALREADY_EXISTS", "OutboxPolicy", "OutboxWorker", "TicketOutbox", "utcnow"]

logger = logging.getLogger("gateway.outbox")

#: Cardlytics' processing error for a sourceTicketId it already holds (seed 000).
ALREADY_EXISTS = "Ticket already exists"

#: Answers that will not change however often the same ticket is posted again.
FINAL_REFUSALS = (UpstreamRejected, UpstreamNotFound, UpstreamNotAllowed)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxPolicy:
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0
    poll_interval_s: float = 1.0
    batch_size: int = 20

    def delay_s(self, attempts: int) -> float:
        """Doubling, capped, jittered: replicas that failed together do not retry together."""
        ceiling: float = min(self.retry_max_s, self.retry_base_s * 2.0 ** max(0, attempts - 1))
        return ceiling * random.uniform(0.5, 1.0)


class TicketOutbox:
    """The ticket index the resolvers see (``TicketIndex``), which also sends what it records."""

    def __init__(
        self,
        store: StoredTicketIndex,
        tickets: Tickets,
        policy: OutboxPolicy,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self._tickets = tickets
        self.policy = policy
        self._clock = clock

    async def add(self, ticket: TrackedTicket) -> TrackedTicket:
        return await self.store.add(ticket)

    async def get(self, customer: str, source_ticket_id: str) -> TrackedTicket | None:
        return await self.store.get(customer, source_ticket_id)

    async def for_customer(self, customer: str) -> list[TrackedTicket]:
        return await self.store.for_customer(customer)

    async def open(self, ticket: TrackedTicket) -> TrackedTicket:
        """Commit the ticket, then make the first attempt at sending it; the ticket after.

        A second open of the same id (a retried mutation) sends nothing new: the row is claimed
        or settled already, or its retry is not due, and the worker owns it from there.
        """
        stored = await self.store.add(ticket)
        if stored.send_attempts == 0:
            return await self.send(stored.source_ticket_id) or stored
        return stored

    async def send(self, source_ticket_id: str) -> TrackedTicket | None:
        """One attempt, if the ticket is due and nobody else is sending it; the ticket after."""
        ticket = await self.store.claim(source_ticket_id, self._clock())
        if ticket is None:
            return None
        await self._attempt(ticket)
        return await self.store.find(source_ticket_id)

    async def send_due(self) -> int:
        """One attempt at each ticket that is due now; how many this caller claimed."""
        claimed = []
        for source_ticket_id in await self.store.due(self._clock(), self.policy.batch_size):
            ticket = await self.store.claim(source_ticket_id, self._clock())
            if ticket is not None:  # else another replica (or the request) got there first
                claimed.append(ticket)
        # Concurrently: one ticket stuck on a slow answer does not hold back the rest.
        outcomes = await asyncio.gather(
            *(self._attempt(ticket) for ticket in claimed), return_exceptions=True
        )
        for ticket, outcome in zip(claimed, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                # Not recorded (the store failed): the lease runs out and it is sent again.
                logger.error(
                    "ticket send not recorded",
                    extra={"ticket": ticket.source_ticket_id},
                    exc_info=outcome,
                )
        return len(claimed)

    async def _attempt(self, ticket: TrackedTicket) -> None:
        sid = ticket.source_ticket_id
        if _held_upstream(ticket):
            # The 202 was lost but the webhook has since said Cardlytics has the ticket.
            await self.store.mark_sent(sid, self._clock())
            return
        try:
            await self._tickets.create(
                HashedCustomerId(ticket.customer),
                source_ticket_id=sid,
                offer_id=ticket.offer_id,
                transaction_ids=ticket.transaction_ids,
                description=ticket.description,
            )
        except FINAL_REFUSALS as error:
            reason = "; ".join((error.message, *getattr(error, "details", ())))
            logger.warning("ticket refused", extra={"ticket": sid, "reason": reason})
            await self.store.mark_refused(sid, reason)
        except ValueError as error:  # breaks a documented rule: Cardlytics could never accept it
            reason = f"not sendable: {str(error).splitlines()[0]}"
            logger.warning("ticket refused", extra={"ticket": sid, "reason": reason})
            await self.store.mark_refused(sid, reason)
        except UpstreamError as error:
            # Everything else may pass: unreachable, 5xx, timeout, 401/429, a garbled 202.
            delay = self.policy.delay_s(ticket.send_attempts)
            logger.info(
                "ticket send failed; will retry",
                extra={"ticket": sid, "attempt": ticket.send_attempts, "retry_in_s": delay},
            )
            await self.store.retry_at(sid, self._clock() + timedelta(seconds=delay), str(error))
        else:
            await self.store.mark_sent(sid, self._clock())


def _held_upstream(ticket: TrackedTicket) -> bool:
    return (
        ticket.processing_status == "Success"
        or ticket.status is not None
        or ticket.processing_message == ALREADY_EXISTS
    )


class OutboxWorker:
    """Sends what is due every ``poll_interval_s`` until stopped."""

    def __init__(self, outbox: TicketOutbox) -> None:
        self._outbox = outbox
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ticket-outbox")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        # A send cut short here stays claimed until its lease ends, then any replica resends it.
        if self._task is None:
            return
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._outbox.send_due()
            except Exception:  # the database or network hiccuped: try again next round
                logger.exception("ticket outbox round failed")
            self._wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._outbox.policy.poll_interval_s)
