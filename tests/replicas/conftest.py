from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.subscriptions.support import RedisSpace, redis_space


@pytest.fixture
def space() -> Iterator[RedisSpace]:
    with redis_space() as fresh:
        yield fresh
