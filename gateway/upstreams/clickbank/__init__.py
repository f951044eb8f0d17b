"""Client of the ClickBank tickets API (REST 1.3): refund, cancel and tech-support tickets."""

from gateway.upstreams.clickbank.client import (
    DEFAULT_MAX_PAGES,
    DEFAULT_WINDOW_CONCURRENCY,
    ClickBankTicketsClient,
    OutputFormat,
)
from gateway.upstreams.clickbank.models import (
    MoneyAmount,
    PartialRefundData,
    TicketComment,
    TicketData,
    TicketFilters,
    TicketPage,
)
from gateway.upstreams.clickbank.ranges import date_windows, split_filters
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
    "DEFAULT_WINDOW_CONCURRENCY",
    "REASONS",
    "ClickBankTicketsClient",
    "CommentRole",
    "MoneyAmount",
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
    "date_windows",
    "split_filters",
]
