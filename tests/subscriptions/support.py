"""Real Redis for tests, and a real graphql-transport-ws client (gql over ``websockets``).

Redis is on 127.0.0.1:6379 (``.ci/run`` starts it). Missing, it skips a developer's run but
fails CI (``CI=true``): a green CI must have exercised it. Each test gets its own key and channel
prefix, so tests (and runs) sharing the Redis never hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

__all__ = ["REDIS_URL", "LiveClient", "RedisSpace", "live_subscription", "redis_space"]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RECEIVE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RedisSpace:
    url: str
    prefix: str

    def keys(self) -> list[str]:
        client = redis.Redis.from_url(self.url)
        try:
            return sorted(k.decode() for k in client.scan_iter(match=f"{self.prefix}*"))
        finally:
            client.close()


def _redis_is_up() -> bool:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextlib.contextmanager
def redis_space() -> Iterator[RedisSpace]:
    """A fresh prefix on the test Redis, its keys deleted afterwards."""
    if not _redis_is_up():
        message = f"Redis is not reachable at {REDIS_URL} (.ci/run starts it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    space = RedisSpace(REDIS_URL, f"rg-test-{uuid.uuid4().hex[:12]}:")
    try:
        yield space
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for key in client.scan_iter(match=f"{space.prefix}*"):
                client.delete(key)
        finally:
            client.close()


class LiveClient:
    """What one subscription received: results in order, or the error that ended it."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()

    async def next(self, timeout_s: float = RECEIVE_TIMEOUT_S) -> dict[str, Any]:
        item = await asyncio.wait_for(self.received.get(), timeout_s)
        if isinstance(item, BaseException):
            raise item
        return item

    def nothing_yet(self) -> bool:
        return self.received.empty()


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


@contextlib.asynccontextmanager
async def live_subscription(
    gateway_url: str,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    init_payload: dict[str, Any] | None,
) -> AsyncIterator[LiveClient]:
    """A subscription running over its own graphql-transport-ws connection until the block ends.

    Connecting (and the server's connection_ack or refusal) happens before the block starts, so a
    refused ``connection_init`` raises here.
    """
    transport = WebsocketsTransport(
        url=ws_url(gateway_url),
        init_payload=init_payload or {},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        connect_timeout=5,
        ack_timeout=5,
        close_timeout=2,
    )
    client = LiveClient()
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:

        async def pump() -> None:
            try:
                request = GraphQLRequest(document, variable_values=variables)
                async for result in session.subscribe(request):
                    client.received.put_nowait(result)
            except Exception as error:
                client.received.put_nowait(error)

        task = asyncio.create_task(pump())
        try:
            yield client
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def bearer(token: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"}
