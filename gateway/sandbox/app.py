"""The sandbox: both simulators in one ASGI app, each mounted under its own root.

``/cardlytics`` serves the Cardlytics Rewards Platform (and ``/cardlytics/csaapi/v2/tickets``),
``/clickbank`` the ClickBank API (``/clickbank/rest/1.3/tickets``). Each keeps its own control
endpoints (``/cardlytics/_sandbox/...``, ``/clickbank/_sandbox/...``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from gateway.sandbox import cardlytics, clickbank
from gateway.settings import SandboxSettings

__all__ = ["create_sandbox_app"]


def create_sandbox_app(settings: SandboxSettings | None = None) -> FastAPI:
    settings = settings or SandboxSettings()
    simulators = {
        "/cardlytics": cardlytics.create_app(settings),
        "/clickbank": clickbank.create_app(settings),
    }

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Mounted apps get no lifespan events of their own; run theirs inside ours.
        async with AsyncExitStack() as stack:
            for sub in simulators.values():
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            yield

    app = FastAPI(title="rewards-gateway sandbox", lifespan=lifespan, docs_url=None)
    for prefix, sub in simulators.items():
        app.mount(prefix, sub)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
