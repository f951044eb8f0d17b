"""Vendor tickets (ClickBank): agent-only reads, searches and changes.

Every function checks the role first, so a refused viewer costs no upstream call; the client
(``gateway.upstreams.clickbank``) checks every documented rule before it sends anything.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from aiodataloader import DataLoader

from gateway.context import Context
from gateway.upstreams.clickbank import (
    DEFAULT_MAX_PAGES,
    PartialRefundData,
    TicketData,
    TicketFilters,
    TicketPage,
    TicketRequestInvalid,
    split_filters,
)
from gateway.upstreams.clickbank import rules as _rules
from gateway.upstreams.errors import UpstreamNotAllowed
from resolvers.viewer import require_agent

__all__ = [
    "MAX_CONCURRENT_LOADS",
    "MAX_PAGE_SIZE",
    "NewVendorTicket",
    "SearchResult",
    "VendorTicketSearch",
    "change_vendor_ticket_type",
    "close_vendor_ticket",
    "comment_on_vendor_ticket",
    "create_vendor_ticket",
    "load_vendor_ticket",
    "mark_vendor_ticket_returned",
    "preview_refund",
    "reopen_vendor_ticket",
    "search_vendor_tickets",
    "vendor_tickets_on_receipt",
]

#: Ticket reads in flight at once per request: well under ClickBank's 10 requests a second (A11).
MAX_CONCURRENT_LOADS = 4
#: The upstream's own page size, and the most edges one ``vendorTickets`` call returns.
MAX_PAGE_SIZE = 100


class VendorTicketLoader(DataLoader[str, TicketData | None]):
    """Tickets by id for one request: each id fetched once, a few at a time."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self._client = context.upstreams.clickbank
        self._gate = asyncio.Semaphore(MAX_CONCURRENT_LOADS)

    async def batch_load_fn(self, keys: list[str]) -> list[TicketData | None]:
        answers = await asyncio.gather(*(self._one(key) for key in keys), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException) and not isinstance(answer, Exception):
                raise answer  # cancellation belongs to the request, not to one ticket
        # A failed id gets its exception, so only the fields that asked for it fail.
        return cast(list[TicketData | None], answers)

    async def _one(self, ticket_id: str) -> TicketData | None:
        async with self._gate:
            try:
                return await self._client.get_ticket(ticket_id)
            except UpstreamNotAllowed:
                # ClickBank answers 403 alike for "no such ticket" and "not ours": absent either way
                return None


def vendor_ticket_loader(context: Context) -> VendorTicketLoader:
    return VendorTicketLoader(context)


def _remember(context: Context, ticket: TicketData) -> TicketData:
    loader = context.loader(vendor_ticket_loader)
    loader.clear(ticket.ticket_id).prime(ticket.ticket_id, ticket)
    return ticket


async def load_vendor_ticket(context: Context, ticket_id: str) -> TicketData | None:
    require_agent(context)
    _rules.ticket_id(ticket_id)  # a malformed id is the caller's mistake, not "not found"
    return await context.loader(vendor_ticket_loader).load(ticket_id.strip())


# --- searches -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    """One slice of a search: each ticket with the cursor that resumes right after it."""

    tickets: list[tuple[str, TicketData]]
    has_next_page: bool
    has_previous_page: bool


@dataclass
class VendorTicketSearch:
    """One ``vendorTickets`` search within a request: pages fetched once, shared by fields.

    A search within one 7-day window is paged like the upstream (``Page: N``, 206 while more
    remain), one upstream page per 100 edges; the cursor is the upstream position of the next
    row. A longer date range is several windows: they are fetched concurrently and merged
    (``list_range``), and the cursor is an offset into the merged list.
    """

    context: Context
    filters: TicketFilters
    windows: int
    _pages: dict[int, asyncio.Task[TicketPage]] = field(default_factory=dict)
    _merged: asyncio.Task[TicketPage] | None = None
    _slices: dict[tuple[int, str | None], asyncio.Task[SearchResult]] = field(default_factory=dict)

    @property
    def has_dates(self) -> bool:
        f = self.filters
        return any(
            v is not None for v in (f.create_date_from, f.update_date_from, f.close_date_from)
        )

    async def page(self, number: int) -> TicketPage:
        if number not in self._pages:
            client = self.context.upstreams.clickbank
            self._pages[number] = asyncio.ensure_future(client.list_page(self.filters, number))
        return await self._pages[number]

    async def merged(self) -> TicketPage:
        if self._merged is None:
            client = self.context.upstreams.clickbank
            self._merged = asyncio.ensure_future(client.list_range(self.filters))
        return await self._merged

    def check_cursor(self, after: str | None) -> None:
        if after is not None:
            _decode(after, "m" if self.windows > 1 else "p")

    async def slice(self, first: int, after: str | None) -> SearchResult:
        """``first`` tickets after the ``after`` cursor; asked twice, fetched once."""
        key = (first, after)
        if key not in self._slices:
            run = self._merged_slice if self.windows > 1 else self._paged_slice
            self._slices[key] = asyncio.ensure_future(run(first, after))
        return await self._slices[key]

    async def _paged_slice(self, first: int, after: str | None) -> SearchResult:
        number, index = _decode(after, "p") if after else (1, 0)
        taken: list[tuple[str, TicketData]] = []
        while True:
            page = await self.page(number)
            rows = page.tickets[index:]
            room = first - len(taken)
            for offset, ticket in enumerate(rows[:room]):
                position = index + offset + 1
                # The last row of a 206 page resumes on the next page, so "after" it costs
                # one call, not a re-read of the page it was on.
                if position >= len(page.tickets) and page.has_more:
                    taken.append((_encode("p", number + 1, 0), ticket))
                else:
                    taken.append((_encode("p", number, position), ticket))
            # Stop on the status, never on the row count: a short page may still say 206 (A9).
            if len(rows) > room or not page.has_more or len(taken) == first:
                more = len(rows) > room or page.has_more
                break
            number, index = number + 1, 0
        _prime(self.context, taken)
        return SearchResult(taken, has_next_page=more, has_previous_page=after is not None)

    async def _merged_slice(self, first: int, after: str | None) -> SearchResult:
        start = _decode(after, "m")[0] if after else 0
        tickets = (await self.merged()).tickets
        end = min(len(tickets), start + first)
        taken = [(_encode("m", i + 1), tickets[i]) for i in range(start, end)]
        _prime(self.context, taken)
        return SearchResult(taken, has_next_page=end < len(tickets), has_previous_page=start > 0)

    async def total_count(self) -> int:
        if self.windows > 1:
            return len((await self.merged()).tickets)
        if not self.has_dates:
            f = self.filters
            count = self.context.upstreams.clickbank.count
            return await count(type=f.type, status=f.status, receipt=f.receipt)
        # The count endpoint takes no dates (seed 002), so a dated search counts its own pages.
        seen: set[str] = set()
        for number in range(1, DEFAULT_MAX_PAGES + 1):  # C3#7: a 206 loop must end
            page = await self.page(number)
            seen.update(ticket.ticket_id for ticket in page.tickets)
            if not page.has_more:
                break
        return len(seen)


