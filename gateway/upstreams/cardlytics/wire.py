"""Reading Cardlytics answers: a status as its typed error, a 2xx body as a model.

Error bodies are ``{type, title, status, validationErrors, requestId}`` (upstreams.md B1) but are
read tolerantly: a proxy's HTML page or an empty body still yields the right typed error. Every
answer that echoes ``requestId`` is logged beside the id we sent, so the two sides' logs join.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import msgspec
from pydantic import ValidationError

from gateway.upstreams.errors import (
    UpstreamAuthenticationFailed,
    UpstreamError,
    UpstreamMalformed,
    UpstreamNotAllowed,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from gateway.upstreams.http import Answer

__all__ = ["UPSTREAM", "Expect", "Problem", "loads", "read_problem"]

UPSTREAM = "cardlytics"
logger = logging.getLogger("gateway.upstreams.cardlytics")

T = TypeVar("T")

_MAX_TEXT = 200
_MAX_DETAILS = 20


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(content: bytes | str) -> Any:
    """JSON with every non-integer number as the ``Decimal`` of its text (money stays exact)."""
    return json.loads(content, parse_float=Decimal, parse_constant=_reject_constant)


@dataclass(frozen=True)
class Problem:
    """What an error body says; every part may be missing."""

    type: str | None = None
    title: str | None = None
    validation_errors: tuple[str, ...] = ()
    request_id: str | None = None


def _text(value: Any) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) and value else None


def _detail(item: Any) -> str:
    if isinstance(item, dict):  # some services send {field, message} objects
        parts = [str(item[k]) for k in ("field", "message") if k in item]
        return ": ".join(parts)[:_MAX_TEXT] if parts else json.dumps(item, default=str)[:_MAX_TEXT]
    return str(item)[:_MAX_TEXT]


def read_problem(body: Any) -> Problem:
    if not isinstance(body, dict):
        return Problem()
    errors = body.get("validationErrors")
    details = tuple(_detail(e) for e in errors[:_MAX_DETAILS]) if isinstance(errors, list) else ()
    return Problem(
        type=_text(body.get("type")),
        title=_text(body.get("title")),
        validation_errors=details,
        request_id=_text(body.get("requestId")),
    )


def _status_error(
    status: int, request_id: str, problem: Problem, *, credentials_on_500: bool
) -> UpstreamError:
    ids: dict[str, Any] = {"status": status, "request_id": request_id}
    if status == 401:
        return UpstreamAuthenticationFailed(UPSTREAM, "session token refused", **ids)
    if status == 403:
        return UpstreamNotAllowed(UPSTREAM, "not allowed", **ids)
    if status == 404:
        return UpstreamNotFound(UPSTREAM, "not found", **ids)
    if status == 429:
        return UpstreamRateLimited(UPSTREAM, "rate limited", **ids)
    if status == 500 and credentials_on_500:
        # startSession answers a wrong clientId/secret with 500 (seed 001): repeating won't help.
        return UpstreamAuthenticationFailed(UPSTREAM, "client credentials refused", **ids)
    if status >= 500:
        return UpstreamUnavailable(UPSTREAM, "server error", **ids)
    if 400 <= status < 500:
        message = problem.title or "request rejected"
        return UpstreamRejected(UPSTREAM, message, details=problem.validation_errors, **ids)
    return UpstreamMalformed(UPSTREAM, "unexpected status", **ids)


class Expect(Generic[T]):
    """Reads the answers to one call (use a new one per call): errors are returned for
    ``UpstreamHTTP`` to raise, and the decoded body of the successful answer is kept.

    ``decode`` takes what ``loads`` read, or with ``raw`` the body's bytes (a msgspec decoder,
    which reads them in one step).
    """

    def __init__(
        self,
        operation: str,
        decode: Callable[[Any], T],
        *,
        when_empty: Callable[[], T] | None = None,
        credentials_on_500: bool = False,
        raw: bool = False,
    ) -> None:
        self.operation = operation
        self._decode = decode
        self._raw = raw
        self._when_empty = when_empty
        self._credentials_on_500 = credentials_on_500
        self._value: T | None = None
        self._decoded = False

    @property
    def value(self) -> T:
        if not self._decoded:
            raise RuntimeError(f"{self.operation}: no successful answer was read")
        return self._value  # type: ignore[return-value]  # T itself may include None

    def __call__(self, response: Answer, request_id: str) -> UpstreamError | None:
        status = response.status_code
        if self._raw and 200 <= status < 300 and status != 204 and response.content.strip():
            try:
                value = self._decode(response.content)
            except msgspec.DecodeError:
                pass  # read below as any answer: "not JSON" or which shape, logged
            else:
                self._log_answer(status, request_id, getattr(value, "request_id", None))
                self._value, self._decoded = value, True
                return None
        body, readable = _parse(response.content)
        echoed = body.get("requestId") if isinstance(body, dict) else None
        self._log_answer(status, request_id, echoed)
        if not 200 <= response.status_code < 300:
            problem = read_problem(body)
            return _status_error(
                response.status_code,
                request_id,
                problem,
                credentials_on_500=self._credentials_on_500,
            )
        if response.status_code == 204 or not response.content.strip():
            return self._empty(request_id, response.status_code)
        if not readable:
            return self._malformed("not JSON", request_id, response.status_code)
        return self._read(response.content if self._raw else body, request_id, status)

    def _empty(self, request_id: str, status: int) -> UpstreamError | None:
        if self._when_empty is None:
            return self._malformed("empty answer", request_id, status)
        self._value, self._decoded = self._when_empty(), True
        return None

    def _read(self, body: Any, request_id: str, status: int) -> UpstreamError | None:
        try:
            self._value = self._decode(body)
        except (ValidationError, msgspec.DecodeError) as error:
            # Locations and error types only: input values may be customer data.
            where = _problems(error)
            logger.warning(
                "cardlytics answer does not match its documented shape",
                extra={
                    "operation": self.operation,
                    "upstream_request_id": request_id,
                    "problems": where,
                },
            )
            return self._malformed("unexpected shape", request_id, status)
        self._decoded = True
        return None

    def _malformed(self, why: str, request_id: str, status: int) -> UpstreamMalformed:
        message = f"{self.operation}: {why}"
        return UpstreamMalformed(UPSTREAM, message, status=status, request_id=request_id)

    def _log_answer(self, status: int, request_id: str, echoed: Any) -> None:
        # INFO even on success: the echo is what joins our log line to Cardlytics' own
        logger.info(
            "cardlytics answer",
            extra={
                "operation": self.operation,
                "status": status,
                "upstream_request_id": request_id,
                "cardlytics_request_id": _text(echoed),
            },
        )


def _problems(error: ValidationError | msgspec.DecodeError) -> list[tuple[str, str]]:
    if isinstance(error, ValidationError):
        return [(".".join(map(str, e["loc"])), e["type"]) for e in error.errors()[:10]]
    # msgspec names one problem, "<what> - at `$.path`"; its messages (and ours, raised in
    # __post_init__) name types and rules, never the input value
    what, _, where = str(error).partition(" - at ")
    return [(where.strip("`") or "$", what)]


def _parse(content: bytes) -> tuple[Any, bool]:
    if not content.strip():
        return None, False
    try:
        return loads(content), True
    except (ValueError, RecursionError):
        return None, False
