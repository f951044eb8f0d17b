from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from gateway.app import create_app
from gateway.redis_pubsub import RedisPubSub
from tests.subscriptions.support import RedisSpace, redis_space
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread


@pytest.fixture
def space() -> Iterator[RedisSpace]:
    with redis_space() as fresh:
        yield fresh


@pytest.fixture
def live_gateway(sandbox: Sandbox, space: RedisSpace) -> Iterator[Gateway]:
    """A gateway whose pub/sub is Redis, so the test can publish as another replica would."""
    settings = settings_for(sandbox, redis_url=space.url, redis_prefix=space.prefix)
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url, settings)


@pytest.fixture
async def hub(space: RedisSpace) -> AsyncIterator[RedisPubSub]:
    """The test's own connection to the gateway's pub/sub: a replica of its own."""
    pubsub = RedisPubSub.from_url(space.url, prefix=space.prefix)
    yield pubsub
    await pubsub.aclose()