def _prime(context: Context, taken: list[tuple[str, TicketData]]) -> None:
    loader = context.loader(vendor_ticket_loader)
    for _, ticket in taken:
        loader.prime(ticket.ticket_id, ticket)


# Kept: a search gives out a cursor per edge, the same ones for the same pages.
@functools.lru_cache(maxsize=4096)
def _encode(kind: str, *numbers: int) -> str:
    text = ":".join(["vt", kind, *map(str, numbers)])
    return base64.urlsafe_b64encode(text.encode()).decode()


_CURSOR_NUMBERS = {"p": 2, "m": 1}  # page and row; offset in the merged list


def _decode(cursor: str, kind: str) -> tuple[int, ...]:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        parts = []
    numbers = parts[2:]
    if (
        parts[:2] == ["vt", kind]
        and len(numbers) == _CURSOR_NUMBERS[kind]
        and all(n.isascii() and n.isdigit() for n in numbers)
        and (kind != "p" or int(numbers[0]) >= 1)
    ):
        return tuple(int(n) for n in numbers)
    raise TicketRequestInvalid("after", "is not a cursor this search gave out")


def search_vendor_tickets(
    context: Context, filters: TicketFilters, first: int
) -> VendorTicketSearch:
    """A search, checked whole (role, page size, every window's rules) before any call."""
    require_agent(context)
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise TicketRequestInvalid("first", f"must be from 0 to {MAX_PAGE_SIZE}")
    windows = split_filters(filters)
    for window in windows:
        _rules.list_params(window)
    return VendorTicketSearch(context, filters, windows=len(windows))


async def vendor_tickets_on_receipt(context: Context, receipt: str) -> list[TicketData]:
    require_agent(context)
    page = await context.upstreams.clickbank.list_all(TicketFilters(receipt=receipt))
    _prime(context, [("", ticket) for ticket in page.tickets])
    return list(page.tickets)


async def preview_refund(
    context: Context,
    receipt: str,
    refund_type: str,
    refund_amount: Decimal | None,
    sku: str | None,
) -> PartialRefundData:
    require_agent(context)
    return await context.upstreams.clickbank.refund_amounts(
        receipt, refund_type, refund_amount, sku
    )


# --- changes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVendorTicket:
    receipt: str
    type: str  # rfnd, cncl or tech
    reason: str  # a reason code of that type
    refund_type: str | None = None
    refund_amount: Decimal | None = None
    sku: str | None = None
    comment: str | None = None
    retain_subscription: bool | None = None


async def create_vendor_ticket(context: Context, new: NewVendorTicket) -> TicketData:
    require_agent(context)
    ticket = await context.upstreams.clickbank.create_ticket(
        new.receipt,
        new.type,
        new.reason,
        sku=new.sku,
        comment=new.comment,
        refund_type=new.refund_type,
        refund_amount=new.refund_amount,
        retain_subscription=new.retain_subscription,
    )
    return _remember(context, ticket)


async def _change(context: Context, call: Callable[[], Awaitable[TicketData]]) -> TicketData:
    require_agent(context)
    return _remember(context, await call())


async def change_vendor_ticket_type(
    context: Context, ticket_id: str, type: str, comment: str | None
) -> TicketData:
    client = context.upstreams.clickbank
    return await _change(context, lambda: client.change_type(ticket_id, type, comment))


async def comment_on_vendor_ticket(context: Context, ticket_id: str, text: str) -> TicketData:
    client = context.upstreams.clickbank
    return await _change(context, lambda: client.comment(ticket_id, text))


async def close_vendor_ticket(context: Context, ticket_id: str, comment: str | None) -> TicketData:
    client = context.upstreams.clickbank
    return await _change(context, lambda: client.close(ticket_id, comment))


async def reopen_vendor_ticket(context: Context, ticket_id: str, comment: str) -> TicketData:
    client = context.upstreams.clickbank
    return await _change(context, lambda: client.reopen(ticket_id, comment))


async def mark_vendor_ticket_returned(context: Context, ticket_id: str) -> TicketData | None:
    """Acknowledge the return (204, no body), then read the ticket as it now is."""
    require_agent(context)
    client = context.upstreams.clickbank
    await client.mark_returned(ticket_id)
    context.loader(vendor_ticket_loader).clear(ticket_id)
    return await context.loader(vendor_ticket_loader).load(ticket_id)
