"""A small typed client for the Cardlytics simulator, over real HTTP, for sandbox tests.

``CardlyticsApi(sandbox.cardlytics_url)`` starts sessions; a ``CustomerSession`` then calls getAds
and clientEvent with the headers the seed documents (Bearer token + ``x-source-customer-id``).
Calls return the raw ``httpx.Response`` so tests can assert on failures; the ``*_ok`` helpers
assert a 200 and return the parsed body. Other test modules import this: keep its names stable.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.settings import SANDBOX_DEFAULTS

__all__ = [
    "ANONYMOUS",
    "CLIENT_ID",
    "HTTP",
    "SECRET",
    "CardlyticsApi",
    "CustomerSession",
    "ad_event",
    "assert_error",
    "customer_id",
    "event",
]

CLIENT_ID = SANDBOX_DEFAULTS.cardlytics_client_id
SECRET = SANDBOX_DEFAULTS.cardlytics_secret
ANONYMOUS = "no-user-available"
TIMESTAMP = "2024-10-01T07:00:00Z"

# One client for every call: a fresh one per request costs an SSL context each time.
HTTP = httpx.Client(timeout=10)
atexit.register(HTTP.close)


def customer_id(n: int | str) -> str:
    """The ``x-source-customer-id`` the gateway would send for sample customer ``n``."""
    key = SANDBOX_DEFAULTS.customer_id_hmac_key.encode()
    return hmac.new(key, f"customer-{n}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CardlyticsApi:
    """``<sandbox>/cardlytics``: the Rewards Platform endpoints and the simulator's controls."""

    base: str

    def start_session(
        self,
        source_customer_id: str | None,
        body: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if source_customer_id is not None:
            sent["x-source-customer-id"] = source_customer_id
        payload = {"clientId": CLIENT_ID, "secret": SECRET} if body is None else body
        return HTTP.post(f"{self.base}/v2/session/startSession", json=payload, headers=sent)

    def session(self, source_customer_id: str) -> CustomerSession:
        response = self.start_session(source_customer_id)
        assert response.status_code == 200, response.text[:1000]
        return CustomerSession(self, source_customer_id, response.json()["sessionToken"])

    def expire_tokens(self) -> None:
        HTTP.post(f"{self.base}/_sandbox/tokens/expire").raise_for_status()


@dataclass(frozen=True)
class CustomerSession:
    """One customer's session token, and the calls a publisher makes with it."""

    api: CardlyticsApi
    customer_id: str
    token: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token}",
            "x-source-customer-id": self.customer_id,
            **extra,
        }

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST ``body`` as JSON, or ``content`` as raw bytes (for bodies that are not JSON)."""
        sent = self.headers(**(headers or {}))
        if content is not None:
            return HTTP.post(f"{self.api.base}{path}", content=content, headers=sent)
        return HTTP.post(f"{self.api.base}{path}", json=body, headers=sent)

    def get_ads(
        self,
        body: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """getAds with ``body`` as given, or built from ``fields`` (channel defaults to OLB)."""
        sent = {"channel": "OLB", **fields} if body is None else body
        return self.post("/v2/ads/getAds", sent, headers=headers)

    def ads_ok(self, **fields: Any) -> dict[str, Any]:
        response = self.get_ads(**fields)
        assert response.status_code == 200, response.text[:1000]
        body: dict[str, Any] = response.json()
        return body

    def send_events(
        self, *events: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.post("/v2/events/clientEvent", {"clientEvents": list(events)}, headers=headers)

    def events_ok(self, *events: dict[str, Any]) -> dict[str, Any]:
        response = self.send_events(*events)
        assert response.status_code == 200, response.text[:1000]
        body: dict[str, Any] = response.json()
        return body


def event(name: str, kind: str, *, event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A ClientEventMessage with the seed's field names; ``fields`` add or override keys."""
    return {
        "clientEventId": event_id or str(uuid.uuid4()),
        "clientEventType": kind,
        "clientEvent": name,
        "clientEventTimestamp": TIMESTAMP,
        **fields,
    }


def ad_event(
    name: str,
    serve_token: str,
    *,
    kind: str = "AdInteraction",
    event_id: str | None = None,
    section: str = "Dashboard",
    channel: str = "OLB",
) -> dict[str, Any]:
    """An event about one ad, with the metadata the seed's samples carry."""
    metadata = {"serveToken": serve_token, "section": section, "channel": channel}
    return event(name, kind, event_id=event_id, clientEventMetadata=metadata)


def assert_error(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    """The documented error body: ``{type, title, status, [validationErrors,] requestId}``."""
    assert response.status_code == status, response.text[:1000]
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    expected = {"type", "title", "status", "requestId"}
    if type_ == "ValidationException":
        expected.add("validationErrors")
        assert body["validationErrors"], body
        assert all(isinstance(e, str) for e in body["validationErrors"])
    assert set(body) == expected, body
    assert body["type"] == type_, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["requestId"], str) and body["requestId"]
    return body
