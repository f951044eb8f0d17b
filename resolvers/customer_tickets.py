"""Customer tickets (Cardlytics CSA): open one for the signed-in customer, and follow it.

Creation is asynchronous upstream: 202 now, processing later (seed 000). What the gateway sent
is kept in the ticket index; Cardlytics' view (status, resolution) is read per ticket, once per
request, and is absent (404) until Cardlytics has processed the ticket.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from aiodataloader import DataLoader

from gateway.context import Context
from gateway.customer_ids import HashedCustomerId
from gateway.store.ticket_index import TrackedTicket
from gateway.upstreams.cardlytics.models import Ticket
from gateway.upstreams.cardlytics.models.tickets import MAX_TRANSACTION_IDS
from gateway.upstreams.clickbank import TicketData
from gateway.upstreams.errors import UpstreamNotFound
from resolvers.vendor_tickets import vendor_tickets_on_receipt
from resolvers.viewer import require_agent, require_customer

__all__ = [
    "MAX_CONCURRENT_LOADS",
    "CustomerTicketInvalid",
    "NewCustomerTicket",
    "customer_ticket",
    "customer_tickets",
    "load_progress",
    "open_customer_ticket",
    "tickets_of",
]

#: Ticket reads in flight at once per request.
MAX_CONCURRENT_LOADS = 4
MAX_DESCRIPTION = 2000

ProgressKey = tuple[str, str]  # (hashed customer id, sourceTicketId)


class CustomerTicketInvalid(ValueError):
    """An argument breaks a documented rule; ``field`` names the input field. Nothing was sent."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ProgressLoader(DataLoader[ProgressKey, Ticket | None]):
    """Cardlytics' view of tickets for one request: each fetched once, a few at a time."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self._tickets = context.upstreams.cardlytics.tickets
        self._gate = asyncio.Semaphore(MAX_CONCURRENT_LOADS)

    async def batch_load_fn(self, keys: list[ProgressKey]) -> list[Ticket | None]:
        answers = await asyncio.gather(*(self._one(key) for key in keys), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException) and not isinstance(answer, Exception):
                raise answer
        return cast(list[Ticket | None], answers)

    async def _one(self, key: ProgressKey) -> Ticket | None:
        customer, source_ticket_id = key
        async with self._gate:
            try:
                return await self._tickets.get(HashedCustomerId(customer), source_ticket_id)
            except UpstreamNotFound:
                return None  # not processed yet (or rejected: the webhook says which, issue 4)


def progress_loader(context: Context) -> ProgressLoader:
    return ProgressLoader(context)


async def load_progress(context: Context, ticket: TrackedTicket) -> Ticket | None:
    return await context.loader(progress_loader).load((ticket.customer, ticket.source_ticket_id))


# --- reads ----------------------------------------------------------------------------------


async def customer_tickets(context: Context) -> list[TrackedTicket]:
    customer = require_customer(context)
    return await context.ticket_index.for_customer(customer)


async def customer_ticket(context: Context, source_ticket_id: str) -> TrackedTicket | None:
    # Only the index is asked: another customer's ticket is "not found", never fetched.
    customer = require_customer(context)
    return await context.ticket_index.get(customer, source_ticket_id)


async def tickets_of(
    context: Context, raw_customer_id: str | None, receipt: str | None
) -> tuple[list[TrackedTicket], list[TicketData]]:
    """For an agent: a customer's tickets (by their raw id) and the vendor tickets on a receipt."""
    require_agent(context)
    if raw_customer_id is None and receipt is None:
        raise CustomerTicketInvalid("customerId", "name a customer, a receipt, or both")
    if raw_customer_id is not None and not raw_customer_id.strip():
        raise CustomerTicketInvalid("customerId", "must not be empty")
    index = context.ticket_index
    customer = context.upstreams.customer_ids(raw_customer_id.strip()) if raw_customer_id else None
    # the index answers at once; only the receipt's search goes upstream
    customers = await index.for_customer(customer) if customer is not None else []
    vendors = await vendor_tickets_on_receipt(context, receipt) if receipt is not None else []
    return customers, vendors


# --- opening a ticket -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewCustomerTicket:
    offer_id: str
    transaction_ids: Sequence[str]
    description: str
    # Same key, same customer: same sourceTicketId, so a retried mutation is one ticket.
    idempotency_key: str | None = None


def _checked(new: NewCustomerTicket) -> NewCustomerTicket:
    offer_id = new.offer_id.strip()
    if not offer_id:
        raise CustomerTicketInvalid("offerId", "must name the offer")
    ids = [t.strip() for t in new.transaction_ids]
    if not 1 <= len(ids) <= MAX_TRANSACTION_IDS:
        raise CustomerTicketInvalid(
            "transactionIds", f"must list 1 to {MAX_TRANSACTION_IDS} transactions"
        )
    if any(not t for t in ids) or len(set(ids)) != len(ids):
        raise CustomerTicketInvalid("transactionIds", "must be different, non-empty ids")
    description = new.description.strip()
    if not description:
        raise CustomerTicketInvalid("description", "must say what went wrong")
    if len(description) > MAX_DESCRIPTION:
        raise CustomerTicketInvalid("description", f"may be {MAX_DESCRIPTION} characters long")
    key = new.idempotency_key
    if key is not None and not 1 <= len(key.strip()) <= 200:
        raise CustomerTicketInvalid("idempotencyKey", "must be 1 to 200 characters")
    return NewCustomerTicket(offer_id, tuple(ids), description, key)


def _source_ticket_id(customer: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return f"rg-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{customer}\n{idempotency_key.strip()}".encode()).hexdigest()
    return f"rg-{digest[:32]}"


async def open_customer_ticket(context: Context, new: NewCustomerTicket) -> TrackedTicket:
    """Send the ticket; it is pending until Cardlytics processes it.

    The gateway chooses the ``sourceTicketId`` before the first send and the client resends the
    same one until Cardlytics acknowledges (seed 000), so a resend can never open a second
    ticket. The index records the ticket once acknowledged; issue 4's outbox records it first
    and re-sends what a crash left unacknowledged.
    """
    customer = require_customer(context)
    checked = _checked(new)
    source_ticket_id = _source_ticket_id(customer, checked.idempotency_key)
    known = await context.ticket_index.get(customer, source_ticket_id)
    if known is not None:
        return known  # the same mutation again: it was acknowledged already
    await context.upstreams.cardlytics.tickets.create(
        customer,
        source_ticket_id=source_ticket_id,
        offer_id=checked.offer_id,
        transaction_ids=checked.transaction_ids,
        description=checked.description,
    )
    tracked = TrackedTicket(
        source_ticket_id=source_ticket_id,
        customer=customer,
        offer_id=checked.offer_id,
        transaction_ids=tuple(checked.transaction_ids),
        description=checked.description,
        submitted_at=datetime.now(UTC),
    )
    return await context.ticket_index.add(tracked)
