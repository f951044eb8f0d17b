"""``POST /v2/session/startSession`` and the session checks every other endpoint makes.

Credentials are exactly ``{"clientId", "secret"}``; wrong or missing ones answer 500
``InternalServerError`` as seed 001 says (C2#3). The token is sent back as
``Authorization: Bearer <token>`` (Rewards Platform) or ``X-CDLX-Session-Token`` (legacy, B0), and
with the same ``x-source-customer-id`` it was issued for; anything else is 401.

``POST /_sandbox/tokens/expire`` (control plane) ends every session and makes every ad serve token
read as expired, so a test can see the 401 / expired-token paths without waiting 15 minutes.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from gateway.sandbox.cardlytics.bodies import read_json_object
from gateway.sandbox.cardlytics.errors import internal_error, session_invalid, validation_failed
from gateway.sandbox.cardlytics.model import Customer
from gateway.sandbox.cardlytics.request_ids import request_id
from gateway.sandbox.cardlytics.state import SimDep
from gateway.sandbox.cardlytics.tokens import Session
from gateway.sandbox.control import CONTROL_PREFIX
from gateway.settings import SandboxSettings

__all__ = ["NOT_ENROLLED", "CustomerDep", "SessionDep", "router"]

NOT_ENROLLED = "User is not enrolled in the program and should not receive events."

router = APIRouter()


@router.post("/v2/session/startSession")
async def start_session(request: Request, sim: SimDep) -> dict[str, Any]:
    body = await read_json_object(request)
    if not _credentials_match(body, sim.settings):
        raise internal_error()
    customer_id = _customer_header(request)
    if not customer_id:
        raise validation_failed("x-source-customer-id: header is required")
    if customer_id in sim.unenrolled:
        raise validation_failed(NOT_ENROLLED, title=NOT_ENROLLED)
    customer = sim.customer(customer_id)
    customer.has_session = True
    token = sim.sessions.issue(customer_id, customer.cardlytics_id)
    return {"sessionToken": token, "requestId": request_id()}


@router.post(f"{CONTROL_PREFIX}/tokens/expire", status_code=204)
async def expire_tokens(sim: SimDep) -> None:
    sim.sessions.expire_all()
    sim.serve_tokens.expire_all()


def _credentials_match(body: dict[str, Any], settings: SandboxSettings) -> bool:
    client_id, secret = body.get("clientId"), body.get("secret")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        return False
    expected = settings.cardlytics_secret.get_secret_value()
    return client_id == settings.cardlytics_client_id and hmac.compare_digest(
        secret.encode(), expected.encode()
    )


def _customer_header(request: Request) -> str:
    return request.headers.get("x-source-customer-id", "").strip()


def _token(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-cdlx-session-token", "").strip()


async def authenticated_customer(request: Request, sim: SimDep) -> Customer:
    customer_id = _customer_header(request)
    token = _token(request)
    if not token or not customer_id or sim.sessions.verify(token, customer_id) is None:
        raise session_invalid()
    return sim.customer(customer_id)


async def any_session(request: Request, sim: SimDep) -> Session:
    """For the CSA API, which serves the publisher rather than one customer."""
    session = sim.sessions.verify(_token(request), None)
    if session is None:
        raise session_invalid()
    return session


CustomerDep = Annotated[Customer, Depends(authenticated_customer)]
SessionDep = Annotated[Session, Depends(any_session)]
