"""Session tokens (JWTs bound to one customer) and ad serve tokens (opaque, bound to customer + ad).

Both are remembered server-side, so the simulator can expire them all at once and tell an expired
token from one it never issued. Validity is checked against the remembered expiry (fractions of a
second count), not only the JWT's whole-second ``exp``.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import jwt

from gateway.sandbox.cardlytics.model import iso

__all__ = ["ServeToken", "ServeTokens", "Session", "SessionTokens"]

_ORGANIZATION_ID = 1001
_PRUNE_AT = 10_000


@dataclass(frozen=True)
class Session:
    session_id: str
    customer_id: str
    expires_at: float


class SessionTokens:
    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._key = secrets.token_bytes(32)  # private to this simulator instance
        self._live: dict[str, Session] = {}

    def issue(self, customer_id: str, cardlytics_id: str) -> str:
        now = time.time()
        if len(self._live) >= _PRUNE_AT:  # a long-running sandbox starts many sessions
            self._live = {k: s for k, s in self._live.items() if s.expires_at > now}
        session = Session(str(uuid.uuid4()), customer_id, now + self._ttl_s)
        self._live[session.session_id] = session
        claims = {
            "iss": "cardlytics-sandbox",
            "iat": int(now),
            "exp": int(session.expires_at),
            "sessionId": session.session_id,
            "sessionExpirationTimestamp": iso(datetime.fromtimestamp(session.expires_at, UTC)),
            "customerId": cardlytics_id,
            "sourceCustomerId": customer_id,
            "organizationId": _ORGANIZATION_ID,
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str, customer_id: str | None) -> Session | None:
        """The live session behind ``token``, if it is for ``customer_id`` (None: any customer)."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=["HS256"], options={"verify_exp": False}
            )
        except jwt.PyJWTError:
            return None
        session = self._live.get(str(claims.get("sessionId")))
        if session is None or time.time() >= session.expires_at:
            return None
        if customer_id is not None and session.customer_id != customer_id:
            return None
        return session

    def expire_all(self) -> None:
        self._live.clear()


class ServeToken(NamedTuple):
    customer_id: str
    ad_id: str
    expires_at: float

    def expired(self) -> bool:
        return time.time() >= self.expires_at


class ServeTokens:
    # Expired tokens are dropped in batches; a sandbox never holds many.
    _PRUNE_EVERY = 5_000

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        # Kept as plain tuples of a str, a str and a float: once the garbage collector has seen
        # one it stops tracking it (it does so for exact tuples only), so the hundreds of
        # thousands a long benchmark mints (every getAds, every ad) no longer lengthen each of
        # its full passes, which had stalled the sandbox for 200 ms at a time.
        self._tokens: dict[str, tuple[str, str, float]] = {}
        self._issued = 0

    def issue(self, customer_id: str, ad_id: str, channel: str) -> str:
        self._issued += 1
        if self._issued % self._PRUNE_EVERY == 0:
            now = time.time()
            self._tokens = {k: t for k, t in self._tokens.items() if t[2] > now}
        # Looks like the real ones: standard base64 of a random id, the ad id and the channel.
        token = base64.b64encode(secrets.token_bytes(18) + f"{ad_id}{channel}".encode()).decode()
        self._tokens[token] = (customer_id, ad_id, time.time() + self._ttl_s)
        return token

    def get(self, token: str) -> ServeToken | None:
        kept = self._tokens.get(token)
        return ServeToken(*kept) if kept is not None else None

    def expire_all(self) -> None:
        """Make every token read as expired (rather than unknown), as an hour passing would."""
        now = time.time()
        self._tokens = {
            key: (customer_id, ad_id, min(expires_at, now))
            for key, (customer_id, ad_id, expires_at) in self._tokens.items()
        }

    def clear(self) -> None:
        self._tokens.clear()
