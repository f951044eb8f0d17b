"""The ClickBank tickets API simulator (REST 1.3) as one FastAPI app, mounted at ``/clickbank``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException

from gateway.sandbox.clickbank.auth import Keyring
from gateway.sandbox.clickbank.conventions import RateLimiter
from gateway.sandbox.clickbank.errors import (
    ApiError,
    api_error_handler,
    error_body,
    http_error_handler,
)
from gateway.sandbox.clickbank.routes import router
from gateway.sandbox.clickbank.state import Simulator, TicketStore
from gateway.sandbox.control import SandboxControl, install
from gateway.settings import SandboxSettings

__all__ = ["create_app"]


def create_app(settings: SandboxSettings) -> FastAPI:
    simulator = Simulator(
        store=TicketStore(
            seed=settings.seed,
            partial_refunds_enabled=settings.clickbank_partial_refunds_enabled,
        ),
        keyring=Keyring.from_settings(settings),
        limiter=RateLimiter(settings.clickbank_rate_limit_per_s),
    )
    app = FastAPI(
        title="ClickBank tickets API simulator", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.clickbank = simulator
    app.add_exception_handler(ApiError, api_error_handler)
    # The framework's own 404 / 405 in ClickBank's plain-text form, not FastAPI's JSON.
    app.add_exception_handler(HTTPException, http_error_handler)
    app.include_router(router)
    control = SandboxControl(seed=settings.seed, error_body=error_body)
    control.on_reset(simulator.reset)
    control.load_rules_json(settings.faults)
    install(app, control)
    return app
