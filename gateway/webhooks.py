"""``POST /webhooks/cardlytics``: the one webhook Cardlytics delivers to (upstreams.md B4).

CSA ticket updates and RTM reward events share the URL and are told apart by shape:
``processingStatus`` / ``sourceTicketId`` make a ticket update, ``event`` / ``redemptions`` an RTM
event. Order of work, each step before the next:

1. authenticate (``webhook_auth``): anything unproven is 401 and nothing is read further;
2. validate: a body that is not JSON is 400, an incomplete or malformed one 422 naming each
   problem; nothing is stored for either. Unknown status, resolution or event values are kept;
3. store in one transaction, idempotently (a redelivery is answered 200 and changes nothing);
4. publish to subscribers, after the commit; only then the 2xx.

Answers are small JSON bodies (``{"status": "stored" | "duplicate"}`` or ``{"error", "problems"}``).
Logs name the kind and ids of what arrived, never a customer id or a token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from gateway.pubsub import PubSub, rewards_channel, tickets_channel
from gateway.store.db import Database
from gateway.store.events import Outcome, store_reward_event, store_ticket_update
from gateway.upstreams.cardlytics.models import RealtimeEvent
from gateway.upstreams.cardlytics.models.tickets import TicketUpdate
from gateway.webhook_auth import WebhookAuthenticator, WebhookUnauthorized

__all__ = ["CARDLYTICS_WEBHOOK_PATH", "router"]

CARDLYTICS_WEBHOOK_PATH = "/webhooks/cardlytics"
# A write that lost a race with another event's write is tried again before asking for a retry.
_STORE_ATTEMPTS = 3
_MAX_PROBLEMS = 20

logger = logging.getLogger("gateway.webhooks")
router = APIRouter()


class _Invalid(Exception):
    def __init__(self, status: int, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = problems


def _answer(status: int, body: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers or None)


@router.post(CARDLYTICS_WEBHOOK_PATH, include_in_schema=False)
async def cardlytics_webhook(request: Request) -> JSONResponse:
    body = await request.body()
    authenticator: WebhookAuthenticator = request.app.state.webhook_auth
    peer = request.client.host if request.client else None
    try:
        authenticator.verify(request.headers.get("authorization"), body, peer)
    except WebhookUnauthorized as error:
        logger.warning("webhook refused", extra={"reason": str(error)})
        return _answer(
            401, {"error": "unauthorized", "reason": str(error)}, **{"WWW-Authenticate": "Bearer"}
        )
    try:
        kind, parsed, payload = _read(body)
    except _Invalid as invalid:
        logger.warning("webhook payload refused", extra={"problems": invalid.problems[:5]})
        return _answer(invalid.status, {"error": "invalid_payload", "problems": invalid.problems})
    database: Database = request.app.state.database
    try:
        outcome = await _store(database, kind, parsed, payload)
    except (IntegrityError, OperationalError):
        logger.exception("webhook not stored; the sender will deliver it again")
        return _answer(503, {"error": "try_again"}, **{"Retry-After": "1"})
    if outcome.new:
        await _publish(request.app.state.pubsub, kind, parsed, payload, outcome)
    logger.info(
        "webhook received",
        extra={"kind": kind, "id": _delivery_id(parsed), "duplicate": not outcome.new},
    )
    return _answer(200, {"status": "stored" if outcome.new else "duplicate"})


def _read(body: bytes) -> tuple[str, TicketUpdate | RealtimeEvent, dict[str, Any]]:
    try:
        # Decimals for the model (money stays exact); plain JSON for the stored raw payload.
        exact = json.loads(body, parse_float=Decimal)
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Invalid(400, ["body: is not JSON"]) from None
    if not isinstance(payload, dict):
        raise _Invalid(400, ["body: must be a JSON object"])
    is_ticket = "processingStatus" in payload or "sourceTicketId" in payload
    is_rtm = "event" in payload or "redemptions" in payload
    if is_ticket == is_rtm:
        raise _Invalid(
            422,
            [
                "body: neither a ticket update (sourceTicketId, processingStatus) "
                "nor an RTM event (event, eventId, redemptions)"
            ],
        )
    try:
        if is_ticket:
            update = TicketUpdate.model_validate(exact)
            if update.model_extra:
                # C1#7: undocumented fields are tolerated; their names (not values) are logged
                logger.info(
                    "ticket update with extra fields",
                    extra={"fields": sorted(update.model_extra)[:10]},
                )
            return "ticket", update, payload
        event = RealtimeEvent.model_validate(exact)
    except ValidationError as error:
        raise _Invalid(422, _problems(error)) from None
    _check_rtm(event)
    return "rtm", event, payload


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False, include_input=False)[:_MAX_PROBLEMS]:
        where = ".".join(str(part) for part in item["loc"]) or "body"
        problems.append(f"{where}: {item['msg']}")
    return problems


def _check_rtm(event: RealtimeEvent) -> None:
    # Each redemption must say whose it is and what it is worth, or it cannot be folded.
    if not event.redemptions:
        raise _Invalid(422, ["redemptions: must hold at least one redemption"])
    missing = [
        f"redemptions.{i}.sourceCustomerId: Field required"
        for i, redemption in enumerate(event.redemptions)
        if redemption.source_customer_id is None
    ]
    if missing:
        raise _Invalid(422, missing[:_MAX_PROBLEMS])


async def _store(
    database: Database,
    kind: str,
    parsed: TicketUpdate | RealtimeEvent,
    payload: dict[str, Any],
) -> Outcome:
    for attempt in range(_STORE_ATTEMPTS):
        try:
            if isinstance(parsed, TicketUpdate):
                return await store_ticket_update(database, parsed, payload)
            return await store_reward_event(database, parsed, payload)
        except (IntegrityError, OperationalError):
            if attempt == _STORE_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


async def _publish(
    pubsub: PubSub,
    kind: str,
    parsed: TicketUpdate | RealtimeEvent,
    payload: dict[str, Any],
    outcome: Outcome,
) -> None:
    # Stored already: a publish failure loses only the live push, never the event.
    try:
        if isinstance(parsed, TicketUpdate):
            if outcome.ticket is not None:
                await pubsub.publish(
                    tickets_channel(outcome.ticket.customer), _ticket_message(payload, outcome)
                )
            return
        for customer in outcome.customers:
            mine = [
                r
                for r in payload.get("redemptions", [])
                if isinstance(r, dict) and str(r.get("sourceCustomerId")) == customer
            ]
            message = {
                "event": payload.get("event"),
                "eventId": payload.get("eventId"),
                "eventTimestamp": payload.get("eventTimestamp"),
                "redemptions": mine,
            }
            await pubsub.publish(rewards_channel(customer), message)
    except Exception:
        logger.exception("webhook stored but not published", extra={"kind": kind})


def _ticket_message(payload: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    ticket = outcome.ticket
    assert ticket is not None
    ids = ticket.transaction_ids.get("ids", []) if isinstance(ticket.transaction_ids, dict) else []
    # The update's own customer id is left out: subscribers know whose channel they are on.
    fields = {k: v for k, v in payload.items() if k != "sourceCustomerId"}
    return {
        **fields,
        "sourceTicketId": ticket.source_ticket_id,
        "offerId": ticket.offer_id,
        "transactionIds": [str(i) for i in ids],
        "description": ticket.description,
        "submittedAt": ticket.submitted_at.isoformat() if ticket.submitted_at else None,
    }


def _delivery_id(parsed: TicketUpdate | RealtimeEvent) -> str:
    if isinstance(parsed, TicketUpdate):
        return parsed.source_ticket_id
    return parsed.event_id
