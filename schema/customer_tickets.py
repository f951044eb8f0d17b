"""Customer tickets (Cardlytics CSA), and the agent's list that mixes both kinds of ticket."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from gateway.context import Context
from gateway.store.ticket_index import TrackedTicket
from gateway.upstreams.cardlytics.models import Ticket as CsaTicket
from resolvers import customer_tickets as resolve
from resolvers.customer_tickets import CustomerTicketInvalid, NewCustomerTicket
from schema.errors import RejectedError, UserError, ValidationError, user_error_for
from schema.offers import Offer, resolve_offer
from schema.tickets import Ticket, described, described_mutation, utc
from schema.vendor_tickets import VendorTicket

__all__ = ["CustomerTicket", "CustomerTicketsMutation", "CustomerTicketsQuery", "TicketsQuery"]

Info = strawberry.Info[Context, None]
E = TypeVar("E", bound=Enum)


@strawberry.enum(description="How far Cardlytics has got with a ticket.")
class CustomerTicketProcessing(Enum):
    PENDING = "pending"
    PROCESSED = "processed"
    ERROR = "error"


@strawberry.enum(description="Whether the gateway has handed the ticket to Cardlytics yet.")
class CustomerTicketDelivery(Enum):
    SENDING = strawberry.enum_value(
        "pending", description="Stored; being sent, and resent with backoff until acknowledged."
    )
    SENT = strawberry.enum_value("sent", description="Cardlytics acknowledged it (202).")
    REFUSED = strawberry.enum_value(
        "refused", description="Cardlytics refused it for good; `processingMessage` says why."
    )


@strawberry.enum(description="A processed ticket's status; OTHER for one this schema lacks.")
class CustomerTicketStatus(Enum):
    IN_PROCESS = "In Process"
    CLOSED = "Closed"
    OTHER = "OTHER"


@strawberry.enum(description="How Cardlytics resolved the ticket; OTHER for one this schema lacks.")
class CustomerTicketResolution(Enum):
    NOT_ELIGIBLE = "No Credit: Not eligible for reward"
    REWARD_PENDING = "No Credit: Reward Pending"
    REWARD_RECEIVED = "No Credit: Reward Received"
    OTHER = "OTHER"


def _known(kind: type[E], value: object) -> E | None:
    if value is None:
        return None
    try:
        return kind(str(value))
    except ValueError:
        return kind["OTHER"]


@strawberry.type(
    description="A ticket about a missing reward, opened through the gateway. Its progress "
    "comes from Cardlytics: those fields are null while the ticket is PENDING, and null with an "
    "UPSTREAM_* error when Cardlytics cannot be reached."
)
class CustomerTicket(Ticket):
    tracked: strawberry.Private[TrackedTicket]

    async def _progress(self, info: Info) -> CsaTicket | None:
        # Asked of Cardlytics only when it may hold the ticket: a refused or unsent one has none.
        if not resolve.may_have_progress(self.tracked):
            return None
        return await resolve.load_progress(info.context, self.tracked)

    @described("Same as `sourceTicketId`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.tracked.source_ticket_id)

    @described("The gateway's id for the ticket, chosen when it was opened.")
    def source_ticket_id(self) -> strawberry.ID:
        return strawberry.ID(self.tracked.source_ticket_id)

    @described("What the ticket is about.")
    def description(self) -> str | None:
        return self.tracked.description

    @described("When the customer opened it through the gateway.")
    def opened_at(self) -> datetime | None:
        return utc(self.tracked.submitted_at)

    @described("The Cardlytics offer (adId) the ticket is about.")
    def offer_id(self) -> strawberry.ID:
        return strawberry.ID(self.tracked.offer_id)

    @described(
        "The offer as the customer sees it now (from the request's one getAds): null when they "
        "no longer have it, and for agents, who are shown no customer's offers."
    )
    async def offer(self, info: Info) -> Offer | None:
        if not info.context.viewer.is_customer:
            return None  # offers are served per customer session; an agent has none
        return await resolve_offer(info.context, self.tracked.offer_id)

    @described("The purchases the ticket is about.")
    def transaction_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(t) for t in self.tracked.transaction_ids]

    @described(
        "PENDING until Cardlytics has processed the ticket; ERROR when it could not (or refused "
        "it): `processingMessage` says why, and the customer may correct it and open a new one."
    )
    async def processing_status(self, info: Info) -> CustomerTicketProcessing | None:
        if resolve.refusal(self.tracked) is not None:
            return CustomerTicketProcessing.ERROR
        if resolve.accepted(self.tracked):
            return CustomerTicketProcessing.PROCESSED
        if not resolve.may_have_progress(self.tracked):
            return CustomerTicketProcessing.PENDING
        # Sent, and no webhook yet: Cardlytics' GET answers once it has processed the ticket.
        progress = await self._progress(info)
        if progress is None:
            return CustomerTicketProcessing.PENDING
        return CustomerTicketProcessing.PROCESSED

    @described("Why the ticket is in ERROR, in Cardlytics' words; null otherwise.")
    def processing_message(self) -> str | None:
        return resolve.refusal(self.tracked)

    @described("Whether the gateway has handed the ticket to Cardlytics yet.")
    def delivery(self) -> CustomerTicketDelivery:
        return CustomerTicketDelivery(self.tracked.outbox_state)

    @strawberry.field
    async def status(self, info: Info) -> CustomerTicketStatus | None:
        if self.tracked.status is not None:
            return _known(CustomerTicketStatus, self.tracked.status)
        progress = await self._progress(info)
        return _known(CustomerTicketStatus, progress.status) if progress else None

    @described("When the ticket was closed, if it is.")
    async def closed_at(self, info: Info) -> datetime | None:
        progress = await self._progress(info)
        return utc(progress.ticket_solved_date) if progress else None

    @strawberry.field
    async def resolution(self, info: Info) -> CustomerTicketResolution | None:
        if self.tracked.status is not None:
            return _known(CustomerTicketResolution, self.tracked.resolution)
        progress = await self._progress(info)
        return _known(CustomerTicketResolution, progress.resolution_type) if progress else None

    @described("Cardlytics' own words about the resolution.")
    async def resolution_text(self, info: Info) -> str | None:
        if self.tracked.status is not None:
            return self.tracked.resolution_text or None
        progress = await self._progress(info)
        return (progress.cardlytics_response or None) if progress else None

    @described("The rewards the resolution refers to.")
    async def redemption_ids(self, info: Info) -> list[strawberry.ID] | None:
        progress = await self._progress(info)
        return [strawberry.ID(r) for r in progress.redemption_ids] if progress else None

    @described("When the customer activated the offer, as Cardlytics saw it.")
    async def activated_at(self, info: Info) -> datetime | None:
        progress = await self._progress(info)
        return utc(progress.activation_date) if progress else None

    @described("Cardlytics' own id for the ticket.")
    async def cdlx_ticket_id(self, info: Info) -> strawberry.ID | None:
        progress = await self._progress(info)
        return strawberry.ID(progress.cdlx_ticket_id) if progress else None


def _tickets(tracked: list[TrackedTicket]) -> list[CustomerTicket]:
    return [CustomerTicket(tracked=t) for t in tracked]


def _bad_input(info: Info, error: CustomerTicketInvalid) -> GraphQLError:
    # Given a path, graphql-core keeps the error as it is: the code below is what is shown.
    return GraphQLError(
        error.message,
        path=info.path.as_list(),
        extensions={"code": "BAD_USER_INPUT", "field": error.field},
    )


# --- queries --------------------------------------------------------------------------------


async def _customer_tickets(info: Info) -> list[CustomerTicket] | None:
    return _tickets(await resolve.customer_tickets(info.context))


async def _customer_ticket(info: Info, source_ticket_id: strawberry.ID) -> CustomerTicket | None:
    tracked = await resolve.customer_ticket(info.context, str(source_ticket_id))
    return CustomerTicket(tracked=tracked) if tracked else None


@strawberry.type
class CustomerTicketsQuery:
    customer_tickets: list[CustomerTicket] | None = strawberry.field(
        resolver=_customer_tickets,
        description="The signed-in customer's own tickets, newest first. Customers only.",
    )
    customer_ticket: CustomerTicket | None = strawberry.field(
        resolver=_customer_ticket,
        description="One of the signed-in customer's tickets; null for any other id.",
    )


async def _all_tickets(
    info: Info, customer_id: strawberry.ID | None = None, receipt: str | None = None
) -> list[Ticket] | None:
    try:
        customers, vendors = await resolve.tickets_of(
            info.context, str(customer_id) if customer_id is not None else None, receipt
        )
    except CustomerTicketInvalid as error:
        raise _bad_input(info, error) from None
    found: list[Ticket] = [CustomerTicket(tracked=t) for t in customers]
    return found + [VendorTicket(data=t) for t in vendors]


@strawberry.type
class TicketsQuery:
    tickets: list[Ticket] | None = strawberry.field(
        resolver=_all_tickets,
        description="Both kinds of ticket: a customer's CustomerTickets (by their raw id) and "
        "the VendorTickets on a receipt (`%` wildcards allowed). Agents only.",
    )


# --- mutations ------------------------------------------------------------------------------


@strawberry.input
class CreateCustomerTicketInput:
    offer_id: strawberry.ID = strawberry.field(description="The offer the reward was missed on.")
    transaction_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 10 different purchases, all on that offer."
    )
    description: str = strawberry.field(description="What was expected, and what happened.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Send the same key when retrying: the retry is the same ticket, not a new one.",
    )


@strawberry.type
class CreateCustomerTicketPayload:
    ticket: CustomerTicket | None = strawberry.field(
        description="Stored and PENDING until processed; also there (REFUSED) when Cardlytics "
        "refused it, beside a RejectedError."
    )
    errors: list[UserError]


@strawberry.type
class CustomerTicketsMutation:
    @described_mutation("Ask Cardlytics about a missing reward. Customers only, for themselves.")
    async def create_customer_ticket(
        self, info: Info, input: CreateCustomerTicketInput
    ) -> CreateCustomerTicketPayload | None:
        new = NewCustomerTicket(
            offer_id=str(input.offer_id),
            transaction_ids=[str(t) for t in input.transaction_ids],
            description=input.description,
            idempotency_key=input.idempotency_key,
        )
        try:
            tracked = await resolve.open_customer_ticket(info.context, new)
        except CustomerTicketInvalid as error:
            invalid = ValidationError(message=error.message, field=["input", error.field])
            return CreateCustomerTicketPayload(ticket=None, errors=[invalid])
        except Exception as error:
            user_error = user_error_for(error)
            if user_error is None:
                raise
            return CreateCustomerTicketPayload(ticket=None, errors=[user_error])
        ticket = CustomerTicket(tracked=tracked)
        if tracked.outbox_state == "refused":
            # Kept (the customer's list shows it, with the reason), and said here too.
            reason = resolve.refusal(tracked) or "refused"
            refused = RejectedError(message=reason, upstream="cardlytics")
            return CreateCustomerTicketPayload(ticket=ticket, errors=[refused])
        return CreateCustomerTicketPayload(ticket=ticket, errors=[])
