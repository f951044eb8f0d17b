"""Vendor tickets (ClickBank): types, the agent's queries and mutations."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from pydantic.alias_generators import to_camel
from strawberry.relay import PageInfo

from gateway.context import Context
from gateway.upstreams.clickbank import (
    PartialRefundData as PartialRefundDomain,
)
from gateway.upstreams.clickbank import (
    TicketComment,
    TicketData,
    TicketFilters,
    TicketRequestInvalid,
)
from gateway.upstreams.clickbank.models import MoneyAmount
from gateway.upstreams.errors import (
    UpstreamError,
    UpstreamNotAllowed,
    UpstreamNotFound,
    UpstreamRejected,
)
from resolvers import vendor_tickets as resolve
from resolvers.vendor_tickets import VendorTicketSearch
from schema.errors import UserError, user_error_for
from schema.money import Money
from schema.tickets import Ticket, described, described_mutation, utc

__all__ = ["VendorTicket", "VendorTicketsMutation", "VendorTicketsQuery"]

Info = strawberry.Info[Context, None]
E = TypeVar("E", bound=Enum)
P = TypeVar("P")

# --- enums ----------------------------------------------------------------------------------


@strawberry.enum(description="The kind of ticket to open or change to.")
class VendorTicketRequestType(Enum):
    REFUND = "rfnd"
    CANCEL = "cncl"
    TECH_SUPPORT = "tech"


@strawberry.enum(description="Where a ticket stands.")
class VendorTicketStatus(Enum):
    OPEN = "open"
    REOPENED = "reopened"
    CLOSED = "closed"


@strawberry.enum(
    description="A ticket's type as ClickBank reports it. ClickBank adds types without notice: "
    "one this schema does not know yet is OTHER (see `typeCode`)."
)
class VendorTicketType(Enum):
    TECH_SUPPORT = "TECH_SUPPORT"
    REFUND = "REFUND"
    CANCEL = "CANCEL"
    PRODUCT_CHANGE = "PRODUCT_CHANGE"
    ORDER_LOOKUP = "ORDER_LOOKUP"
    ESCALATED = "ESCALATED"
    APPROVAL_IMAGE = "APPROVAL_IMAGE"
    APPROVAL_UPSELL = "APPROVAL_UPSELL"
    APPROVAL_CATEGORY_CHANGE = "APPROVAL_CATEGORY_CHANGE"
    APPROVAL_BLOG_POST = "APPROVAL_BLOG_POST"
    APPROVAL_PRODUCT = "APPROVAL_PRODUCT"
    APPROVAL_ADVANCED_UPSELL = "APPROVAL_ADVANCED_UPSELL"
    APPROVAL_CSS_ORDERFORM = "APPROVAL_CSS_ORDERFORM"
    APPROVAL_TEMPLATE_ORDERFORM = "APPROVAL_TEMPLATE_ORDERFORM"
    APPROVAL_TEMPLATE_EXITOFFER = "APPROVAL_TEMPLATE_EXITOFFER"
    APPROVAL_ORDER_BUMP_CUSTOM_TEXT = "APPROVAL_ORDER_BUMP_CUSTOM_TEXT"
    APPROVAL_EXIT_OFFER = "APPROVAL_EXIT_OFFER"
    APPROVAL_PHOTO_ID = "APPROVAL_PHOTO_ID"
    ACCT_QUESTION_ACCOUNTS = "ACCT_QUESTION_ACCOUNTS"
    ACCT_QUESTION_ACCOUNTING = "ACCT_QUESTION_ACCOUNTING"
    SPAM = "SPAM"
    ACCOUNT_ABUSE = "ACCOUNT_ABUSE"
    SECURITY_CONCERN = "SECURITY_CONCERN"
    OTHER = "OTHER"


@strawberry.enum(description="How much a refund gives back, as ClickBank reports it.")
class VendorRefundType(Enum):
    FULL = "FULL"
    PARTIAL_PERCENT = "PARTIAL_PERCENT"
    PARTIAL_AMOUNT = "PARTIAL_AMOUNT"
    PARTIAL_QUANTITY = "PARTIAL_QUANTITY"
    TAX = "TAX"
    OTHER = "OTHER"


@strawberry.enum(
    description="The refund to ask for. PARTIAL_PERCENT takes `refundAmount` as a percentage "
    "(1 to 80, two decimals at most); PARTIAL_AMOUNT as an amount in the customer's purchase "
    "currency. Partial refunds need a vendor enabled for them."
)
class RefundRequestType(Enum):
    FULL = "FULL"
    PARTIAL_PERCENT = "PARTIAL_PERCENT"
    PARTIAL_AMOUNT = "PARTIAL_AMOUNT"


@strawberry.enum(
    description="Why the ticket is opened. Each reason belongs to one ticket type, by its "
    "prefix: REFUND_* for REFUND, CANCEL_* for CANCEL, TECH_* for TECH_SUPPORT."
)
class VendorTicketReason(Enum):
    REFUND_NEVER_RECEIVED = "ticket.type.refund.1"
    REFUND_NOT_SATISFIED = "ticket.type.refund.2"
    REFUND_NOT_COMPATIBLE = "ticket.type.refund.3"
    REFUND_NO_TECH_SUPPORT = "ticket.type.refund.4"
    REFUND_NOT_AUTHORIZED = "ticket.type.refund.5"
    REFUND_NOT_RECOGNIZED = "ticket.type.refund.6"
    REFUND_DUPLICATE_PURCHASE = "ticket.type.refund.7"
    REFUND_PRODUCT_RETURNED = "ticket.type.refund.returned"
    REFUND_OTHER = "ticket.type.refund.8"
    REFUND_NOT_MOBILE_COMPATIBLE = "ticket.type.refund.not.mobile"
    CANCEL_NO_ADDITIONAL_VALUE = "ticket.type.cancel.1"
    CANCEL_NOT_SATISFIED = "ticket.type.cancel.2"
    CANCEL_NO_VENDOR_SUPPORT = "ticket.type.cancel.3"
    CANCEL_NOT_COMPATIBLE = "ticket.type.cancel.4"
    CANCEL_CANNOT_AFFORD = "ticket.type.cancel.5"
    CANCEL_UNAWARE_OF_TERMS = "ticket.type.cancel.6"
    CANCEL_OTHER = "ticket.type.cancel.7"
    CANCEL_NOT_MOBILE_COMPATIBLE = "ticket.type.cancel.not.mobile"
    TECH_CANNOT_LOG_IN = "ticket.type.tech_support.1"
    TECH_DOWNLOAD_PROBLEM = "ticket.type.tech_support.2"
    TECH_NO_REGISTRATION_CODE = "ticket.type.tech_support.3"
    TECH_PRODUCT_DOES_NOT_WORK = "ticket.type.tech_support.4"
    TECH_OTHER = "ticket.type.tech_support.9"
    TECH_NEVER_RECEIVED = "ticket.type.tech_support.10"


def _known(kind: type[E], value: object) -> E | None:
    # Response values are open upstream (a raw str when new): a new one reads as OTHER.
    if value is None:
        return None
    try:
        return kind[str(value)]
    except KeyError:
        return kind["OTHER"] if "OTHER" in kind.__members__ else None


# --- types ----------------------------------------------------------------------------------


@strawberry.type(description="One entry of a ticket's history.")
class VendorTicketComment:
    id: strawberry.ID | None
    date: datetime | None
    text: str | None
    action: str | None = strawberry.field(description="e.g. OPENED, COMMENTED, CLOSED.")
    role: str | None = strawberry.field(description="Who wrote it: VENDOR, CUSTOMER, CBCSR...")

    @classmethod
    def from_data(cls, comment: TicketComment) -> VendorTicketComment:
        return cls(
            id=strawberry.ID(comment.comment_id) if comment.comment_id else None,
            date=_utc(comment.date),
            text=comment.comment,
            action=str(comment.action) if comment.action else None,
            role=str(comment.role) if comment.role else None,
        )


def _utc(moment: datetime | None) -> datetime | None:
    # A moment within a day of datetime's range may have no UTC form (0001-01-01T00:30+01:00):
    # it is shown as ClickBank wrote it rather than failing the whole ticket, which is built at
    # once with every field.
    try:
        return utc(moment)
    except OverflowError:
        return moment


def _comments(root: VendorTicket) -> list[VendorTicketComment]:
    return [VendorTicketComment.from_data(c) for c in root.data.comments]


@strawberry.type(description="A ClickBank ticket on an order receipt. Support agents only.")
class VendorTicket(Ticket):
    """Every field is a plain attribute, set once from the ticket by ``__init__``: a search
    answers 100 tickets of ten fields, and a field with a resolver costs a resolver call (an
    info, two wrappers) where an attribute is read inline by the executor."""

    data: strawberry.Private[TicketData]
    # Ticket declares these four as resolvers (CustomerTicket computes them); here they are
    # attributes of the same GraphQL types, which mypy cannot see through the decorator.
    id: strawberry.ID = strawberry.field(  # type: ignore[assignment]
        description="The ClickBank ticket number."
    )
    description: str | None = strawberry.field(  # type: ignore[assignment]
        description="What the ticket is about."
    )
    opened_at: datetime | None = strawberry.field(  # type: ignore[assignment]
        description="When the ticket was opened."
    )
    closed_at: datetime | None = strawberry.field(  # type: ignore[assignment]
        description="When the ticket was closed, if it is."
    )
    receipt: str | None = strawberry.field(description="The order receipt the ticket is about.")
    type: VendorTicketType | None
    type_code: str | None = strawberry.field(description="The type exactly as ClickBank wrote it.")
    status: VendorTicketStatus | None = strawberry.field(
        description="Null for a status this schema does not know yet."
    )
    # A resolver, unlike the rest: only the detail screen asks for comments, and a search
    # would build two or three comment objects per ticket for nothing.
    comments: list[VendorTicketComment] = strawberry.field(
        resolver=_comments, description="Oldest first."
    )
    refund_type: VendorRefundType | None
    refund_percent: Decimal | None = strawberry.field(
        description="The refunded percentage of a PARTIAL_PERCENT refund."
    )
    refund_amount_in_customer_currency: Decimal | None = strawberry.field(
        description="A PARTIAL_AMOUNT refund, in the customer's purchase currency (which the "
        "ticket does not name; `refundPreview` does)."
    )
    note: str | None = strawberry.field(
        description="What the ticket did to the receipt (refund, cancellation)."
    )
    product_item_no: str | None = strawberry.field(
        description="The line item (sku) the ticket is about; none: the whole cart."
    )
    updated_at: datetime | None
    expires_at: datetime | None
    source: str | None = strawberry.field(
        description="Where the ticket was opened, e.g. API, CUSTOMER_WAM."
    )
    customer_first_name: str | None
    customer_last_name: str | None
    email: str | None
    email_at_order_time: str | None
    locale: str | None

    def __init__(self, data: TicketData) -> None:
        self.data = data
        self.id = strawberry.ID(data.ticket_id)
        self.description = data.description
        self.opened_at = _utc(data.opened_date)
        self.closed_at = _utc(data.closed_date)
        self.receipt = data.receipt
        self.type = _known(VendorTicketType, data.type)
        self.type_code = str(data.type) if data.type is not None else None
        self.status = _known(VendorTicketStatus, data.status)
        self.refund_type = _known(VendorRefundType, data.refund_type)
        self.refund_percent = data.refund_percent
        self.refund_amount_in_customer_currency = data.refund_in_customer_currency
        self.note = data.note
        self.product_item_no = data.product_item_no
        self.updated_at = _utc(data.update_time)
        self.expires_at = _utc(data.expiration_date)
        self.source = str(data.source) if data.source is not None else None
        self.customer_first_name = data.customer_first_name
        self.customer_last_name = data.customer_last_name
        self.email = data.email
        self.email_at_order_time = data.email_at_order_time
        self.locale = data.locale

    def __repr__(self) -> str:
        # Names and e-mail addresses stay out of logs, as in TicketData's own repr.
        return f"VendorTicket(id={self.id!r})"


def vendor_ticket(data: TicketData | None) -> VendorTicket | None:
    return VendorTicket(data=data) if data is not None else None


def _money(amount: MoneyAmount | None) -> Money | None:
    return Money(amount=amount.amount, currency=amount.currency) if amount else None


@strawberry.type(
    name="PartialRefundData",
    description="What a refund would give back. Each amount is null when ClickBank leaves it out.",
)
class PartialRefund:
    data: strawberry.Private[PartialRefundDomain]

    @described("In US dollars.")
    def usd(self) -> Money | None:
        return _money(self.data.usd)

    @described("In the currency the customer paid in.")
    def customer(self) -> Money | None:
        return _money(self.data.customer)

    @described("In the product's price currency.")
    def product(self) -> Money | None:
        return _money(self.data.product)


@strawberry.type
class VendorTicketEdge:
    cursor: str
    node: VendorTicket


@strawberry.type(description="A page of a ticket search, in ClickBank's order.")
class VendorTicketConnection:
    search: strawberry.Private[VendorTicketSearch]
    first: strawberry.Private[int]
    after: strawberry.Private[str | None]

    @strawberry.field
    async def edges(self) -> list[VendorTicketEdge]:
        found = await self.search.slice(self.first, self.after)
        return [VendorTicketEdge(cursor=c, node=VendorTicket(data=t)) for c, t in found.tickets]

    @strawberry.field
    async def nodes(self) -> list[VendorTicket]:
        found = await self.search.slice(self.first, self.after)
        return [VendorTicket(data=t) for _, t in found.tickets]

    @strawberry.field
    async def page_info(self) -> PageInfo:
        found = await self.search.slice(self.first, self.after)
        return PageInfo(
            has_next_page=found.has_next_page,
            has_previous_page=found.has_previous_page,
            start_cursor=found.tickets[0][0] if found.tickets else None,
            end_cursor=found.tickets[-1][0] if found.tickets else None,
        )

    @described(
        "Every ticket the search matches. Asked for only when selected: from "
        "ClickBank's count endpoint, or, for a date range (which the count cannot filter on), "
        "by reading the search's pages."
    )
    async def total_count(self) -> int | None:
        return await self.search.total_count()


@strawberry.input(description="Search criteria; all optional. Date pairs are all or nothing.")
class VendorTicketFilter:
    type: VendorTicketRequestType | None = None
    status: VendorTicketStatus | None = None
    receipt: str | None = strawberry.field(
        default=None,
        description="4+ characters besides the wildcard `%`, which may not come first.",
    )
    create_date_from: date | None = strawberry.field(
        default=None,
        description="Ranges over 7 days are searched as 7-day windows, fetched concurrently.",
    )
    create_date_to: date | None = None
    update_date_from: date | None = None
    update_date_to: date | None = None
    close_date_from: date | None = None
    close_date_to: date | None = None

    def to_filters(self) -> TicketFilters:
        return TicketFilters(
            type=self.type.value if self.type else None,
            status=self.status.value if self.status else None,
            receipt=self.receipt,
            create_date_from=self.create_date_from,
            create_date_to=self.create_date_to,
            update_date_from=self.update_date_from,
            update_date_to=self.update_date_to,
            close_date_from=self.close_date_from,
            close_date_to=self.close_date_to,
        )


def _camel(error: TicketRequestInvalid) -> TicketRequestInvalid:
    # The client names arguments in Python; the schema's fields are their camelCase.
    return TicketRequestInvalid(to_camel(error.field), error.message)


async def _checked(call: Awaitable[P]) -> P:
    """A query's broken rule is a top-level BAD_USER_INPUT naming the schema's field."""
    try:
        return await call
    except TicketRequestInvalid as error:
        raise _camel(error) from None


# --- queries --------------------------------------------------------------------------------


async def _vendor_ticket(info: Info, id: strawberry.ID) -> VendorTicket | None:
    return vendor_ticket(await _checked(resolve.load_vendor_ticket(info.context, str(id))))


async def _vendor_tickets(
    info: Info,
    filter: VendorTicketFilter | None = None,
    first: int = resolve.MAX_PAGE_SIZE,
    after: str | None = None,
) -> VendorTicketConnection | None:
    filters = filter.to_filters() if filter else TicketFilters()
    try:
        search = resolve.search_vendor_tickets(info.context, filters, first)
        search.check_cursor(after)  # refused here, before any field sends anything
    except TicketRequestInvalid as error:
        raise _camel(error) from None
    return VendorTicketConnection(search=search, first=first, after=after)


async def _refund_preview(
    info: Info,
    receipt: str,
    refund_type: RefundRequestType,
    refund_amount: Decimal | None = None,
    sku: str | None = None,
) -> PartialRefund | None:
    call = resolve.preview_refund(info.context, receipt, refund_type.value, refund_amount, sku)
    try:
        preview = await _checked(call)
    except (UpstreamNotFound, UpstreamNotAllowed, UpstreamRejected) as error:
        # ClickBank's documented refusals of this receipt (unknown, partial refunds not enabled,
        # more than was paid) are the agent's to fix, not an outage.
        raise _refused(info, error) from None
    return PartialRefund(data=preview)


_REFUSED_FIELD = {UpstreamNotFound: "receipt", UpstreamNotAllowed: "refundType"}


def _refused(info: Info, error: UpstreamError) -> GraphQLError:
    extensions: dict[str, object] = {"code": "BAD_USER_INPUT", "upstream": error.upstream}
    if (field := _REFUSED_FIELD.get(type(error))) is not None:
        extensions["field"] = field
    # Given a path, graphql-core keeps the error as it is: the code above is what is shown.
    return GraphQLError(error.message, path=info.path.as_list(), extensions=extensions)


@strawberry.type
class VendorTicketsQuery:
    vendor_ticket: VendorTicket | None = strawberry.field(
        resolver=_vendor_ticket,
        description="One ClickBank ticket; null when it does not exist or is not ours. Agents.",
    )
    vendor_tickets: VendorTicketConnection | None = strawberry.field(
        resolver=_vendor_tickets,
        description="Search ClickBank tickets, `first` (at most 100) at a time, forwards. Agents.",
    )
    refund_preview: PartialRefund | None = strawberry.field(
        resolver=_refund_preview,
        description="What a full or partial refund of a receipt would give back. Agents.",
    )


# --- mutations ------------------------------------------------------------------------------


@strawberry.type
class VendorTicketPayload:
    ticket: VendorTicket | None
    errors: list[UserError]


@strawberry.type
class CreateVendorTicketPayload(VendorTicketPayload):
    pass


@strawberry.type
class ChangeVendorTicketTypePayload(VendorTicketPayload):
    pass


@strawberry.type
class CommentOnVendorTicketPayload(VendorTicketPayload):
    pass


@strawberry.type
class CloseVendorTicketPayload(VendorTicketPayload):
    pass


@strawberry.type
class ReopenVendorTicketPayload(VendorTicketPayload):
    pass


@strawberry.type
class MarkVendorTicketReturnedPayload(VendorTicketPayload):
    pass


PayloadT = TypeVar("PayloadT", bound=VendorTicketPayload)


async def _payload(kind: type[PayloadT], call: Awaitable[TicketData | None]) -> PayloadT:
    """The ticket, or the expected failure as a UserError; anything else is a top-level error."""
    try:
        ticket = await call
    except Exception as error:
        if isinstance(error, TicketRequestInvalid):
            error = _camel(error)
        user_error = user_error_for(error)
        if user_error is None:
            raise
        return kind(ticket=None, errors=[user_error])
    return kind(ticket=vendor_ticket(ticket), errors=[])


@strawberry.input
class CreateVendorTicketInput:
    receipt: str = strawberry.field(description="The order receipt, e.g. K8XQ2ZB7.")
    type: VendorTicketRequestType
    reason: VendorTicketReason = strawberry.field(description="One of the type's reasons.")
    refund_type: RefundRequestType | None = strawberry.field(
        default=None, description="Required for REFUND; only for REFUND."
    )
    refund_amount: Decimal | None = strawberry.field(
        default=None, description="For partial refunds only: a percentage or an amount."
    )
    sku: str | None = strawberry.field(
        default=None, description="One line item of a cart; none: the whole cart."
    )
    comment: str | None = None
    retain_subscription: bool | None = strawberry.field(
        default=None, description="REFUND on a subscription: keep billing after the refund."
    )


@strawberry.input
class ChangeVendorTicketTypeInput:
    ticket_id: strawberry.ID
    type: VendorTicketRequestType = strawberry.field(
        description="Changing to REFUND always makes a full refund."
    )
    comment: str | None = None


@strawberry.input
class CommentOnVendorTicketInput:
    ticket_id: strawberry.ID
    comment: str


@strawberry.input
class CloseVendorTicketInput:
    ticket_id: strawberry.ID
    comment: str | None = None


@strawberry.input
class ReopenVendorTicketInput:
    ticket_id: strawberry.ID
    comment: str = strawberry.field(description="Required: why the ticket is reopened.")


@strawberry.input
class MarkVendorTicketReturnedInput:
    ticket_id: strawberry.ID


@strawberry.type
class VendorTicketsMutation:
    @described_mutation("Open a refund, cancel or tech-support ticket. Agents.")
    async def create_vendor_ticket(
        self, info: Info, input: CreateVendorTicketInput
    ) -> CreateVendorTicketPayload | None:
        new = resolve.NewVendorTicket(
            receipt=input.receipt,
            type=input.type.value,
            reason=input.reason.value,
            refund_type=input.refund_type.value if input.refund_type else None,
            refund_amount=input.refund_amount,
            sku=input.sku,
            comment=input.comment,
            retain_subscription=input.retain_subscription,
        )
        call = resolve.create_vendor_ticket(info.context, new)
        return await _payload(CreateVendorTicketPayload, call)

    @described_mutation("Change a ticket that is not closed to another type.")
    async def change_vendor_ticket_type(
        self, info: Info, input: ChangeVendorTicketTypeInput
    ) -> ChangeVendorTicketTypePayload | None:
        call = resolve.change_vendor_ticket_type(
            info.context, str(input.ticket_id), input.type.value, input.comment
        )
        return await _payload(ChangeVendorTicketTypePayload, call)

    @described_mutation("Add a comment to a ticket.")
    async def comment_on_vendor_ticket(
        self, info: Info, input: CommentOnVendorTicketInput
    ) -> CommentOnVendorTicketPayload | None:
        call = resolve.comment_on_vendor_ticket(info.context, str(input.ticket_id), input.comment)
        return await _payload(CommentOnVendorTicketPayload, call)

    @described_mutation("Close (cancel) a ticket; an open refund is withdrawn.")
    async def close_vendor_ticket(
        self, info: Info, input: CloseVendorTicketInput
    ) -> CloseVendorTicketPayload | None:
        call = resolve.close_vendor_ticket(info.context, str(input.ticket_id), input.comment)
        return await _payload(CloseVendorTicketPayload, call)

    @described_mutation("Reopen a closed ticket, with a comment saying why.")
    async def reopen_vendor_ticket(
        self, info: Info, input: ReopenVendorTicketInput
    ) -> ReopenVendorTicketPayload | None:
        call = resolve.reopen_vendor_ticket(info.context, str(input.ticket_id), input.comment)
        return await _payload(ReopenVendorTicketPayload, call)

    @described_mutation(
        "Acknowledge that the customer returned a physical item, so its refund "
        "completes. Returns the ticket as it now is."
    )
    async def mark_vendor_ticket_returned(
        self, info: Info, input: MarkVendorTicketReturnedInput
    ) -> MarkVendorTicketReturnedPayload | None:
        call = resolve.mark_vendor_ticket_returned(info.context, str(input.ticket_id))
        return await _payload(MarkVendorTicketReturnedPayload, call)
