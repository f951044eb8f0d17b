"""``X-CDLX-Request-Id``: echoed as ``requestId`` by every answer, errors included (B1)."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestIdMiddleware", "request_id"]

_HEADER = b"x-cdlx-request-id"
_current: ContextVar[str | None] = ContextVar("cardlytics_request_id", default=None)


class RequestIdMiddleware:
    """Binds the request's id before anything else runs, so injected faults can echo it too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            sent = next((v for k, v in scope["headers"] if k.lower() == _HEADER), b"")
            _current.set(sent.decode("latin-1").strip() or str(uuid.uuid4()))
        await self.app(scope, receive, send)


def request_id() -> str:
    """The current request's id; a fresh UUID outside a request."""
    return _current.get() or str(uuid.uuid4())
