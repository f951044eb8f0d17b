"""The Cardlytics simulator as one FastAPI app: routers, error shapes, state and control plane."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.sandbox.cardlytics import (
    ads,
    controls,
    events,
    linking,
    profile,
    sessions,
    tickets,
)
from gateway.sandbox.cardlytics.errors import injected_error_body, install_error_handlers
from gateway.sandbox.cardlytics.request_ids import RequestIdMiddleware
from gateway.sandbox.cardlytics.state import Simulator
from gateway.sandbox.control import SandboxControl, install
from gateway.settings import SandboxSettings

__all__ = ["create_app"]


def create_app(settings: SandboxSettings) -> FastAPI:
    simulator = Simulator(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await simulator.aclose()

    app = FastAPI(
        title="Cardlytics simulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.simulator = simulator
    install_error_handlers(app)
    for module in (sessions, ads, events, linking, profile, tickets, controls):
        app.include_router(module.router)
    control = SandboxControl(seed=settings.seed, error_body=injected_error_body)
    control.on_reset(simulator.reset)
    control.load_rules_json(settings.faults)
    install(app, control)
    # Added last so it runs first: injected faults answer before any route and must echo the id.
    app.add_middleware(RequestIdMiddleware)
    return app
