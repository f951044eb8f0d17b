"""The HTML "Tickets Service Description" page ClickBank serves at ``/rest/1.3/tickets`` (A1)."""

from __future__ import annotations

from functools import cache
from html import escape

__all__ = ["page"]

ENDPOINTS: tuple[tuple[str, str, str, str], ...] = (
    ("POST", "/1.3/tickets/{receipt}", "Create a ticket. Returns the created TicketData.",
     "api_order_write"),
    ("GET", "/1.3/tickets/refundAmounts/{receipt}",
     "Amounts a given refund type and value would refund. Returns PartialRefundData.",
     "api_order_read"),
    ("GET", "/1.3/tickets/{id}", "Find a ticket by its ID (403 when missing or not yours).",
     "api_order_read"),
    ("PUT", "/1.3/tickets/{id}", "Comment on, change, close or reopen a ticket.",
     "api_order_write"),
    ("POST", "/1.3/tickets/{id}/returned",
     "Acknowledge the return of a physical item (204, empty body).",
     "api_order_read, api_order_write"),
    ("GET", "/1.3/tickets/list",
     "Search tickets; 100 per page, 206 while more pages remain (request header Page).",
     "api_order_read"),
    ("GET", "/1.3/tickets/count", "Count the tickets matching the search criteria.",
     "api_order_read"),
    ("GET", "/1.3/tickets/partialRefundDataSchema", "The PartialRefundData XML Schema.", ""),
    ("GET", "/1.3/tickets/schema", "The TicketData XML Schema.", ""),
)  # fmt: skip


@cache
def page() -> str:
    rows = "\n".join(
        f"<tr><td>{method}</td><td>{escape(path)}</td><td>{escape(summary)}</td>"
        f"<td>{escape(roles) or 'none'}</td></tr>"
        for method, path, summary, roles in ENDPOINTS
    )
    return (
        "<!DOCTYPE html>\n<html><head><title>Tickets Service Description</title></head><body>\n"
        "<h1>Tickets Service Description</h1>\n"
        "<p>The following methods are available at the servlet path /rest/1.3/tickets "
        "(sandbox simulator). Supported output types: application/xml, application/json.</p>\n"
        "<table><tr><th>Method</th><th>Path</th><th>Description</th><th>Required roles</th></tr>\n"
        f"{rows}\n</table>\n</body></html>\n"
    )
