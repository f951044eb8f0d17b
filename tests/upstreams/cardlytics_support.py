"""What the Cardlytics client tests share: credentials, customer ids, a client factory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic import SecretStr

from gateway.customer_ids import CustomerIdHasher, HashedCustomerId
from gateway.settings import SANDBOX_DEFAULTS
from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.cardlytics.models import AdsQuery, Channel
from gateway.upstreams.http import UpstreamHTTP
from gateway.upstreams.resilience import CircuitBreaker, RetryPolicy
from tests.support.sandbox import Sandbox

CLIENT_ID = SANDBOX_DEFAULTS.cardlytics_client_id
SECRET = SecretStr(SANDBOX_DEFAULTS.cardlytics_secret)
HASHER = CustomerIdHasher(SANDBOX_DEFAULTS.customer_id_hmac_key.encode())

FAST_RETRIES = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02)
NO_RETRIES = RetryPolicy(attempts=1)

START_SESSION = "POST /v2/session/startSession"
GET_ADS = "POST /v2/ads/getAds"
CLIENT_EVENT = "POST /v2/events/clientEvent"
ACCOUNT_LINK_GET = "GET /v2/data/accountLink"
ACCOUNT_LINK_POST = "POST /v2/data/accountLink"
ACCOUNT_LINK_DELETE = "DELETE /v2/data/accountLink/{account_link_id}"
TICKETS_POST = "POST /csaapi/v2/tickets"
TICKET_GET = "GET /csaapi/v2/tickets/{source_ticket_id}"
CUSTOMER_PROFILE = "GET /v2/customerProfile/getCustomerProfile"
REWARD_SUMMARY = "GET /v2/customerProfile/getCustomerRewardSummary"
AD_REDEMPTIONS = "GET /v2/customerProfile/getCustomerAdRedemptions"

ALL_OFFERS = AdsQuery(channel=Channel.OLB)


def customer(n: int | str) -> HashedCustomerId:
    """The hashed id of sample customer ``n`` (the raw id never reaches the client)."""
    return HASHER(f"customer-{n}")


def raw_customer_id(n: int | str) -> str:
    return f"customer-{n}"


def calls_to(sandbox: Sandbox, *keys: str) -> dict[str, int]:
    """The simulator's call counts for ``keys`` (0 when a route was never called)."""
    calls = sandbox.calls("cardlytics")
    return {key: calls.get(key, 0) for key in keys}


async def expire_sessions(sandbox: Sandbox) -> None:
    """Make the simulator forget every session token it issued (as if they all expired)."""
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{sandbox.cardlytics_url}/_sandbox/tokens/expire")
        response.raise_for_status()


class Recorder:
    """Keeps the JSON bodies the client sends, as a request event hook."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def headers(self, name: str) -> list[str | None]:
        return [r.headers.get(name) for r in self.requests]

    def bodies(self, path_end: str) -> list[Any]:
        return [json.loads(r.content) for r in self.requests if r.url.path.endswith(path_end)]


@asynccontextmanager
async def cardlytics_client(
    base_url: str,
    *,
    secret: SecretStr = SECRET,
    retry: RetryPolicy = FAST_RETRIES,
    breaker: CircuitBreaker | None = None,
    read_timeout_s: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
    recorder: Recorder | None = None,
    **options: Any,
) -> AsyncIterator[CardlyticsClient]:
    """A client as the composition root builds one, over a real (or a mock) transport."""
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(5.0, read=read_timeout_s),
        transport=transport,
        event_hooks={"request": [recorder] if recorder else []},
    ) as http_client:
        http = UpstreamHTTP(
            "cardlytics",
            http_client,
            retry=retry,
            breaker=breaker or CircuitBreaker(),
            request_id_header="X-CDLX-Request-Id",
        )
        yield CardlyticsClient(http, client_id=CLIENT_ID, secret=secret, **options)
