from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.plans.support import running_app
from tests.support.gateway import settings_for
from tests.support.sandbox import Sandbox


@pytest.fixture
async def sandbox_app_fast_timeouts(sandbox: Sandbox) -> AsyncIterator[FastAPI]:
    """A gateway whose Cardlytics reads give up after 0.3 s and whose breaker never opens."""
    settings = settings_for(
        sandbox, cardlytics_read_timeout_s=0.3, retry_attempts=1, breaker_failure_threshold=1000
    )
    async with running_app(settings) as app:
        yield app
