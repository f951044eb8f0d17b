from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from gateway.app import create_app
from gateway.sandbox.app import create_sandbox_app
from gateway.settings import SandboxSettings
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

# Settings every test sandbox shares: fast webhook timing so async flows finish within a test.
FAST_SANDBOX: dict[str, Any] = {
    "ticket_processing_delay_s": 0.05,
    "ticket_close_delay_s": 0.1,
    "webhook_retry_schedule_s": (0.05, 0.1, 0.2),
    "webhook_timeout_s": 1.0,
}


@contextmanager
def running_sandbox(**overrides: Any) -> Iterator[Sandbox]:
    settings = SandboxSettings(**{**FAST_SANDBOX, **overrides})
    with serve_in_thread(create_sandbox_app(settings)) as url:
        yield Sandbox(url)


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(shared_sandbox: Sandbox) -> Sandbox:
    """The session's sandbox, reset (state, faults, call counts) before the test."""
    shared_sandbox.reset()
    return shared_sandbox


@pytest.fixture
def start_sandbox() -> Callable[..., AbstractContextManager[Sandbox]]:
    """For tests that need their own sandbox settings: ``with start_sandbox(x=1) as sb: ...``."""
    return running_sandbox


@pytest.fixture
def gateway(sandbox: Sandbox) -> Iterator[Gateway]:
    """The gateway on a free port, against the (reset) session sandbox."""
    settings = settings_for(sandbox)
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url, settings)
