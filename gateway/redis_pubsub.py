"""The pub/sub hub for several replicas: Redis carries every message to every replica.

Same interface as ``InProcessPubSub``. Each replica holds one Redis subscription connection: a
channel is subscribed there while at least one local subscriber wants it, and one reader task
hands each Redis message to the local subscribers' queues. A slow subscriber loses its oldest
messages and never blocks the reader (or the other subscribers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from gateway.pubsub import Message

__all__ = ["RedisPubSub"]

logger = logging.getLogger("gateway.pubsub")

_READ_TIMEOUT_S = 1.0
_RECONNECT_DELAY_S = 0.5


class RedisPubSub:
    """Channels are namespaced with ``prefix`` so deployments (and tests) sharing a Redis do not
    hear each other: Redis pub/sub channels ignore the database number."""

    def __init__(self, client: redis.Redis, *, prefix: str = "", queue_size: int = 100) -> None:
        self._redis = client
        self._prefix = prefix
        self._queue_size = queue_size
        self._pubsub = client.pubsub()
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = {}
        # Subscribing and unsubscribing one channel must not interleave with each other.
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "") -> RedisPubSub:
        return cls(redis.Redis.from_url(url), prefix=prefix)

    async def publish(self, channel: str, message: Message) -> None:
        await self._redis.publish(self._prefix + channel, json.dumps(message))

    async def subscribe(self, channel: str) -> AsyncIterator[Message]:
        queue: asyncio.Queue[Message] = asyncio.Queue(self._queue_size)
        await self._add(channel, queue)
        try:
            while True:
                yield await queue.get()
        finally:
            # shielded: a cancelled subscriber must still leave the Redis channel
            await asyncio.shield(self._remove(channel, queue))

    async def wait_subscribed(self, channel: str, timeout_s: float = 5.0) -> None:
        """Until Redis confirms this replica listens on ``channel`` (for tests and probes)."""
        key = self._prefix + channel
        async with asyncio.timeout(timeout_s):
            while True:
                numsub = await self._redis.pubsub_numsub(key)
                if numsub and numsub[0][1] > 0:
                    return
                await asyncio.sleep(0.02)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._subscribers.clear()
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def _add(self, channel: str, queue: asyncio.Queue[Message]) -> None:
        async with self._lock:
            queues = self._subscribers.setdefault(channel, set())
            queues.add(queue)
            if len(queues) == 1:
                await self._pubsub.subscribe(self._prefix + channel)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="redis-pubsub-reader")

    async def _remove(self, channel: str, queue: asyncio.Queue[Message]) -> None:
        async with self._lock:
            queues = self._subscribers.get(channel)
            if queues is None:
                return
            queues.discard(queue)
            if queues:
                return
            del self._subscribers[channel]
            with contextlib.suppress(RedisError):
                await self._pubsub.unsubscribe(self._prefix + channel)

    async def _read(self) -> None:
        while True:
            try:
                raw = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=_READ_TIMEOUT_S
                )
            except (RedisError, OSError):
                # redis-py reconnects on the next read and re-subscribes every channel we had.
                logger.warning("redis pub/sub connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(_RECONNECT_DELAY_S)
                continue
            if raw is not None:
                self._dispatch(raw)

    def _dispatch(self, raw: dict[str, Any]) -> None:
        channel = _text(raw.get("channel"))
        if channel is None or not channel.startswith(self._prefix):
            return
        try:
            message = json.loads(raw["data"])
        except (TypeError, ValueError):
            logger.warning("dropped a pub/sub message that is not JSON", extra={"channel": channel})
            return
        if not isinstance(message, dict):
            return
        for queue in list(self._subscribers.get(channel.removeprefix(self._prefix), ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else None
