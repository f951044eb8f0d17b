"""The Publisher v2 error body, ``{type, title, status, validationErrors?, requestId}`` (B1).

Every failure the simulator answers, including injected faults, unknown paths and wrong methods,
uses this shape with ``Content-Type: application/json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.sandbox.cardlytics.request_ids import request_id

__all__ = [
    "CardlyticsError",
    "injected_error_body",
    "install_error_handlers",
    "internal_error",
    "not_found",
    "not_readable",
    "session_invalid",
    "validation_failed",
]

log = logging.getLogger(__name__)

# The documented types; other statuses are named after their HTTP reason phrase.
_DOCUMENTED: dict[int, tuple[str, str]] = {
    400: ("ValidationException", "Bad request"),
    401: ("SessionValidationException", "Session expired or invalid"),
    404: ("NotFound", "Not Found"),
    500: ("InternalServerError", "Internal Server Error"),
}


class CardlyticsError(Exception):
    def __init__(
        self, status: int, type_: str, title: str, validation_errors: Sequence[str] = ()
    ) -> None:
        super().__init__(title)
        self.status = status
        self.type = type_
        self.title = title
        self.validation_errors = list(validation_errors)

    @classmethod
    def for_status(cls, status: int) -> CardlyticsError:
        type_, title = _DOCUMENTED.get(status) or _from_phrase(status)
        return cls(status, type_, title)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.type == "ValidationException":
            body["validationErrors"] = self.validation_errors
        body["requestId"] = request_id()
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def _from_phrase(status: int) -> tuple[str, str]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return phrase.title().replace(" ", "").replace("-", ""), phrase


def validation_failed(*errors: str, title: str = "Bad request") -> CardlyticsError:
    return CardlyticsError(400, "ValidationException", title, errors)


def not_readable() -> CardlyticsError:
    return CardlyticsError(400, "HttpMessageNotReadable", "Request could not be parsed")


def session_invalid() -> CardlyticsError:
    return CardlyticsError.for_status(401)


def internal_error() -> CardlyticsError:
    return CardlyticsError.for_status(500)


def not_found(title: str = "Not Found") -> CardlyticsError:
    return CardlyticsError(404, "NotFound", title)


def injected_error_body(status: int) -> tuple[str, bytes]:
    """The body of a fault injected by the shared sandbox middleware."""
    return "application/json", json.dumps(CardlyticsError.for_status(status).body()).encode()


async def _on_cardlytics_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CardlyticsError)
    return exc.response()


async def _on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    error = CardlyticsError.for_status(exc.status_code)
    if exc.status_code == 400:  # only the sandbox's own control models raise these
        error.validation_errors = [str(exc.detail)]
    return error.response()


async def _on_request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(error) for error in exc.errors()]
    return validation_failed(*problems).response()


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("cardlytics simulator failed", exc_info=exc)
    return internal_error().response()


class _ContainUnexpected:
    """Answers a simulator bug with the documented 500 body and goes no further.

    A handler for ``Exception`` alone is not enough: Starlette re-raises after answering, and the
    server then drops the connection, so the client's next pooled request fails with a reset.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                raise
            log.exception("cardlytics simulator failed", exc_info=exc)
            await internal_error().response()(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CardlyticsError, _on_cardlytics_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_middleware(_ContainUnexpected)
