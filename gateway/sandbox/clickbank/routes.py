"""The nine endpoints of ``/rest/1.3/tickets`` (plus the HTML service description).

Order matters: like JAX-RS, the literal segments (``list``, ``count``, ``schema``,
``partialRefundDataSchema``, ``refundAmounts``) are declared before ``{id}`` so they win. ``{id}``
is read as text and must be an xs:int; anything else is "no such ticket", which GET and PUT answer
with 403 and ``returned`` with 400, as the seed says for tickets that do not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from gateway.sandbox.clickbank import actions, describe
from gateway.sandbox.clickbank.auth import Role, authorize
from gateway.sandbox.clickbank.conventions import Params, negotiate, require_content_length
from gateway.sandbox.clickbank.errors import forbidden
from gateway.sandbox.clickbank.model import Ticket
from gateway.sandbox.clickbank.render import (
    count_response,
    partial_refund_response,
    ticket_list_response,
    ticket_response,
    xsd_response,
)
from gateway.sandbox.clickbank.rules import (
    parse_create,
    parse_filter,
    parse_page,
    parse_refund_query,
    parse_ticket_id,
    parse_update,
)
from gateway.sandbox.clickbank.state import Simulator
from gateway.sandbox.clickbank.views import partial_refund_record, ticket_record
from gateway.sandbox.clickbank.xsd import partial_refund_schema, ticket_schema

__all__ = ["PAGE_SIZE", "PREFIX", "router"]

PREFIX = "/rest/1.3/tickets"
PAGE_SIZE = 100


def simulator(request: Request) -> Simulator:
    sim: Simulator = request.app.state.clickbank
    return sim


async def prelude(request: Request) -> None:
    """Checks every call passes before its own: the per-client rate limit, then Content-Length."""
    client = request.client.host if request.client else "unknown"
    simulator(request).limiter.check(client)
    require_content_length(request)


router = APIRouter(prefix=PREFIX, dependencies=[Depends(prelude)])


async def method_not_allowed() -> Response:
    raise HTTPException(405, "Method Not Allowed", headers={"Allow": "GET"})


# JAX-RS picks the resource by path before method, so ``PUT /list`` or ``POST /count`` is a 405
# rather than a PUT on ticket "list" or a ticket for receipt "count", as Starlette would route it.
for _literal in ("/list", "/count", "/schema", "/partialRefundDataSchema"):
    router.add_api_route(_literal, method_not_allowed, methods=["POST", "PUT", "DELETE"])


@router.get("", response_class=HTMLResponse)
async def service_description() -> Response:
    return HTMLResponse(describe.page())


@router.get("/schema")
async def get_ticket_schema() -> Response:
    return xsd_response(ticket_schema())


@router.get("/partialRefundDataSchema")
async def get_partial_refund_schema() -> Response:
    return xsd_response(partial_refund_schema())


@router.get("/list")
async def list_tickets(request: Request) -> Response:
    sim = simulator(request)
    authorize(request, sim.keyring, Role.READ)
    output = negotiate(request)
    query = parse_filter(Params(request), check_receipt=True)
    page = parse_page(request.headers.get("page"))
    found = sim.store.search(query)
    rows = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    # 206 while rows remain after this page; the client then asks for the next one (A9).
    status = 206 if page * PAGE_SIZE < len(found) else 200
    return ticket_list_response([ticket_record(t) for t in rows], output, status)


@router.get("/count")
async def count_tickets(request: Request) -> Response:
    sim = simulator(request)
    authorize(request, sim.keyring, Role.READ)
    query = parse_filter(Params(request), check_receipt=False)
    return count_response(len(sim.store.search(query)))


@router.get("/refundAmounts/{receipt}")
async def get_refund_amounts(receipt: str, request: Request) -> Response:
    sim = simulator(request)
    authorize(request, sim.keyring, Role.READ)
    output = negotiate(request)
    query = parse_refund_query(Params(request))
    found = sim.store.receipt(receipt)
    amounts = actions.preview_refund(sim.store, found, actions.line_items(found, query.sku), query)
    return partial_refund_response(partial_refund_record(amounts), output)


@router.post("/{ticket_id}/returned", status_code=204)
async def mark_returned(ticket_id: str, request: Request) -> Response:
    sim = simulator(request)
    authorize(request, sim.keyring, Role.READ, Role.WRITE)
    actions.acknowledge_return(sim.store, parse_ticket_id(ticket_id), sim.clock())
    return Response(status_code=204)


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: str, request: Request) -> Response:
    sim = simulator(request)
    authorize(request, sim.keyring, Role.READ)
    output = negotiate(request)
    return ticket_response(ticket_record(_visible_ticket(sim, ticket_id)), output)


@router.put("/{ticket_id}")
async def update_ticket(ticket_id: str, request: Request) -> Response:
    sim = simulator(request)
    authorize(request, sim.keyring, Role.WRITE)
    output = negotiate(request)
    ticket = _visible_ticket(sim, ticket_id)
    actions.update_ticket(sim.store, ticket, parse_update(Params(request)), sim.clock())
    return ticket_response(ticket_record(ticket), output)


@router.post("/{receipt}")
async def create_ticket(receipt: str, request: Request) -> Response:
    sim = simulator(request)
    authorize(request, sim.keyring, Role.WRITE)
    output = negotiate(request)
    order = parse_create(Params(request))
    ticket = actions.open_ticket(sim.store, receipt, order, sim.clock())
    return ticket_response(ticket_record(ticket), output)


def _visible_ticket(sim: Simulator, raw_id: str) -> Ticket:
    """Our ticket ``raw_id``; unknown, malformed and other accounts' ids are all a bare 403."""
    ticket_id = parse_ticket_id(raw_id)
    ticket = sim.store.ticket(ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise forbidden("Access denied: no such ticket for this account")
    return ticket
