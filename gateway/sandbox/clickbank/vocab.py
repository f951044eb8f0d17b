"""The tickets API's words: request values (``rfnd``, ``open``), response enums (``REFUND``).

Requests and responses use different words for the same thing (upstreams.md A6), so each request
vocabulary is a map onto the response enum. The full response enums (with values this simulator
never produces) live in ``xsd.py``, which serves them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "REASONS",
    "REQUEST_STATUSES",
    "REQUEST_TYPES",
    "Action",
    "RefundType",
    "Resolution",
    "Role",
    "Source",
    "Status",
    "TicketType",
]


class TicketType(StrEnum):
    REFUND = "REFUND"
    CANCEL = "CANCEL"
    TECH_SUPPORT = "TECH_SUPPORT"


class Status(StrEnum):
    OPEN = "OPEN"
    REOPENED = "REOPENED"
    CLOSED = "CLOSED"


class RefundType(StrEnum):
    """The refund types a request may ask for (responses may also carry PARTIAL_QUANTITY, TAX)."""

    FULL = "FULL"
    PARTIAL_PERCENT = "PARTIAL_PERCENT"
    PARTIAL_AMOUNT = "PARTIAL_AMOUNT"

    @property
    def partial(self) -> bool:
        return self is not RefundType.FULL


class Action(StrEnum):
    """The ``ticketActionType`` values this simulator writes into comment entries."""

    OPENED = "OPENED"
    COMMENTED = "COMMENTED"
    CHANGED = "CHANGED"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"
    REFUND_ACKED = "REFUND_ACKED"


class Role(StrEnum):
    """Who wrote a comment (the XSD's ``role`` enum)."""

    VENDOR = "VENDOR"
    CUSTOMER = "CUSTOMER"
    CBCSR = "CBCSR"
    CBSYSTEM = "CBSYSTEM"


class Source(StrEnum):
    """Where a ticket came from (a subset of the XSD's ``ticketSource``)."""

    API = "API"
    CUSTOMER_WAM = "CUSTOMER_WAM"
    VENDOR_WAM = "VENDOR_WAM"
    CSR_ADMIN = "CSR_ADMIN"


class Resolution(StrEnum):
    """How a closed ticket ended; not on the wire, but it decides the receipt's state.

    COMPLETED: the refund / cancellation happened. WITHDRAWN: the ticket was closed by hand, which
    cancels what it asked for (seed: "closing of an open refund ticket will cancel the refund").
    """

    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"


REQUEST_TYPES: dict[str, TicketType] = {
    "rfnd": TicketType.REFUND,
    "cncl": TicketType.CANCEL,
    "tech": TicketType.TECH_SUPPORT,
}

REQUEST_STATUSES: dict[str, Status] = {
    "open": Status.OPEN,
    "reopened": Status.REOPENED,
    "closed": Status.CLOSED,
}

# Reason codes per ticket type, with the seed's English text (served back as ``description``).
REASONS: dict[TicketType, dict[str, str]] = {
    TicketType.CANCEL: {
        "ticket.type.cancel.1": "I did not receive additional value for the recurring payments",
        "ticket.type.cancel.2": "I was not satisfied with the subscription / "
        "Subscription did not meet expectations",
        "ticket.type.cancel.3": "I was unable to get support from the vendor",
        "ticket.type.cancel.4": "Product was not compatible with my computer",
        "ticket.type.cancel.5": "I am unable to afford continuing payments for this subscription",
        "ticket.type.cancel.6": "I did not realize that I accepted the terms for continuing "
        "payments",
        "ticket.type.cancel.7": "Other",
        "ticket.type.cancel.not.mobile": "Product was not compatible with my mobile device.",
    },
    TicketType.REFUND: {
        "ticket.type.refund.1": "I never received my product",
        "ticket.type.refund.2": "I was not satisfied with the product. / "
        "Product did not meet expectations",
        "ticket.type.refund.3": "Product was not compatible with my computer",
        "ticket.type.refund.4": "I was unable to get technical support",
        "ticket.type.refund.5": "I did not authorize the purchase",
        "ticket.type.refund.6": "I do not recognize the purchase",
        "ticket.type.refund.7": "Duplicate purchase. / Or already purchased product previously",
        "ticket.type.refund.returned": "Product returned",
        "ticket.type.refund.8": "Other",
        "ticket.type.refund.not.mobile": "Product was not compatible with my mobile device.",
    },
    TicketType.TECH_SUPPORT: {
        "ticket.type.tech_support.1": "I am unable to log in.",
        "ticket.type.tech_support.2": "I had problems downloading the product.",
        "ticket.type.tech_support.3": "I never received a valid registration code, "
        "please send a valid code.",
        "ticket.type.tech_support.4": "I can't get the product to work.",
        "ticket.type.tech_support.9": "Other",
        "ticket.type.tech_support.10": "I never received my product.",
    },
}
