"""Which customer tickets each customer opened through the gateway.

The CSA tickets API can only GET one ticket by its ``sourceTicketId``: it cannot list a
customer's tickets. So the gateway remembers what it sent, per hashed customer id, and asks
Cardlytics for the progress of each. ``InProcessTicketIndex`` lives in the app's state and is
lost on restart and not shared between replicas; issue 4 adds a durable implementation (PostgreSQL,
beside the outbox and webhook updates) behind this same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["InProcessTicketIndex", "TicketIndex", "TrackedTicket"]


@dataclass(frozen=True)
class TrackedTicket:
    """A ticket as the gateway sent it; Cardlytics' view of it is fetched separately."""

    source_ticket_id: str
    customer: str  # the hashed customer id the ticket was opened for, never the raw one
    offer_id: str
    transaction_ids: tuple[str, ...]
    description: str
    submitted_at: datetime


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
    """The index in this process's memory (sandbox and single-replica deployments)."""

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
