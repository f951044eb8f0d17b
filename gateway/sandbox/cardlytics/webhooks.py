"""Delivery of CSA ticket updates and RTM events to the publisher's one webhook (B4).

At least once: each delivery is POSTed as JSON and retried on a non-2xx answer, a timeout or a
connection error after each delay of ``webhook_retry_schedule_s``, then given up and marked
``failed``. Redeliveries carry the same bytes (so the same ``eventId``) with a fresh signature:
``Authorization: Bearer <JWT>``, RS256, claims ``iss="cardlytics"``, ``iat``, ``exp`` (5 min),
``jti`` and ``sub`` = hex SHA-256 of the exact body bytes. The key comes from
``webhook_signing_key_pem`` or is generated on first use; its public half is served for receivers.
Every delivery stays in ``log`` (newest last) for ``GET /_sandbox/deliveries``. ``finished`` is
set once a delivery is settled either way, so a flow can hold its next update until the previous
one is through: a receiver never sees a ticket's close before its processing result.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.sandbox.cardlytics.background import Background
from gateway.sandbox.cardlytics.model import iso
from gateway.settings import SandboxSettings

__all__ = ["Delivery", "WebhookSender"]

Kind = Literal["ticket", "rtm"]
State = Literal["pending", "delivered", "failed", "no-webhook"]

_TOKEN_LIFETIME_S = 300


@dataclass
class Delivery:
    delivery_id: str
    kind: Kind
    url: str | None
    body: bytes
    state: State = "pending"
    attempts: list[dict[str, Any]] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    def settle(self, state: State) -> None:
        self.state = state
        self.finished.set()

    def to_json(self) -> dict[str, Any]:
        return {
            "deliveryId": self.delivery_id,
            "kind": self.kind,
            "url": self.url,
            "state": self.state,
            "attempts": self.attempts,
            "payload": json.loads(self.body),
        }


class WebhookSender:
    def __init__(self, settings: SandboxSettings, background: Background) -> None:
        self._default_url = str(settings.webhook_url) if settings.webhook_url else None
        self._key_pem = settings.webhook_signing_key_pem.get_secret_value()
        self._schedule = settings.webhook_retry_schedule_s
        self._timeout_s = settings.webhook_timeout_s
        self._background = background
        self._client: httpx.AsyncClient | None = None
        self.url = self._default_url
        self.log: list[Delivery] = []

    @cached_property
    def _private_key(self) -> rsa.RSAPrivateKey:
        if not self._key_pem:
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key = serialization.load_pem_private_key(self._key_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("webhook_signing_key_pem must be an RSA private key")
        return key

    @property
    def public_key_pem(self) -> str:
        return (
            self._private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def send(
        self, kind: Kind, payload: dict[str, Any], *, after: Delivery | None = None
    ) -> Delivery:
        """Queue ``payload`` (serialised now); with ``after``, first wait until that one settles."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        delivery = Delivery(str(uuid.uuid4()), kind, self.url, body)
        self.log.append(delivery)
        if delivery.url is None:
            delivery.settle("no-webhook")
        else:
            self._background.spawn(self._deliver(delivery, delivery.url, after))
        return delivery

    async def _deliver(self, delivery: Delivery, url: str, after: Delivery | None) -> None:
        if after is not None:
            await after.finished.wait()
        for delay in (0.0, *self._schedule):
            await asyncio.sleep(delay)
            if await self._attempt(delivery, url):
                delivery.settle("delivered")
                return
        delivery.settle("failed")

    async def _attempt(self, delivery: Delivery, url: str) -> bool:
        attempt: dict[str, Any] = {"at": iso(datetime.now(UTC)), "status": None, "error": None}
        delivery.attempts.append(attempt)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.sign(delivery.body)}",
        }
        try:
            response = await self._http().post(url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            attempt["error"] = type(exc).__name__
            return False
        attempt["status"] = response.status_code
        return response.is_success

    def sign(self, body: bytes) -> str:
        now = int(time.time())
        claims = {
            "iss": "cardlytics",
            "iat": now,
            "exp": now + _TOKEN_LIFETIME_S,
            "jti": str(uuid.uuid4()),
            "sub": hashlib.sha256(body).hexdigest(),
        }
        return jwt.encode(claims, self._private_key, algorithm="RS256")

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        return self._client

    def set_url(self, url: str | None) -> None:
        """Where later deliveries go; ones already under way keep the URL they started with."""
        self.url = url

    def reset(self) -> None:
        self.url = self._default_url
        self.log.clear()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
