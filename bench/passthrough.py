"""The reference: a minimal FastAPI pass-through that makes the gateway's upstream calls.

For each benchmarked operation it makes the same calls the gateway makes (the sandbox's call
counts say which), with the gateway's HTTP client setup (one ``httpx.AsyncClient`` per upstream
over the gateway's HTTP/1.1 transport, called through the same direct lane, same pool limits and
timeouts, a session token cached per customer), and answers with the upstream JSON unchanged.
``--client httpx`` keeps httpx's own transport (httpcore) instead, the usual FastAPI set-up. It
checks the same bearer JWT and hashes the customer id the same way, since the gateway cannot skip
either; it does no GraphQL work.
What the gateway costs above this is what the gateway adds.

Run: ``python -m bench.passthrough --port P [--client gateway|httpx]``, with the upstream URLs
and keys in the GATEWAY_* settings, like the gateway. ``POST /bench/<operation>`` takes the
gateway's request body.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import jwt
import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

from bench.operations import DEFAULT_ADS_QUERY, HOME_ADS_QUERY
from gateway.customer_ids import CustomerIdHasher
from gateway.settings import Settings
from gateway.upstreams.http import Answer
from gateway.upstreams.http1 import HTTP1Transport
from gateway.upstreams.lane import direct_requests

__all__ = ["create_passthrough", "main"]

_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)  # gateway/app.py


class UpstreamFailed(Exception):
    pass


class Upstreams:
    def __init__(self, settings: Settings, client_kind: str = "gateway") -> None:
        def client(base_url: str, read_s: float, connect_s: float) -> httpx.AsyncClient:
            return httpx.AsyncClient(
                base_url=base_url,
                timeout=httpx.Timeout(read_s, connect=connect_s),
                limits=_POOL_LIMITS,
                transport=HTTP1Transport(_POOL_LIMITS) if client_kind == "gateway" else None,
            )

        self.settings = settings
        self.cardlytics = client(
            str(settings.cardlytics_base_url),
            settings.cardlytics_read_timeout_s,
            settings.cardlytics_connect_timeout_s,
        )
        self.clickbank = client(
            str(settings.clickbank_base_url),
            settings.clickbank_read_timeout_s,
            settings.clickbank_connect_timeout_s,
        )
        # The gateway's calls skip httpx's own layers where its client allows (UpstreamHTTP picks
        # the direct lane): so do the pass-through's, or it would pay what the gateway no
        # longer does. With plain httpx (--reference-client httpx) there is no lane.
        self.cardlytics_send: Sender = direct_requests(self.cardlytics) or self.cardlytics
        self.clickbank_send: Sender = direct_requests(self.clickbank) or self.clickbank
        api_key = settings.clickbank_api_key.get_secret_value()
        self.clickbank_headers = {
            "Accept": "application/json",
            "Authorization": api_key if api_key.startswith("API-") else f"API-{api_key}",
        }
        self.hash_customer = CustomerIdHasher(
            settings.customer_id_hmac_key.get_secret_value().encode()
        )
        self._tokens: dict[str, str] = {}
        self._in_flight: dict[str, asyncio.Task[str]] = {}

    async def aclose(self) -> None:
        await self.cardlytics.aclose()
        await self.clickbank.aclose()

    def customer(self, authorization: str | None) -> str:
        if not authorization or not authorization.startswith("Bearer "):
            raise PermissionError("no bearer token")
        claims = jwt.decode(
            authorization[7:],
            self.settings.jwt_shared_key.get_secret_value(),
            algorithms=["HS256"],
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
        )
        return self.hash_customer(str(claims["sub"]))

    async def _token(self, customer: str) -> str:
        if (token := self._tokens.get(customer)) is not None:
            return token
        task = self._in_flight.get(customer)
        if task is None:  # one startSession per customer however many requests wait for it
            task = asyncio.create_task(self._start_session(customer))
            self._in_flight[customer] = task
            task.add_done_callback(lambda _: self._in_flight.pop(customer, None))
        return await asyncio.shield(task)

    async def _start_session(self, customer: str) -> str:
        path = "/v2/session/startSession"
        response = await self.cardlytics_send.request(
            "POST",
            path,
            headers={"x-source-customer-id": customer, "X-CDLX-Request-Id": str(uuid.uuid4())},
            json={
                "clientId": self.settings.cardlytics_client_id,
                "secret": self.settings.cardlytics_secret.get_secret_value(),
            },
        )
        _check(response, path)
        token: str = orjson.loads(response.content)["sessionToken"]
        self._tokens[customer] = token
        return token

    async def cardlytics_call(
        self, method: str, path: str, customer: str, json: Any = None
    ) -> bytes:
        for attempt in (1, 2):
            token = await self._token(customer)
            response = await self.cardlytics_send.request(
                method,
                path,
                json=json,
                headers={
                    "Authorization": f"Bearer {token}",
                    "x-source-customer-id": customer,
                    "X-CDLX-Request-Id": str(uuid.uuid4()),
                },
            )
            if response.status_code == 401 and attempt == 1:
                self._tokens.pop(customer, None)  # expired upstream: fetch once more
                continue
            _check(response, path)
            return response.content
        raise AssertionError("unreachable")

    async def clickbank_get(
        self, path: str, params: dict[str, str] | None = None, page: int | None = None
    ) -> Answer:
        headers = dict(self.clickbank_headers)
        if page is not None:
            headers["Page"] = str(page)
        response = await self.clickbank_send.request("GET", path, params=params, headers=headers)
        _check(response, path)
        return response


class Sender(Protocol):
    """``httpx.AsyncClient.request``'s shape, as the direct lane has it too."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = ...,
        params: Any = ...,
        headers: Any = ...,
    ) -> Answer: ...


