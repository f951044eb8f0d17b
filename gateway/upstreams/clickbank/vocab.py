"""The tickets API's two vocabularies and the explicit maps between them (upstreams.md A6, C3#5).

Requests say ``rfnd`` / ``open``; responses say ``REFUND`` / ``OPEN``. Response enums grow without
notice ("enum drift"), so ``parse_enum`` keeps a value it does not know as the raw string instead
of failing: a new ticket type must never make a whole ticket list unreadable.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

__all__ = [
    "REASONS",
    "REQUEST_REFUND_TYPES",
    "CommentRole",
    "RefundType",
    "RequestStatus",
    "RequestType",
    "TicketAction",
    "TicketSource",
    "TicketStatus",
    "TicketType",
    "parse_enum",
    "reason_description",
    "request_status",
    "request_type",
    "response_status",
    "response_type",
]

E = TypeVar("E", bound=StrEnum)


class RequestType(StrEnum):
    """Ticket type as a request parameter."""

    RFND = "rfnd"
    CNCL = "cncl"
    TECH = "tech"


class RequestStatus(StrEnum):
    """Ticket status as a list / count filter."""

    OPEN = "open"
    REOPENED = "reopened"
    CLOSED = "closed"


class TicketType(StrEnum):
    """``ticketType`` as responses carry it (the XSD's list; it changes over time)."""

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


class TicketStatus(StrEnum):
    OPEN = "OPEN"
    REOPENED = "REOPENED"
    CLOSED = "CLOSED"


class RefundType(StrEnum):
    """``refundType``; the last two only ever appear in responses."""

    FULL = "FULL"
    PARTIAL_PERCENT = "PARTIAL_PERCENT"
    PARTIAL_AMOUNT = "PARTIAL_AMOUNT"
    PARTIAL_QUANTITY = "PARTIAL_QUANTITY"
    TAX = "TAX"


class TicketAction(StrEnum):
    """``ticketActionType`` of a comment entry."""

    ASSIGNED = "ASSIGNED"
    COMMENTED = "COMMENTED"
    CHANGED = "CHANGED"
    CLOSED = "CLOSED"
    EXPIRED = "EXPIRED"
    REOPENED = "REOPENED"
    OPENED = "OPENED"
    APPROVED = "APPROVED"
    DISAPPROVED = "DISAPPROVED"
    ATTACHMENT = "ATTACHMENT"
    ADMIN_CHANGE = "ADMIN_CHANGE"
    REFUND_ACKED = "REFUND_ACKED"
    NEW_PHOTO_ID = "NEW_PHOTO_ID"


class CommentRole(StrEnum):
    VENDOR = "VENDOR"
    CUSTOMER = "CUSTOMER"
    CBCSR = "CBCSR"
    CBSYSTEM = "CBSYSTEM"
    USER = "USER"


class TicketSource(StrEnum):
    """The ``ticketSource`` values publicly known (the XSD has about 30)."""

    API = "API"
    CUSTOMER_WAM = "CUSTOMER_WAM"
    VENDOR_WAM = "VENDOR_WAM"
    VENDOR_ADMIN = "VENDOR_ADMIN"
    CSR_ADMIN = "CSR_ADMIN"
    UNKNOWN = "UNKNOWN"
    CLKBANK = "CLKBANK"
    KOUNT = "KOUNT"
    PAYPAL_ADAPTIVE = "PAYPAL_ADAPTIVE"


REQUEST_REFUND_TYPES = frozenset(
    {RefundType.FULL, RefundType.PARTIAL_PERCENT, RefundType.PARTIAL_AMOUNT}
)

_TYPE_TO_RESPONSE: Mapping[RequestType, TicketType] = MappingProxyType(
    {
        RequestType.RFND: TicketType.REFUND,
        RequestType.CNCL: TicketType.CANCEL,
        RequestType.TECH: TicketType.TECH_SUPPORT,
    }
)
_TYPE_TO_REQUEST: Mapping[TicketType, RequestType] = MappingProxyType(
    {response: request for request, response in _TYPE_TO_RESPONSE.items()}
)
_STATUS_TO_RESPONSE: Mapping[RequestStatus, TicketStatus] = MappingProxyType(
    {
        RequestStatus.OPEN: TicketStatus.OPEN,
        RequestStatus.REOPENED: TicketStatus.REOPENED,
        RequestStatus.CLOSED: TicketStatus.CLOSED,
    }
)
_STATUS_TO_REQUEST: Mapping[TicketStatus, RequestStatus] = MappingProxyType(
    {response: request for request, response in _STATUS_TO_RESPONSE.items()}
)


def _reasons(pairs: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(pairs)


# Reason codes allowed per request type, with the seed's English text.
REASONS: Mapping[RequestType, Mapping[str, str]] = MappingProxyType(
    {
        RequestType.CNCL: _reasons(
            {
                "ticket.type.cancel.1": "I did not receive additional value for the recurring "
                "payments",
                "ticket.type.cancel.2": "I was not satisfied with the subscription / "
                "Subscription did not meet expectations",
                "ticket.type.cancel.3": "I was unable to get support from the vendor",
                "ticket.type.cancel.4": "Product was not compatible with my computer",
                "ticket.type.cancel.5": "I am unable to afford continuing payments for this "
                "subscription",
                "ticket.type.cancel.6": "I did not realize that I accepted the terms for "
                "continuing payments",
                "ticket.type.cancel.7": "Other",
                "ticket.type.cancel.not.mobile": "Product was not compatible with my mobile "
                "device.",
            }
        ),
        RequestType.RFND: _reasons(
            {
                "ticket.type.refund.1": "I never received my product",
                "ticket.type.refund.2": "I was not satisfied with the product. / "
                "Product did not meet expectations",
                "ticket.type.refund.3": "Product was not compatible with my computer",
                "ticket.type.refund.4": "I was unable to get technical support",
                "ticket.type.refund.5": "I did not authorize the purchase",
                "ticket.type.refund.6": "I do not recognize the purchase",
                "ticket.type.refund.7": "Duplicate purchase. / Or already purchased product "
                "previously",
                "ticket.type.refund.returned": "Product returned",
                "ticket.type.refund.8": "Other",
                "ticket.type.refund.not.mobile": "Product was not compatible with my mobile "
                "device.",
            }
        ),
        RequestType.TECH: _reasons(
            {
                "ticket.type.tech_support.1": "I am unable to log in.",
                "ticket.type.tech_support.2": "I had problems downloading the product.",
                "ticket.type.tech_support.3": "I never received a valid registration code, "
                "please send a valid code.",
                "ticket.type.tech_support.4": "I can't get the product to work.",
                "ticket.type.tech_support.9": "Other",
                "ticket.type.tech_support.10": "I never received my product.",
            }
        ),
    }
)


# The member for a response value, or the raw string when the value is new to us.
def parse_enum(enum: type[E], raw: str) -> E | str:
    try:
        return enum(raw)
    except ValueError:
        return raw


# ``rfnd`` for ``rfnd`` or ``REFUND`` (either vocabulary); None when it is neither.
def request_type(value: str) -> RequestType | None:
    if value in _TYPE_TO_RESPONSE.keys():
        return RequestType(value)
    if value in _TYPE_TO_REQUEST.keys():
        return _TYPE_TO_REQUEST[TicketType(value)]
    return None


def response_type(value: RequestType) -> TicketType:
    return _TYPE_TO_RESPONSE[value]


# ``open`` for ``open`` or ``OPEN`` (either vocabulary); None when it is neither.
def request_status(value: str) -> RequestStatus | None:
    if value in _STATUS_TO_RESPONSE.keys():
        return RequestStatus(value)
    if value in _STATUS_TO_REQUEST.keys():
        return _STATUS_TO_REQUEST[TicketStatus(value)]
    return None


def response_status(value: RequestStatus) -> TicketStatus:
    return _STATUS_TO_RESPONSE[value]


# The English text of a reason code, whatever its type.
def reason_description(code: str) -> str | None:
    for reasons in REASONS.values():
        if code in reasons:
            return reasons[code]
    return None
