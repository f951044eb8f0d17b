"""CSA tickets: create one (accepted now, processed later, seed 000) and read it back."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from gateway.customer_ids import ANONYMOUS, HashedCustomerId
from gateway.upstreams.cardlytics.models import Accepted, NewTicket, Ticket
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.cardlytics.wire import Expect

__all__ = ["TICKETS", "Tickets"]

TICKETS = "/csaapi/v2/tickets"


class Tickets:
    """``/csaapi/v2/tickets``, keyed by our ``source_ticket_id``."""

    def __init__(self, transport: CardlyticsTransport) -> None:
        self._transport = transport

    async def create(
        self,
        customer: HashedCustomerId,
        *,
        source_ticket_id: str,
        offer_id: str,
        transaction_ids: Sequence[str],
        description: str,
        author_email_address: str | None = None,
    ) -> Accepted:
        """202 means accepted for processing; the outcome arrives on the webhook (C1#12)."""
        if customer == ANONYMOUS:
            # it would be accepted now and refused later as "Invalid customer Id"
            raise ValueError("a ticket needs a known customer, not no-user-available")
        ticket = NewTicket(
            source_ticket_id=source_ticket_id,
            source_customer_id=customer,
            offer_id=offer_id,
            transaction_ids=tuple(transaction_ids),
            description=description,
            author_email_address=author_email_address,
        )
        return await self._transport.call(
            "POST",
            TICKETS,
            customer,
            Expect("createTicket", Accepted.model_validate, when_empty=Accepted),
            # the seed says resubmit until acknowledged; the same sourceTicketId makes a
            # duplicate show up as "Ticket already exists" on the webhook, not as a second ticket
            idempotent=True,
            json=ticket.payload(),
        )

    async def get(self, customer: HashedCustomerId, source_ticket_id: str) -> Ticket:
        """The ticket, or ``UpstreamNotFound`` (also until Cardlytics has processed it)."""
        if not source_ticket_id:
            raise ValueError("a source ticket id is needed")
        return await self._transport.call(
            "GET",
            f"{TICKETS}/{quote(source_ticket_id, safe='')}",
            customer,
            Expect("getTicket", Ticket.model_validate),
            idempotent=True,
        )
