"""Session tokens, one per hashed customer id (DESIGN "Session tokens").

A token is cached until a little before it expires: at its own ``exp`` (or
``sessionExpirationTimestamp``) claim when it is a JWT we can read (decoded without verifying,
since we do not hold the key; the claim only schedules a refresh), else after the documented 15
minutes. Concurrent callers for one customer share one ``startSession`` (single flight); a failure
reaches all of them and is not cached. The cache is a cachetools ``TLRUCache``, a bounded
``TTLCache`` whose expiry is set per entry, because each token states its own lifetime.

With a ``SharedTokenStore`` (Redis, when ``GATEWAY_REDIS_URL`` is set) that cache is the first
level: a miss asks the store, which lets one replica of many fetch the token and the others read
it (``token_store``), so N replicas start one session per customer, not N.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from cachetools import TLRUCache
from pydantic import SecretStr

from gateway.customer_ids import ANONYMOUS, HashedCustomerId
from gateway.upstreams.cardlytics.models import SessionStarted
from gateway.upstreams.cardlytics.token_store import SharedTokenStore
from gateway.upstreams.cardlytics.wire import Expect
from gateway.upstreams.http import UpstreamHTTP

__all__ = ["START_SESSION", "SessionTokens", "customer_header", "short"]

START_SESSION = "/v2/session/startSession"
logger = logging.getLogger("gateway.upstreams.cardlytics")

_HASHED = re.compile(r"[0-9a-f]{64}")


def customer_header(customer: HashedCustomerId) -> str:
    """The ``x-source-customer-id`` value, refusing anything that is not a hashed id."""
    if customer != ANONYMOUS and not _HASHED.fullmatch(customer):
        # A raw id would leak to Cardlytics and into logs: fail loudly instead.
        raise ValueError("x-source-customer-id must be a HashedCustomerId")
    return customer


def short(customer: HashedCustomerId) -> str:
    """Enough of a hashed id to tell customers apart in logs."""
    return customer[:8]


@dataclass(frozen=True)
class _Entry:
    token: str = field(repr=False)
    lifetime_s: float


class SessionTokens:
    """Cached, single-flight ``startSession`` tokens keyed by hashed customer id."""

    def __init__(
        self,
        http: UpstreamHTTP,
        *,
        client_id: str,
        secret: SecretStr,
        maxsize: int = 10_000,
        ttl_s: float = 900.0,
        refresh_skew_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        shared: SharedTokenStore | None = None,
    ) -> None:
        self._http = http
        self._client_id = client_id
        self._secret = secret
        self._ttl_s = ttl_s
        self._skew_s = refresh_skew_s
        self._wall_clock = wall_clock
        self._cache: TLRUCache[HashedCustomerId, _Entry] = TLRUCache(
            maxsize, ttu=lambda _key, entry, now: now + entry.lifetime_s, timer=clock
        )
        self._in_flight: dict[HashedCustomerId, asyncio.Task[_Entry]] = {}
        self._shared = shared
        # Tokens Cardlytics refused, to drop from the shared store before the next fetch.
        self._refused: dict[HashedCustomerId, str] = {}

    def __len__(self) -> int:
        return len(self._cache)

    async def token(self, customer: HashedCustomerId) -> str:
        customer_header(customer)
        if (entry := self._cache.get(customer)) is not None:
            return entry.token
        task = self._in_flight.get(customer)
        if task is None:
            task = asyncio.create_task(self._fetch(customer))
            self._in_flight[customer] = task
            task.add_done_callback(lambda done: self._landed(customer, done))
        # shield: one caller giving up must not cancel the fetch the others wait for
        return (await asyncio.shield(task)).token

    def invalidate(self, customer: HashedCustomerId, token: str) -> None:
        """Drop the cached token, unless another caller already replaced it."""
        entry = self._cache.get(customer)
        if entry is not None and entry.token == token:
            self._cache.pop(customer, None)
        if self._shared is not None:
            self._refused[customer] = token

    def _landed(self, customer: HashedCustomerId, task: asyncio.Task[_Entry]) -> None:
        if self._in_flight.get(customer) is task:
            del self._in_flight[customer]
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every waiter was cancelled

    async def _fetch(self, customer: HashedCustomerId) -> _Entry:
        if self._shared is None:
            token, lifetime_s = await self._start_session(customer)
        else:
            if (refused := self._refused.pop(customer, None)) is not None:
                await self._shared.discard(customer, refused)
            token, lifetime_s = await self._shared.get_or_fetch(
                customer, lambda: self._start_session(customer)
            )
        entry = _Entry(token, lifetime_s)
        self._cache[customer] = entry
        return entry

    async def _start_session(self, customer: HashedCustomerId) -> tuple[str, float]:
        expect = Expect("startSession", SessionStarted.model_validate, credentials_on_500=True)
        await self._http.send(
            "POST",
            START_SESSION,
            classify=expect,
            idempotent=True,  # issuing a second token changes nothing we rely on
            headers={"x-source-customer-id": customer},
            json={"clientId": self._client_id, "secret": self._secret.get_secret_value()},
        )
        token = expect.value.session_token
        lifetime_s = self._lifetime_s(token)
        logger.info(
            "cardlytics session started",
            extra={"customer": short(customer), "lifetime_s": round(lifetime_s, 1)},
        )
        return token, lifetime_s

    def _lifetime_s(self, token: str) -> float:
        lifetime = self._ttl_s
        expires_at = _expiry_claim(token)
        if expires_at is not None:
            remaining = expires_at - self._wall_clock()
            if remaining > 0:
                lifetime = remaining
            else:  # our clock is ahead of theirs; the 401 path covers a token that is stale
                logger.warning("cardlytics session token expired on arrival; using the default")
        # never skew a short-lived token down to nothing (that would refetch on every call)
        return lifetime - min(self._skew_s, lifetime / 2)


def _expiry_claim(token: str) -> float | None:
    """When the token says it expires: ``exp``, else the documented ``sessionExpirationTimestamp``
    (an ISO-8601 string or epoch seconds); None when neither can be read."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    for name in ("exp", "sessionExpirationTimestamp"):
        moment = _epoch_seconds(claims.get(name))
        if moment is not None:
            return moment
    return None


def _epoch_seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None
