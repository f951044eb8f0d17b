"""The durable ticket index and the ticket outbox, in the ``customer_tickets`` table.

A ticket is committed as ``pending`` before anything is posted. A sender *claims* it with one
guarded UPDATE (``outbox_state = 'pending' AND next_attempt_at <= now``), which also pushes
``next_attempt_at`` a lease into the future: of several replicas (or a request and the worker)
only the one whose UPDATE matched sends, and if that sender dies mid-send the lease runs out and
the row is due again. The same statement is atomic on SQLite and PostgreSQL, so no dialect
branch is needed. Progress columns (``processing_status`` ... ``updated_at``) are written by the
webhook receiver; this module only reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.db import Database
from gateway.store.models import CustomerTicketRow
from gateway.store.ticket_index import TrackedTicket

__all__ = ["StoredTicketIndex"]

_ROW = CustomerTicketRow


class StoredTicketIndex:
    """``TicketIndex`` on the database, plus the outbox operations the sender needs."""

    def __init__(self, database: Database, *, lease_s: float = 60.0) -> None:
        self._db = database
        self._lease = timedelta(seconds=lease_s)

    # --- the index ----------------------------------------------------------------------

    async def add(self, ticket: TrackedTicket) -> TrackedTicket:
        values = {
            "source_ticket_id": ticket.source_ticket_id,
            "customer": ticket.customer,
            "offer_id": ticket.offer_id,
            "transaction_ids": {"ids": list(ticket.transaction_ids)},
            "description": ticket.description,
            "submitted_at": ticket.submitted_at,
            "outbox_state": "pending",
            "send_attempts": 0,
            "next_attempt_at": ticket.submitted_at,  # due at once
        }
        on_pg = self._db.engine.dialect.name == "postgresql"
        insert = postgresql.insert if on_pg else sqlite.insert
        async with self._db.transaction() as session:
            # A concurrent add of the same id (a retried mutation) keeps the first row.
            await session.execute(insert(_ROW).values(values).on_conflict_do_nothing())
            row = await session.get(_ROW, ticket.source_ticket_id)
            assert row is not None
            return _tracked(row)

    async def get(self, customer: str, source_ticket_id: str) -> TrackedTicket | None:
        async with self._db.transaction() as session:
            row = await session.get(_ROW, source_ticket_id)
        return _tracked(row) if row is not None and row.customer == customer else None

    async def for_customer(self, customer: str) -> list[TrackedTicket]:
        query = (
            select(_ROW)
            .where(_ROW.customer == customer)
            .order_by(_ROW.submitted_at.desc(), _ROW.source_ticket_id)
        )
        return await self._tracked_all(query)

    async def find(self, source_ticket_id: str) -> TrackedTicket | None:
        """Any customer's ticket by id: for the outbox, never for answering a viewer."""
        async with self._db.transaction() as session:
            row = await session.get(_ROW, source_ticket_id)
        return _tracked(row) if row is not None else None

    # --- the outbox ---------------------------------------------------------------------

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of pending tickets whose next attempt is due, oldest first (not yet claimed)."""
        query = (
            select(_ROW.source_ticket_id)
            .where(_ROW.outbox_state == "pending", _ROW.next_attempt_at <= now)
            .order_by(_ROW.next_attempt_at)
            .limit(limit)
        )
        async with self._db.transaction() as session:
            return list((await session.scalars(query)).all())

    async def claim(self, source_ticket_id: str, now: datetime) -> TrackedTicket | None:
        """The ticket, now this caller's to send until the lease ends; None if not due or taken."""
        claimed = (
            update(_ROW)
            .where(
                _ROW.source_ticket_id == source_ticket_id,
                _ROW.outbox_state == "pending",
                _ROW.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + self._lease, send_attempts=_ROW.send_attempts + 1)
        )
        async with self._db.transaction() as session:
            if await _changed(session, claimed) == 0:
                return None
            row = await session.get(_ROW, source_ticket_id, populate_existing=True)
            assert row is not None
            return _tracked(row)

    async def mark_sent(self, source_ticket_id: str, now: datetime) -> None:
        await self._settle(source_ticket_id, outbox_state="sent", sent_at=now, last_error=None)

    async def mark_refused(self, source_ticket_id: str, reason: str) -> None:
        await self._settle(source_ticket_id, outbox_state="refused", last_error=reason)

    async def retry_at(self, source_ticket_id: str, at: datetime, error: str) -> None:
        """Leave it pending, due again at ``at``, remembering why this attempt failed."""
        statement = (
            update(_ROW)
            .where(_ROW.source_ticket_id == source_ticket_id, _ROW.outbox_state == "pending")
            .values(next_attempt_at=at, last_error=error)
        )
        async with self._db.transaction() as session:
            await session.execute(statement)

    async def _settle(self, source_ticket_id: str, **values: object) -> None:
        # Only a pending row moves: a late answer to a lease-expired send cannot undo an outcome.
        statement = (
            update(_ROW)
            .where(_ROW.source_ticket_id == source_ticket_id, _ROW.outbox_state == "pending")
            .values(next_attempt_at=None, **values)
        )
        async with self._db.transaction() as session:
            await session.execute(statement)

    async def _tracked_all(self, query: object) -> list[TrackedTicket]:
        async with self._db.transaction() as session:
            rows: Sequence[CustomerTicketRow] = (await session.scalars(query)).all()  # type: ignore[call-overload]
        return [_tracked(row) for row in rows]


async def _changed(session: AsyncSession, statement: object) -> int:
    result = await session.execute(statement)  # type: ignore[call-overload]
    count: int = result.rowcount
    return count


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every value the gateway writes is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _tracked(row: CustomerTicketRow) -> TrackedTicket:
    ids = row.transaction_ids.get("ids", []) if isinstance(row.transaction_ids, dict) else []
    submitted = _utc(row.submitted_at)
    assert submitted is not None
    return TrackedTicket(
        source_ticket_id=row.source_ticket_id,
        customer=row.customer,
        offer_id=row.offer_id,
        transaction_ids=tuple(str(t) for t in ids),
        description=row.description,
        submitted_at=submitted,
        outbox_state=row.outbox_state,
        send_attempts=row.send_attempts,
        last_error=row.last_error,
        sent_at=_utc(row.sent_at),
        processing_status=row.processing_status,
        processing_message=row.processing_message,
        status=row.status,
        resolution=row.resolution,
        resolution_text=row.resolution_text,
        updated_at=_utc(row.updated_at),
    )
