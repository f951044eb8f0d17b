"""What the webhook tests share: a sender's key pair, signed deliveries, and the store's rows."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.app import create_app
from gateway.settings import Settings
from gateway.webhooks import CARDLYTICS_WEBHOOK_PATH
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

TABLES = ("ticket_updates", "reward_events", "rewards")


@dataclass(frozen=True)
class KeyPair:
    """A sender's RSA key pair, as Cardlytics would hold the private half."""

    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @cached_property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, body: bytes, **overrides: Any) -> str:
        """A token as the sandbox makes it (B4); ``overrides`` replace or (None) drop claims."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "cardlytics",
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            "sub": hashlib.sha256(body).hexdigest(),
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256")


def body_of(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Receiver:
    """A running gateway whose webhook trusts ``keys``; posts deliveries and reads its store."""

    gateway: Gateway
    keys: KeyPair

    @property
    def url(self) -> str:
        return f"{self.gateway.url}{CARDLYTICS_WEBHOOK_PATH}"

    def post(self, body: bytes, token: str | None = "sign", **headers: str) -> httpx.Response:
        if token == "sign":
            token = self.keys.sign(body)
        sent = {"Content-Type": "application/json", **headers}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return httpx.post(self.url, content=body, headers=sent, timeout=10)

    def deliver(self, payload: Any) -> httpx.Response:
        return self.post(body_of(payload))

    def rows(self, table: str) -> list[dict[str, Any]]:
        return rows(self.gateway.settings, table)

    def counts(self) -> dict[str, int]:
        return {table: len(self.rows(table)) for table in TABLES}


def rows(settings: Settings, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` in the gateway's SQLite store, read with a plain connection."""
    path = settings.database_url.split(":///", 1)[1]
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        found = connection.execute(f"SELECT * FROM {table}").fetchall()
    return [dict(row) for row in found]


@contextmanager
def running_receiver(sandbox: Sandbox, keys: KeyPair, **overrides: Any) -> Iterator[Receiver]:
    settings = settings_for(sandbox, **{"webhook_public_key_pem": keys.public_pem, **overrides})
    with serve_in_thread(create_app(settings)) as url:
        yield Receiver(Gateway(url, settings), keys)


def ticket_update(source_ticket_id: str = "T-1", **fields: Any) -> dict[str, Any]:
    """The seed's success sample, with example.com e-mail (C1#11)."""
    return {
        "cdlxTicketId": 111339,
        "authorEmailAddress": "agent@example.com",
        "processingStatus": "Success",
        "description": "testM description",
        "sourceTicketId": source_ticket_id,
        "status": "Closed",
        "cardlyticsResponse": "",
        "sourceCustomerId": "6a4a5ce6-9484-4051-84c7-07b5d845ab5c",
        **fields,
    }


def rtm_event(
    event: str = "REDEMPTION_PENDING",
    *,
    event_id: str | None = None,
    customer: str = "c0ffee",
    redemption_id: str = "517713527",
    amount: float = 5.0,
    settled: str | None = None,
    timestamp: str = "2025-03-08T10:15:30Z",
) -> dict[str, Any]:
    return {
        "event": event,
        "eventId": event_id or str(uuid.uuid4()),
        "eventTimestamp": timestamp,
        "redemptions": [
            {
                "redemptionId": redemption_id,
                "adId": "1000080445",
                "amount": amount,
                "redemptionDate": "2025-03-08T00:00:00Z",
                "sourceCustomerId": customer,
                "sourceAccountId": "acct-1",
                "transactionId": "txn-1",
                "redeemingTransactionAmount": 100.0,
                "rewardSettlementRunDate": settled,
            }
        ],
    }
