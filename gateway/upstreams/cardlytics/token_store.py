"""Session tokens shared by every replica through Redis (DESIGN "Session tokens").

``SessionTokens`` keeps its in-process cache as the first level; on a miss it asks the shared
store, which answers from Redis or, when no replica holds a token, lets exactly one replica fetch
it: a lock (``SET NX PX``) elects the fetcher, the others poll the token key until it appears.
Keys hold the hashed customer id, never a raw one; a token's key expires when the token should
be refreshed (its ``exp`` minus the skew), so Redis forgets it at the same moment every replica
would.

Redis failing must not take sessions down with it: the store then fetches directly, as a single
replica would.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

from gateway.customer_ids import HashedCustomerId

__all__ = ["RedisTokenStore", "SharedTokenStore", "TokenFetch"]

logger = logging.getLogger("gateway.upstreams.cardlytics")

#: A fetched token and how long it may be used (seconds).
TokenFetch = Callable[[], Awaitable[tuple[str, float]]]

# Deletes a key only while it still holds the value we put there: releasing our own lock, or
# dropping a refused token that another replica may already have replaced.
_DELETE_IF_EQUAL = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class SharedTokenStore(Protocol):
    async def get_or_fetch(
        self, customer: HashedCustomerId, fetch: TokenFetch
    ) -> tuple[str, float]:
        """The customer's token and its remaining lifetime; ``fetch`` runs on one replica only."""
        ...

    async def discard(self, customer: HashedCustomerId, token: str) -> None:
        """Forget ``token`` (Cardlytics refused it), unless it was replaced already."""
        ...

    async def aclose(self) -> None: ...


class RedisTokenStore:
    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "",
        lock_ttl_s: float = 15.0,
        poll_interval_s: float = 0.02,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        # Longer than a startSession with its retries: a crashed fetcher's lock frees itself.
        self._lock_ttl_ms = int(lock_ttl_s * 1000)
        self._poll_interval_s = poll_interval_s
        self._delete_if_equal = client.register_script(_DELETE_IF_EQUAL)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "") -> RedisTokenStore:
        return cls(redis.Redis.from_url(url), prefix=prefix)

    def token_key(self, customer: HashedCustomerId) -> str:
        return f"{self._prefix}session-token:{customer}"

    def _lock_key(self, customer: HashedCustomerId) -> str:
        return f"{self._prefix}session-token-lock:{customer}"

    async def get_or_fetch(
        self, customer: HashedCustomerId, fetch: TokenFetch
    ) -> tuple[str, float]:
        try:
            return await self._shared(customer, fetch)
        except RedisError:
            logger.warning("redis unavailable for session tokens; fetching directly")
            return await fetch()

    async def discard(self, customer: HashedCustomerId, token: str) -> None:
        try:
            await self._delete_if_equal(keys=[self.token_key(customer)], args=[token])
        except RedisError:
            logger.warning("redis unavailable; a refused session token stays until it expires")

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def _shared(self, customer: HashedCustomerId, fetch: TokenFetch) -> tuple[str, float]:
        lock_key = self._lock_key(customer)
        deadline = time.monotonic() + self._lock_ttl_ms / 1000
        while True:
            if (cached := await self._cached(customer)) is not None:
                return cached
            owner = secrets.token_hex(16)
            if await self._redis.set(lock_key, owner, nx=True, px=self._lock_ttl_ms):
                try:
                    # another replica may have stored it between our read and our lock
                    if (cached := await self._cached(customer)) is not None:
                        return cached
                    token, lifetime_s = await fetch()
                    await self._store(customer, token, lifetime_s)
                    return token, lifetime_s
                finally:
                    await self._release(lock_key, owner)
            if time.monotonic() > deadline:
                # the holder is stuck; a second session is better than no answer
                return await fetch()
            await asyncio.sleep(self._poll_interval_s)

    async def _cached(self, customer: HashedCustomerId) -> tuple[str, float] | None:
        key = self.token_key(customer)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.pttl(key)
            token, ttl_ms = await pipe.execute()
        if token is None or ttl_ms <= 0:
            return None
        return token.decode(), ttl_ms / 1000

    async def _store(self, customer: HashedCustomerId, token: str, lifetime_s: float) -> None:
        # The token is fetched by now: failing to share it must not cost a second startSession.
        ttl_ms = int(lifetime_s * 1000)
        try:
            if ttl_ms > 0:
                await self._redis.set(self.token_key(customer), token, px=ttl_ms)
        except RedisError:
            logger.warning("redis unavailable; a session token was not shared")

    async def _release(self, lock_key: str, owner: str) -> None:
        try:
            await self._delete_if_equal(keys=[lock_key], args=[owner])
        except RedisError:
            pass  # it expires by itself (PX)
