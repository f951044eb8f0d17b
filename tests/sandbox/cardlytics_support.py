"""What the linking, profile, tickets and RTM tests share: sample customers, a webhook receiver
that records what the simulator delivers, the control calls, and a bounded wait."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.settings import SANDBOX_DEFAULTS
from tests.sandbox.cardlytics_client import HTTP, CardlyticsApi, CustomerSession, ad_event
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

T = TypeVar("T")


def hashed(raw_id: str) -> str:
    """``raw_id`` as the gateway sends it in sandbox mode (README: sample customers)."""
    key = SANDBOX_DEFAULTS.customer_id_hmac_key.encode()
    return hmac.new(key, raw_id.encode(), hashlib.sha256).hexdigest()


LINKED = hashed("customer-linked")  # one linked card or two, and a purchase history
UNLINKED = hashed("customer-unlinked")  # enrolled, nothing linked
OTHER_LINKED = "customer-linked"  # the raw id is a sample customer of its own, also linked
ANONYMOUS = "no-user-available"


def wait_until(check: Callable[[], T | Literal[False] | None], timeout_s: float = 5.0) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing arrived within {timeout_s} s")
        time.sleep(0.02)


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    def json(self) -> Any:
        return httpx.Response(200, content=self.body).json()


@dataclass
class WebhookReceiver:
    """A publisher's webhook: records each request; fails the first ``failures`` of them."""

    url: str = ""
    failures: int = 0
    failure_status: int = 500
    hang_s: float = 0.0  # how long each failing request waits before answering
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, failures: int = 0, hang_s: float = 0.0) -> None:
        with self._lock:
            self.received.clear()
            self.failures, self.hang_s = failures, hang_s

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            failing = len(self.received) < self.failures
            status = self.failure_status if failing else 200
            self.received.append(Received(dict(request.headers), body, status))
        if failing and self.hang_s:
            await asyncio.sleep(self.hang_s)
        return Response(status_code=status)

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.answered == 200]

    def accepted_json(self, kind: str | None = None) -> list[dict[str, Any]]:
        bodies = [r.json() for r in self.accepted()]
        if kind == "rtm":
            return [b for b in bodies if "event" in b]
        if kind == "ticket":
            return [b for b in bodies if "processingStatus" in b]
        return bodies


@contextmanager
def running_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    with serve_in_thread(app) as url:
        receiver.url = f"{url}/hook"
        yield receiver


# --- control calls ---


def control(sandbox: Sandbox) -> str:
    return f"{sandbox.cardlytics_url}/_sandbox"


def set_webhook(sandbox: Sandbox, url: str | None) -> None:
    HTTP.put(f"{control(sandbox)}/webhook", json={"url": url}).raise_for_status()


def deliveries(sandbox: Sandbox, kind: str | None = None) -> list[dict[str, Any]]:
    params = {"kind": kind} if kind else None
    response = HTTP.get(f"{control(sandbox)}/deliveries", params=params)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


def customer_overview(sandbox: Sandbox, customer_id: str) -> dict[str, Any]:
    response = HTTP.get(f"{control(sandbox)}/customers/{customer_id}")
    response.raise_for_status()
    overview: dict[str, Any] = response.json()
    return overview


def purchase(sandbox: Sandbox, **order: Any) -> httpx.Response:
    return HTTP.post(f"{control(sandbox)}/purchases", json=order)


def redemption_action(sandbox: Sandbox, redemption_id: str, action: str) -> httpx.Response:
    return HTTP.post(f"{control(sandbox)}/redemptions/{redemption_id}/{action}")


# --- customer calls beyond getAds / clientEvent ---


def api(sandbox: Sandbox) -> CardlyticsApi:
    return CardlyticsApi(sandbox.cardlytics_url)


def get(session: CustomerSession, path: str, **headers: str) -> httpx.Response:
    return HTTP.get(f"{session.api.base}{path}", headers=session.headers(**headers))


def delete(session: CustomerSession, path: str) -> httpx.Response:
    return HTTP.delete(f"{session.api.base}{path}", headers=session.headers())


def activate_new_offer(session: CustomerSession) -> str:
    """Activate a running offer the customer has not activated yet (as an app would); its adId."""
    ads = session.ads_ok(activationStates=["NEW"])["ads"]
    now = datetime.now(UTC)
    ad_id, ad = next(
        (ad_id, ad) for ad_id, ad in ads.items() if datetime.fromisoformat(ad["startDate"]) <= now
    )
    session.events_ok(ad_event("ActivateOffer", ad["adServeToken"]))
    return str(ad_id)
