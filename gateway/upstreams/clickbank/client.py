"""The ClickBank tickets API client (REST 1.3, ``/rest/1.3/tickets``).

Wire rules (upstreams.md A2, A3, A9): one ``Authorization`` header with no scheme word; every
parameter in the query string, POST and PUT included, with an empty body (``Content-Length: 0``);
``Accept`` picks JSON or XML; the list page number travels in a ``Page`` request header.
Every documented rule is checked first (``rules.py``): an invalid request never leaves the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr, ValidationError

from gateway.upstreams.clickbank import ranges, rules, wire
from gateway.upstreams.clickbank.classify import UPSTREAM, classify_status
from gateway.upstreams.clickbank.models import (
    PartialRefundData,
    TicketData,
    TicketFilters,
    TicketPage,
)
from gateway.upstreams.clickbank.plain import read_plain_page
from gateway.upstreams.clickbank.vocab import RequestType, TicketStatus, response_type
from gateway.upstreams.errors import (
    UpstreamError,
    UpstreamMalformed,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.upstreams.http import Answer, UpstreamHTTP

__all__ = [
    "DEFAULT_MAX_PAGES",
    "DEFAULT_WINDOW_CONCURRENCY",
    "ClickBankTicketsClient",
    "OutputFormat",
]

T = TypeVar("T")
OutputFormat = Literal["json", "xml"]
DEFAULT_MAX_PAGES = 1000  # C3#7: a 206 loop must end even if the upstream never says 200
# Windows fetched at once by ``list_range``: well under the 10 requests a second per IP (A11).
DEFAULT_WINDOW_CONCURRENCY = 4
_ACCEPT: dict[OutputFormat, str] = {"json": "application/json", "xml": "application/xml"}
PARTIAL_CONTENT = 206


class ClickBankTicketsClient:
    """Vendor tickets on order receipts: create, read, act on, search and count them.

    ``http`` is the shared request core for this upstream (its ``httpx.AsyncClient`` has the base
    URL ``.../rest/1.3`` and the timeouts). Keys are used only to build the ``Authorization``
    header: ``API-<key>``, or ``DEV-<developer key>:API-<key>`` when a developer key is given.
    """

    def __init__(
        self,
        http: UpstreamHTTP,
        *,
        api_key: SecretStr,
        developer_key: SecretStr | None = None,
        output: OutputFormat = "json",
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self._http = http
        self._authorization = SecretStr(_authorization(api_key, developer_key))
        self._accept = _ACCEPT[output]
        self._max_pages = max_pages

    # --- tickets on a receipt -------------------------------------------------------------

    async def create_ticket(
        self,
        receipt: str,
        type: str,
        reason: str,
        *,
        sku: str | None = None,
        comment: str | None = None,
        refund_type: str | None = None,
        refund_amount: rules.Amount | None = None,
        retain_subscription: bool | None = None,
    ) -> TicketData:
        path = f"/tickets/{_segment(rules.order_receipt(receipt))}"
        params = rules.create_params(
            type,
            reason,
            sku=sku,
            comment=comment,
            refund_type=refund_type,
            refund_amount=refund_amount,
            retain_subscription=retain_subscription,
        )
        # Never repeated: a POST that reached the API may have opened the ticket, and a second
        # one could open another (or come back as a misleading "already open" refusal).
        return await self._call("POST", path, params, idempotent=False, parse=_ticket)

    async def refund_amounts(
        self,
        receipt: str,
        refund_type: str,
        refund_amount: rules.Amount | None = None,
        sku: str | None = None,
    ) -> PartialRefundData:
        path = f"/tickets/refundAmounts/{_segment(rules.order_receipt(receipt))}"
        params = rules.refund_amounts_params(refund_type, refund_amount, sku)
        return await self._call("GET", path, params, idempotent=True, parse=_refund_data)

    # --- one ticket -----------------------------------------------------------------------

    # A 403 (``UpstreamNotAllowed``) means "no such ticket, or not ours": the API cannot say which.
    async def get_ticket(self, ticket_id: str) -> TicketData:
        path = f"/tickets/{rules.ticket_id(ticket_id)}"
        return await self._call("GET", path, {}, idempotent=True, parse=_ticket)

    async def comment(self, ticket_id: str, text: str) -> TicketData:
        # Not repeated: each PUT that lands adds one more comment.
        return await self._put(ticket_id, rules.comment_params(text), idempotent=False)

    async def change_type(
        self, ticket_id: str, type: str, comment: str | None = None
    ) -> TicketData:
        # Changing to rfnd always makes a full refund: no refund parameters are sent (seed).
        params = rules.change_params(type, comment)
        target = response_type(RequestType(params["type"]))
        return await self._converge(ticket_id, params, lambda ticket: ticket.type == target)

    async def close(self, ticket_id: str, comment: str | None = None) -> TicketData:
        params = rules.close_params(comment)
        closed = TicketStatus.CLOSED
        return await self._converge(ticket_id, params, lambda ticket: ticket.status == closed)

    async def reopen(self, ticket_id: str, comment: str) -> TicketData:
        params = rules.reopen_params(comment)
        reopened = TicketStatus.REOPENED
        return await self._converge(ticket_id, params, lambda ticket: ticket.status == reopened)

    # Acknowledge the physical return; 204 (or a 200 whose body is ignored, C3#4).
    async def mark_returned(self, ticket_id: str) -> None:
        path = f"/tickets/{rules.ticket_id(ticket_id)}/returned"
        # Not repeated: acknowledging completes the refund and closes the ticket, so a replay of
        # one that landed is refused with a 400, hiding the success.
        await self._call("POST", path, {}, idempotent=False, parse=_ignore)

    # --- searches -------------------------------------------------------------------------

    async def count(
        self, *, type: str | None = None, status: str | None = None, receipt: str | None = None
    ) -> int:
        params = rules.count_params(type, status, receipt)
        return await self._call("GET", "/tickets/count", params, idempotent=True, parse=_count)

    # One page (page numbers start at 1); ``has_more`` is the upstream's 206.
    async def list_page(self, filters: TicketFilters | None = None, page: int = 1) -> TicketPage:
        if page < 1:
            raise rules.TicketRequestInvalid("page", "pages are numbered from 1")
        params = rules.list_params(filters or TicketFilters())
        tickets, more = await self._call(
            "GET", "/tickets/list", params, idempotent=True, parse=_page, page=page
        )
        return TicketPage(tickets=tickets, has_more=more, page=page)

    # Every page, following 206 until a 200; ``has_more`` stays true if the cap stopped it.
    # Stops on the status, never on the row count: a short page can still say 206 (A9). A ticket
    # repeated across pages (the data moved while paging) is kept once.
    async def list_all(
        self, filters: TicketFilters | None = None, max_pages: int | None = None
    ) -> TicketPage:
        limit = max_pages or self._max_pages
        filters = filters or TicketFilters()
        seen: dict[str, TicketData] = {}
        page = TicketPage(tickets=(), has_more=True, page=1)
        for number in range(1, limit + 1):
            page = await self.list_page(filters, number)
            for ticket in page.tickets:
                seen.setdefault(ticket.ticket_id, ticket)
            if not page.has_more:
                break
        return TicketPage(tickets=tuple(seen.values()), has_more=page.has_more, page=page.page)

    # Like ``list_all``, but date ranges may be longer than the API's 7 days: each window
    # (``ranges.split_filters``) is paged on its own, ``concurrency`` windows at a time, and the
    # results are merged in window order, each ticket once. ``has_more`` is true if any window
    # stopped at the page cap; ``page`` is the most pages any one window took. Every window is
    # checked before the first is sent, and one failing window fails the whole search (the
    # others are cancelled): a silently partial list would read as "no such tickets".
    async def list_range(
        self,
        filters: TicketFilters,
        *,
        concurrency: int = DEFAULT_WINDOW_CONCURRENCY,
        max_pages: int | None = None,
    ) -> TicketPage:
        searches = ranges.split_filters(filters)
        for search in searches:
            rules.list_params(search)
        gate = asyncio.Semaphore(max(1, concurrency))

        async def fetch(search: TicketFilters) -> TicketPage:
            async with gate:
                return await self.list_all(search, max_pages)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(fetch(search)) for search in searches]
        except ExceptionGroup as failed:
            # callers handle one UpstreamError, as from any other method: the first is the cause
            raise failed.exceptions[0] from None
        pages = [task.result() for task in tasks]
        seen: dict[str, TicketData] = {}
        for result in pages:
            for ticket in result.tickets:
                seen.setdefault(ticket.ticket_id, ticket)
        return TicketPage(
            tickets=tuple(seen.values()),
            has_more=any(p.has_more for p in pages),
            page=max(p.page for p in pages),
        )

    # --- the published XML schemas -------------------------------------------------------------

    # The XSD of TicketData (``/tickets/schema``), as text: to check what the models expect
    # against what the API says it sends. Served as XML only, and without keys (A1).
    async def ticket_schema(self) -> str:
        return await self._schema("/tickets/schema")

    # The XSD of PartialRefundData (``/tickets/partialRefundDataSchema``; the seed's "Return
    # Type: null" is wrong, it is an XSD like the other).
    async def partial_refund_data_schema(self) -> str:
        return await self._schema("/tickets/partialRefundDataSchema")

    async def _schema(self, path: str) -> str:
        return await self._call(
            "GET", path, {}, idempotent=True, parse=_xsd, accept=_ACCEPT["xml"], keys=False
        )

    # --- sending --------------------------------------------------------------------------

    # Change, close and reopen set a state, so they converge, but a blind replay is not safe:
    # the API refuses to close a closed ticket or reopen an open one (400), so repeating one that
    # did land would report a failure for a change that happened, and record its comment twice.
    # So after a failure that leaves it unknown whether the PUT landed (timeout, 5xx, dropped
    # connection), look at the ticket first, and send again only if it is not there yet.
    async def _converge(
        self, ticket_id: str, params: rules.Params, reached: Callable[[TicketData], bool]
    ) -> TicketData:
        try:
            return await self._put(ticket_id, params, idempotent=False)
        except (UpstreamUnavailable, UpstreamTimeout):
            current = await self.get_ticket(ticket_id)
            if reached(current):
                return current
            return await self._put(ticket_id, params, idempotent=True)

    async def _put(self, ticket_id: str, params: rules.Params, *, idempotent: bool) -> TicketData:
        path = f"/tickets/{rules.ticket_id(ticket_id)}"
        return await self._call("PUT", path, params, idempotent=idempotent, parse=_ticket)

    async def _call(
        self,
        method: str,
        path: str,
        params: rules.Params,
        *,
        idempotent: bool,
        parse: Callable[[Answer], T],
        page: int | None = None,
        accept: str | None = None,
        keys: bool = True,
    ) -> T:
        self._check_length(path, params)
        headers = {"Accept": accept or self._accept}
        if keys:  # never sent where the API does not ask for them: less to leak
            headers["Authorization"] = self._authorization.get_secret_value()
        if page is not None:
            headers["Page"] = str(page)
        reader = _Reader(parse)
        await self._http.send(
            method,
            path,
            classify=reader.classify,
            idempotent=idempotent,
            headers=headers,
            params=params,
            # parameters never go in the body; an explicit empty one makes Content-Length: 0
            content=b"" if method in ("POST", "PUT") else None,
        )
        return reader.result()

    def _check_length(self, path: str, params: rules.Params) -> None:
        query = str(httpx.QueryParams(params))
        length = len(str(self._http.client.base_url).rstrip("/")) + len(path) + 1 + len(query)
        if params:
            rules.check_url_length(length, max(params, key=lambda name: len(params[name])))


class _Reader(Generic[T]):
    """Reads a 2xx answer inside ``classify``, so an unreadable one is an error like any other
    (logged with the call, counted by the circuit breaker)."""

    def __init__(self, parse: Callable[[Answer], T]) -> None:
        self._parse = parse
        self._value: tuple[T] | None = None

    def classify(self, response: Answer, request_id: str) -> UpstreamError | None:
        error = classify_status(response, request_id)
        if error is not None:
            return error
        try:
            self._value = (self._parse(response),)
        except wire.WireError as exc:
            return _malformed(str(exc), response, request_id)
        except ValidationError as exc:
            fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors(include_input=False)})
            return _malformed(f"unreadable fields {', '.join(fields)}", response, request_id)
        return None

    def result(self) -> T:
        if self._value is None:  # send() returned, so classify accepted an answer
            raise AssertionError("no answer was read")
        return self._value[0]


def _malformed(reason: str, response: Answer, request_id: str) -> UpstreamMalformed:
    return UpstreamMalformed(UPSTREAM, reason, status=response.status_code, request_id=request_id)


# --- answers ------------------------------------------------------------------------------


def _is_xml(response: Answer) -> bool:
    content_type = response.headers.get("content-type", "")
    if content_type:
        return "xml" in content_type
    return response.content.lstrip().startswith(b"<")


def _ticket(response: Answer) -> TicketData:
    raw = wire.read_object(response.content, xml=_is_xml(response), root=wire.TICKET)
    return TicketData.read(raw)


def _refund_data(response: Answer) -> PartialRefundData:
    raw = wire.read_object(response.content, xml=_is_xml(response), root="partialRefundData")
    return PartialRefundData.model_validate(raw)


def _page(response: Answer) -> tuple[tuple[TicketData, ...], bool]:
    xml = _is_xml(response)
    tickets = None if xml else read_plain_page(response.content)
    if tickets is None:  # not the usual page: the general reader and the open rules decide
        rows = wire.read_ticket_list(response.content, xml=xml)
        tickets = tuple(TicketData.read(row) for row in rows)
    return tickets, response.status_code == PARTIAL_CONTENT


def _count(response: Answer) -> int:
    return wire.read_count(response.content)


def _xsd(response: Answer) -> str:
    wire.read_schema(response.content)
    return response.text


def _ignore(response: Answer) -> None:
    return None


# --- request pieces -----------------------------------------------------------------------


def _authorization(api_key: SecretStr, developer_key: SecretStr | None) -> str:
    # Keys may be configured with or without their "API-" / "DEV-" prefix.
    api = _prefixed("API-", api_key.get_secret_value())
    if developer_key is None:
        return api
    return f"{_prefixed('DEV-', developer_key.get_secret_value())}:{api}"


def _prefixed(prefix: str, key: str) -> str:
    key = key.strip()
    return key if key.startswith(prefix) else prefix + key


def _segment(value: str) -> str:
    return quote(value, safe="")
