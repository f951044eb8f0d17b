"""Which customer tickets each customer opened through the gateway, and how far each has got.

The CSA tickets API can only GET one ticket by its ``sourceTicketId``: it cannot list a
customer's tickets. So the gateway remembers what it sent, per hashed customer id.
``gateway.store.tickets.StoredTicketIndex`` keeps that in the database beside the ticket outbox
and the progress the webhook receiver records (every replica sees the same tickets, and a restart
loses none). ``InProcessTicketIndex`` keeps it in memory, for tests of code that only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["OUTBOX_STATES", "InProcessTicketIndex", "TicketIndex", "TrackedTicket"]

#: pending: not yet acknowledged; sent: Cardlytics answered 202; refused: a final 4xx.
OUTBOX_STATES = ("pending", "sent", "refused")


@dataclass(frozen=True)
class TrackedTicket:
    """A ticket as the gateway sent it, with its outbox state and the latest webhook progress."""

    source_ticket_id: str
    customer: str  # the hashed customer id the ticket was opened for, never the raw one
    offer_id: str
    transaction_ids: tuple[str, ...]
    description: str
    submitted_at: datetime
    outbox_state: str = "pending"
    send_attempts: int = 0
    last_error: str | None = None  # why the last send failed, or why it was refused
    sent_at: datetime | None = None
    # As the webhook receiver recorded them (None until the first update arrives).
    processing_status: str | None = None  # Success | Error
    processing_message: str | None = None
    status: str | None = None  # In Process | Closed | anything newer, kept as sent
    resolution: str | None = None
    resolution_text: str | None = None
    updated_at: datetime | None = None

    @property
    def resent(self) -> bool:
        """Whether the gateway may have posted it more than once (a retry, or after a crash)."""
        return self.send_attempts > 1


class TicketIndex(Protocol):
    async def add(self, ticket: TrackedTicket) -> TrackedTicket:
        """Record ``ticket``; a second add of the same id keeps (and returns) the first."""
        ...

    async def get(self, customer: str, source_ticket_id: str) -> TrackedTicket | None:
        """The customer's ticket, or None: another customer's ticket is never returned."""
        ...

    async def for_customer(self, customer: str) -> list[TrackedTicket]:
        """The customer's tickets, newest first."""
        ...


class InProcessTicketIndex:
    """The index in this process's memory: lost on restart, not shared, no outbox."""

    def __init__(self) -> None:
        self._by_customer: dict[str, dict[str, TrackedTicket]] = {}

    async def add(self, ticket: TrackedTicket) -> TrackedTicket:
        tickets = self._by_customer.setdefault(ticket.customer, {})
        return tickets.setdefault(ticket.source_ticket_id, ticket)

    async def get(self, customer: str, source_ticket_id: str) -> TrackedTicket | None:
        return self._by_customer.get(customer, {}).get(source_ticket_id)

    async def for_customer(self, customer: str) -> list[TrackedTicket]:
        tickets = self._by_customer.get(customer, {}).values()
        return sorted(tickets, key=lambda t: t.submitted_at, reverse=True)
