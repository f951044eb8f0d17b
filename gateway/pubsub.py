"""Fan-out of events to GraphQL subscriptions, after they are committed.

Channels are strings like ``tickets:<hashed customer id>``; messages are JSON-able dicts. The
in-process hub serves one replica; with ``GATEWAY_REDIS_URL`` a Redis-backed hub (same interface)
carries a webhook received by one replica to subscribers on every replica.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

__all__ = ["InProcessPubSub", "Message", "PubSub", "rewards_channel", "tickets_channel"]

Message = dict[str, Any]


def tickets_channel(customer: str) -> str:
    """Where a customer's ticket updates go; ``customer`` is the hashed id, never the raw one."""
    return f"tickets:{customer}"


def rewards_channel(customer: str) -> str:
    """Where a customer's reward events go; ``customer`` is the hashed id."""
    return f"rewards:{customer}"


class PubSub(Protocol):
    async def publish(self, channel: str, message: Message) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[Message]:
        """Messages published on ``channel`` from now on, until the consumer stops iterating."""
        ...

    async def aclose(self) -> None: ...


class InProcessPubSub:
    """One process's subscribers; a slow subscriber loses its oldest messages, never blocks."""

    def __init__(self, queue_size: int = 100) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = {}

    async def publish(self, channel: str, message: Message) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[Message]:
        async with self._queue(channel) as queue:
            while True:
                yield await queue.get()

    @asynccontextmanager
    async def _queue(self, channel: str) -> AsyncIterator[asyncio.Queue[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue(self._queue_size)
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(channel, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(channel, None)

    async def aclose(self) -> None:
        self._subscribers.clear()
