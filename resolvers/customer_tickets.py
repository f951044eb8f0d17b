"""Customer tickets (Cardlytics CSA): open one for the signed-in customer, and follow it.

Creation is asynchronous upstream: 202 now, processing later (seed 000). The gateway's store
holds each ticket it opened, its outbox state and the progress the webhook receiver recorded
(processing result, status, resolution), and answers from there. Only what no webhook carries
(closing date, redemption ids, activation date, Cardlytics' ticket id), or the status before any
webhook has arrived, is read from Cardlytics: once per ticket per request, and only for a ticket
Cardlytics may hold (404 until it has processed it).
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
from gateway.outbox import ALREADY_EXISTS, TicketOutbox
from gateway.store.ticket_index import TrackedTicket
from gateway.upstreams.cardlytics.models import Ticket
from gateway.upstreams.cardlytics.models.tickets import MAX_TRANSACTION_IDS
from gateway.upstreams.clickbank import TicketData
from gateway.upstreams.errors import UpstreamNotFound
from resolvers.vendor_tickets import vendor_tickets_on_receipt
from resolvers.viewer import require_agent, require_customer

__all__ = [
    "ALREADY_EXISTS",
    "MAX_CONCURRENT_LOADS",
    "CustomerTicketInvalid",
    "NewCustomerTicket",
    "accepted",
    "customer_ticket",
    "customer_tickets",
    "load_progress",
    "may_have_progress",
    "open_customer_ticket",
    "refusal",
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
    """Record the ticket, then send it; it is pending until Cardlytics processes it.

    The ticket is committed (outbox ``pending``) before anything is posted, with the
    ``sourceTicketId`` fixed, so a crash between the two loses nothing and every resend is the
    same ticket (seed 000). The first attempt is made here; if Cardlytics cannot be reached the
    ticket is still returned, and the outbox worker keeps sending it with backoff. A final
    refusal comes back on the ticket (``outbox_state`` refused, ``last_error`` the reason).
    """
    customer = require_customer(context)
    checked = _checked(new)
    source_ticket_id = _source_ticket_id(customer, checked.idempotency_key)
    known = await context.ticket_index.get(customer, source_ticket_id)
    if known is not None:
        return known  # the same mutation again: stored (and sent, or being sent) already
    tracked = TrackedTicket(
        source_ticket_id=source_ticket_id,
        customer=customer,
        offer_id=checked.offer_id,
        transaction_ids=tuple(checked.transaction_ids),
        description=checked.description,
        submitted_at=datetime.now(UTC),
    )
    return await _outbox(context).open(tracked)


def _outbox(context: Context) -> TicketOutbox:
    index = context.ticket_index
    if not isinstance(index, TicketOutbox):
        raise RuntimeError("opening customer tickets needs the outbox as the ticket index")
    return index


# --- how far a ticket has got -------------------------------------------------------------------


def refusal(ticket: TrackedTicket) -> str | None:
    """Why the ticket will not be processed, or None while it may be.

    "Ticket already exists" is never a refusal: our ``sourceTicketId``s are random or keyed by
    the customer's own idempotency key, so another copy can only be one we posted ourselves, a
    resend after a timeout or a crash, and that copy is the ticket.
    """
    if ticket.outbox_state == "refused":
        return ticket.last_error or "refused by Cardlytics"
    if ticket.processing_status == "Error" and ticket.processing_message != ALREADY_EXISTS:
        return ticket.processing_message or "Cardlytics could not process the ticket"
    return None


def accepted(ticket: TrackedTicket) -> bool:
    """Whether a webhook has said Cardlytics holds the ticket (no GET needed to know)."""
    if refusal(ticket) is not None:
        return False
    return ticket.status is not None or ticket.processing_status in ("Success", "Error")


def may_have_progress(ticket: TrackedTicket) -> bool:
    """Whether Cardlytics may answer a GET for it: sent (or already seen), and not refused."""
    return refusal(ticket) is None and (ticket.outbox_state == "sent" or accepted(ticket))
