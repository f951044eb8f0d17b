"""Placeholder: the clickbank simulator is being written."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.sandbox.control import SandboxControl, install
from gateway.settings import SandboxSettings


def create_app(settings: SandboxSettings) -> FastAPI:
    app = FastAPI(title="clickbank simulator")
    install(app, SandboxControl(seed=settings.seed))
    return app