def _check(response: Answer, path: str) -> None:
    if not 200 <= response.status_code < 300:
        raise UpstreamFailed(f"{path}: {response.status_code}")


def _joined(**parts: bytes) -> bytes:
    """Upstream answers side by side in one JSON object, each byte for byte as it came."""
    return b"{" + b",".join(b'"' + k.encode() + b'":' + v for k, v in parts.items()) + b"}"


def _event(name: str, kind: str, ad: dict[str, Any], position: int | None = None) -> Any:
    metadata: dict[str, Any] = {
        "serveToken": ad["adServeToken"],
        "section": "Dashboard",
        "channel": "MobileApp",
    }
    if position is not None:
        metadata["displayPosition"] = position
    return {
        "clientEventId": str(uuid.uuid4()),
        "clientEventType": kind,
        "clientEvent": name,
        "clientEventTimestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "clientEventMetadata": metadata,
    }


def _ads_by_id(answer: bytes) -> dict[str, dict[str, Any]]:
    ads: dict[str, dict[str, Any]] = orjson.loads(answer)["ads"]
    return ads


Handler = Callable[[Upstreams, str | None, dict[str, Any]], Awaitable[bytes]]


async def home(up: Upstreams, auth: str | None, variables: dict[str, Any]) -> bytes:
    customer = up.customer(auth)
    # The summary's amounts need the profile's currency: the gateway reads both.
    ads, summary, profile = await asyncio.gather(
        up.cardlytics_call("POST", "/v2/ads/getAds", customer, HOME_ADS_QUERY),
        up.cardlytics_call("GET", "/v2/customerProfile/getCustomerRewardSummary", customer),
        up.cardlytics_call("GET", "/v2/customerProfile/getCustomerProfile", customer),
    )
    return _joined(getAds=ads, rewardSummary=summary, customerProfile=profile)


async def offer_detail(up: Upstreams, auth: str | None, variables: dict[str, Any]) -> bytes:
    return await up.cardlytics_call("POST", "/v2/ads/getAds", up.customer(auth), DEFAULT_ADS_QUERY)


async def activate_offer(up: Upstreams, auth: str | None, variables: dict[str, Any]) -> bytes:
    customer = up.customer(auth)
    ads = _ads_by_id(
        await up.cardlytics_call("POST", "/v2/ads/getAds", customer, DEFAULT_ADS_QUERY)
    )
    event = _event("ActivateOffer", "AdInteraction", ads[str(variables["offerId"])])
    await up.cardlytics_call("POST", "/v2/events/clientEvent", customer, {"clientEvents": [event]})
    return await up.cardlytics_call("POST", "/v2/ads/getAds", customer, DEFAULT_ADS_QUERY)


async def record_impressions(up: Upstreams, auth: str | None, variables: dict[str, Any]) -> bytes:
    customer = up.customer(auth)
    ads = _ads_by_id(
        await up.cardlytics_call("POST", "/v2/ads/getAds", customer, DEFAULT_ADS_QUERY)
    )
    events = [
        _event("AdViewableImpression", "AdImpression", ads[str(e["offerId"])], e["displayPosition"])
        for e in variables["events"]
    ]
    body = {"clientEvents": events}
    return await up.cardlytics_call("POST", "/v2/events/clientEvent", customer, body)


async def agent_ticket_search(up: Upstreams, auth: str | None, variables: dict[str, Any]) -> bytes:
    up.customer(auth)  # an agent's token: checked, not used upstream
    found = variables["filter"]
    params = {"createDateFrom": found["createDateFrom"], "createDateTo": found["createDateTo"]}
    pages: dict[str, bytes] = {}
    page = 1
    while True:  # 206 means another page follows
        response = await up.clickbank_get("/tickets/list", params, page=page)
        pages[f"page{page}"] = response.content
        if response.status_code != 206:
            return _joined(**pages)
        page += 1


async def agent_ticket_detail(up: Upstreams, auth: str | None, variables: dict[str, Any]) -> bytes:
    up.customer(auth)
    ticket, preview = await asyncio.gather(
        up.clickbank_get(f"/tickets/{variables['id']}"),
        up.clickbank_get(f"/tickets/refundAmounts/{variables['receipt']}", {"refundType": "FULL"}),
    )
    return _joined(ticket=ticket.content, refundPreview=preview.content)


HANDLERS: dict[str, Handler] = {
    "home": home,
    "offer_detail": offer_detail,
    "activate_offer": activate_offer,
    "record_impressions": record_impressions,
    "agent_ticket_search": agent_ticket_search,
    "agent_ticket_detail": agent_ticket_detail,
}


def create_passthrough(settings: Settings, client_kind: str = "gateway") -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upstreams = Upstreams(settings, client_kind)
        yield
        await app.state.upstreams.aclose()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bench/{operation}")
    async def run(operation: str, request: Request) -> Response:
        handler = HANDLERS.get(operation)
        if handler is None:
            return Response(status_code=404)
        body = orjson.loads(await request.body())
        try:
            content = await handler(
                request.app.state.upstreams,
                request.headers.get("authorization"),
                body.get("variables") or {},
            )
        except (PermissionError, jwt.PyJWTError):
            return Response(status_code=401)
        except (UpstreamFailed, httpx.HTTPError):
            return Response(status_code=502)
        return Response(content, media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.passthrough")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--client",
        choices=("gateway", "httpx"),
        default="gateway",
        help="the gateway's transport under httpx (default), or httpx's own",
    )
    args = parser.parse_args()
    uvicorn.run(
        create_passthrough(Settings(), args.client),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
