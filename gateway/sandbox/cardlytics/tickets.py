"""CSA tickets, ``/csaapi/v2/tickets`` (seed 000; upstreams.md B2, C1).

``POST`` checks the body's shape at once (400 ``ValidationException``: required fields, 1 to 10
distinct ``transactionIds``, ids as JSON strings or integers) and answers 202 ``{requestId}``.
The rest happens ``ticket_processing_delay_s`` later, as upstream does it: a ``sourceTicketId``
already taken gives the update ``processingStatus: Error`` "Ticket already exists"; so does an
unknown customer (one that never started a session), an offer the customer does not have, or a
transaction that is not the customer's purchase on that offer. An accepted ticket is stored
("In Process", first update ``processingStatus: Success``) and ``ticket_close_delay_s`` later
closed with a resolution (second update): "Reward Received" or "Reward Pending" when the purchase
earned one; when a qualifying purchase earned nothing, the missing reward is issued (pending, with
its RTM event) and the resolution is "Reward Pending"; otherwise "Not eligible for reward" with
the reason (before activation, below the minimum spend, already redeemed) in
``cardlyticsResponse``. Metered offers are judged on the first transaction alone.

``GET /csaapi/v2/tickets/{sourceTicketId}`` answers 404 until the ticket is processed (and for
one that was rejected), then the documented fields. Both need a live session of any customer:
the CSA API serves the publisher, not one customer (B0). Ids are echoed as they were sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from gateway.sandbox.cardlytics import rewards
from gateway.sandbox.cardlytics.bodies import Problems, identifier, read_json_object
from gateway.sandbox.cardlytics.errors import not_found
from gateway.sandbox.cardlytics.model import Ticket, iso
from gateway.sandbox.cardlytics.request_ids import request_id
from gateway.sandbox.cardlytics.sessions import SessionDep
from gateway.sandbox.cardlytics.state import SimDep, Simulator
from gateway.sandbox.cardlytics.vocab import RESOLUTION_TYPES

__all__ = [
    "ALREADY_EXISTS",
    "INVALID_CUSTOMER",
    "INVALID_OFFER",
    "INVALID_TRANSACTION",
    "MAX_TRANSACTIONS",
    "router",
]

TICKETS = "/csaapi/v2/tickets"
MAX_TRANSACTIONS = 10
IN_PROCESS, CLOSED = "In Process", "Closed"
ALREADY_EXISTS = "Ticket already exists"
INVALID_CUSTOMER = "Invalid customer Id"
INVALID_OFFER = "Invalid offer Id"
INVALID_TRANSACTION = "Invalid transaction Id"
NOT_ELIGIBLE, REWARD_PENDING, REWARD_RECEIVED = RESOLUTION_TYPES

router = APIRouter()


@dataclass(frozen=True)
class Draft:
    source_ticket_id: str
    customer_id: str
    offer_id: str
    transaction_ids: tuple[str, ...]
    echo: dict[str, Any]
    received: datetime


@router.post(TICKETS, status_code=202)
async def create_ticket(request: Request, sim: SimDep, _: SessionDep) -> dict[str, Any]:
    draft = _parse(await read_json_object(request))
    sim.background.spawn(_process(sim, draft))
    return {"requestId": request_id()}


@router.get(f"{TICKETS}/{{source_ticket_id}}")
async def get_ticket(source_ticket_id: str, sim: SimDep, _: SessionDep) -> dict[str, Any]:
    ticket = sim.tickets.get(source_ticket_id)
    if ticket is None:
        raise not_found("Ticket not found")
    body: dict[str, Any] = {}
    if "authorEmailAddress" in ticket.echo:
        body["authorEmailAddress"] = ticket.echo["authorEmailAddress"]
    body |= {
        "cdlxTicketId": ticket.cdlx_ticket_id,
        "sourceTicketId": ticket.echo["sourceTicketId"],
        "sourceCustomerId": ticket.echo["sourceCustomerId"],
        "status": ticket.status,
    }
    if ticket.activation_date is not None:
        body["activationDate"] = iso(ticket.activation_date)
    body["description"] = ticket.echo["description"]
    if ticket.resolution is not None:
        body["resolutionType"] = ticket.resolution
    if ticket.response is not None:
        body["cardlyticsResponse"] = ticket.response
    body |= {
        "offerId": ticket.echo["offerId"],
        "transactionIds": ticket.echo["transactionIds"],
        "ticketCreatedDate": iso(ticket.created),
    }
    if ticket.solved is not None:
        body["ticketSolvedDate"] = iso(ticket.solved)
    body |= {"redemptionIds": list(ticket.redemption_ids), "requestId": request_id()}
    return body


def _parse(body: dict[str, Any]) -> Draft:
    problems = Problems()
    ids = {}
    for key in ("sourceTicketId", "sourceCustomerId", "offerId"):
        ids[key] = identifier(body.get(key))
        if ids[key] is None:
            problems.add(f"{key}: is required (a string or an integer)")
    transaction_ids = _transaction_ids(body.get("transactionIds"), problems)
    description = body.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.add("description: is required")
    email = body.get("authorEmailAddress")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        problems.add("authorEmailAddress: must be an e-mail address")
    problems.raise_if_any()
    echo = {
        key: body[key]
        for key in (
            "sourceTicketId",
            "sourceCustomerId",
            "offerId",
            "transactionIds",
            "description",
            "authorEmailAddress",
        )
        if body.get(key) is not None
    }
    return Draft(
        source_ticket_id=str(ids["sourceTicketId"]),
        customer_id=str(ids["sourceCustomerId"]),
        offer_id=str(ids["offerId"]),
        transaction_ids=transaction_ids,
        echo=echo,
        received=datetime.now(UTC),
    )


def _transaction_ids(value: Any, problems: Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TRANSACTIONS:
        problems.add(f"transactionIds: must hold 1 to {MAX_TRANSACTIONS} transaction ids")
        return ()
    ids = [identifier(item) for item in value]
    if any(item is None for item in ids):
        problems.add("transactionIds: each must be a string or an integer")
        return ()
    if len(set(ids)) != len(ids):
        problems.add("transactionIds: must all be different")
    return tuple(str(item) for item in ids)


async def _process(sim: Simulator, draft: Draft) -> None:
    await asyncio.sleep(sim.settings.ticket_processing_delay_s)
    problem = _problem(sim, draft)
    if problem is not None:
        sim.webhooks.send("ticket", _rejected(draft, problem))
        return
    customer = sim.customers[draft.customer_id]
    ticket = Ticket(
        source_ticket_id=draft.source_ticket_id,
        cdlx_ticket_id=next(sim.ticket_ids),
        customer_id=draft.customer_id,
        offer_id=draft.offer_id,
        transaction_ids=draft.transaction_ids,
        echo=draft.echo,
        created=draft.received,
        activation_date=customer.ads[draft.offer_id].activated_at,
    )
    sim.tickets[ticket.source_ticket_id] = ticket
    first = sim.webhooks.send("ticket", _update(ticket))
    await asyncio.sleep(sim.settings.ticket_close_delay_s)
    _close(sim, ticket)
    sim.webhooks.send("ticket", _update(ticket), after=first)


def _problem(sim: Simulator, draft: Draft) -> str | None:
    if draft.source_ticket_id in sim.tickets:
        return ALREADY_EXISTS
    customer = sim.customers.get(draft.customer_id)
    if customer is None or not customer.has_session or customer.anonymous:
        return INVALID_CUSTOMER
    if draft.offer_id not in customer.ads:
        return INVALID_OFFER
    for transaction_id in draft.transaction_ids:
        txn = customer.transactions.get(transaction_id)
        if txn is None or txn.ad_id != draft.offer_id:
            return INVALID_TRANSACTION
    return None


def _close(sim: Simulator, ticket: Ticket) -> None:
    customer = sim.customers[ticket.customer_id]
    earned = [
        r
        for r in customer.redemptions
        if r.counts and r.ad_id == ticket.offer_id and r.transaction_id in ticket.transaction_ids
    ]
    if earned:
        pending = any(r.pending for r in earned)
        ticket.resolution = REWARD_PENDING if pending else REWARD_RECEIVED
        ticket.response = (
            "The reward for this purchase is pending and will be paid once settled."
            if pending
            else "The reward for this purchase has already been paid."
        )
    else:
        reason = _ineligible(sim, ticket)
        if reason is None:
            txn = customer.transactions[ticket.transaction_ids[0]]
            earned = [rewards.issue_missing(sim, customer, txn)]
            ticket.resolution = REWARD_PENDING
            ticket.response = "The purchase qualified; the missing reward has been issued."
        else:
            ticket.resolution, ticket.response = NOT_ELIGIBLE, reason
    ticket.redemption_ids = [r.redemption_id for r in earned]
    ticket.status = CLOSED
    ticket.solved = datetime.now(UTC)


def _ineligible(sim: Simulator, ticket: Ticket) -> str | None:
    """Why none of the ticket's purchases earns the reward; None when the first one does."""
    customer = sim.customers[ticket.customer_id]
    spec = sim.ad(ticket.offer_id)
    activated = customer.ads[ticket.offer_id].activated_at
    txn = customer.transactions[ticket.transaction_ids[0]]
    if activated is None or txn.date < activated:
        return "The purchase was made before the offer was activated."
    if not spec.reward.metered and txn.amount < spec.reward.min_spend:
        return "The purchase did not reach the offer's minimum spend."
    if not spec.reward.multi_redemption and any(
        r.counts and r.ad_id == spec.ad_id for r in customer.redemptions
    ):
        return "The offer can be redeemed once and was already redeemed."
    return None


def _update(ticket: Ticket) -> dict[str, Any]:
    """A ticket update as the webhook table and the success sample have it."""
    update: dict[str, Any] = {"cdlxTicketId": ticket.cdlx_ticket_id}
    if "authorEmailAddress" in ticket.echo:
        update["authorEmailAddress"] = ticket.echo["authorEmailAddress"]
    update |= {
        "processingStatus": "Success",
        "description": ticket.echo["description"],
        "sourceTicketId": ticket.echo["sourceTicketId"],
        "status": ticket.status,
    }
    if ticket.resolution is not None:
        update["resolutionType"] = ticket.resolution
    if ticket.response is not None:
        update["cardlyticsResponse"] = ticket.response
    update["sourceCustomerId"] = ticket.echo["sourceCustomerId"]
    return update


def _rejected(draft: Draft, message: str) -> dict[str, Any]:
    """The failed sample's fields, minus ones it shows that no table documents (C1#7)."""
    rejected = {
        key: draft.echo[key]
        for key in (
            "offerId",
            "transactionIds",
            "sourceTicketId",
            "sourceCustomerId",
            "authorEmailAddress",
            "description",
        )
        if key in draft.echo
    }
    return rejected | {"processingStatusMessage": message, "processingStatus": "Error"}
