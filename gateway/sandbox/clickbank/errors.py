"""Every failure is a plain-text body (A10), whatever ``Accept`` asked for.

Routes raise ``ApiError``; the handlers here also turn the framework's own 404 / 405 and any
injected fault into the same plain-text form.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException

__all__ = [
    "ApiError",
    "api_error_handler",
    "bad_request",
    "error_body",
    "forbidden",
    "http_error_handler",
]


class ApiError(Exception):
    """A failure answered as ``status`` with a short English sentence naming the problem."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, message)


async def api_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return PlainTextResponse(exc.message, status_code=exc.status)


async def http_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def error_body(status: int) -> tuple[str, bytes]:
    """The body of an injected fault: the status's reason phrase, as ClickBank's container would."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"Error {status}"
    return "text/plain; charset=utf-8", phrase.encode()
