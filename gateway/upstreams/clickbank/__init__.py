"""Client of the ClickBank tickets API (REST 1.3): refund, cancel and tech-support tickets."""

from gateway.upstreams.clickbank.client import (
    DEFAULT_MAX_PAGES,
    ClickBankTicketsClient,
    OutputFormat,
)
from gateway.upstreams.clickbank.models import (
    PartialRefundData,
    TicketComment,
    TicketData,
    TicketFilters,
    TicketPage,
)
from gateway.upstreams.clickbank.rules import TicketRequestInvalid
from gateway.upstreams.clickbank.vocab import (
    REASONS,
    CommentRole,
    RefundType,
    RequestStatus,
    RequestType,
    TicketAction,
    TicketSource,
    TicketStatus,
    TicketType,
)

__all__ = [
    "DEFAULT_MAX_PAGES",
    "REASONS",
    "ClickBankTicketsClient",
    "CommentRole",
    "OutputFormat",
    "PartialRefundData",
    "RefundType",
    "RequestStatus",
    "RequestType",
    "TicketAction",
    "TicketComment",
    "TicketData",
    "TicketFilters",
    "TicketPage",
    "TicketRequestInvalid",
    "TicketSource",
    "TicketStatus",
    "TicketType",
]
