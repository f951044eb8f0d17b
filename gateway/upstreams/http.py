"""The one way an upstream client sends a request: request id, timeout, retries, breaker, logs.

Each client module builds its requests and says how to read an answer's status (``classify``);
this module turns transport failures into ``UpstreamError``s, repeats what is safe to repeat and
keeps the circuit breaker informed. Logged: upstream, method, path (never the query string, which
can carry customer text), status, time, request id.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx

from gateway.logs import current_request_id
from gateway.upstreams.errors import (
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.upstreams.lane import direct_requests
from gateway.upstreams.resilience import CircuitBreaker, RetryPolicy

__all__ = ["Answer", "Classifier", "UpstreamHTTP"]

logger = logging.getLogger("gateway.upstreams")


class Answer(Protocol):
    """What a classifier may read of an upstream's answer: an ``httpx.Response`` is one, and so is
    the lighter answer of a transport that skips building one."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def text(self) -> str: ...


# Returns the error an answer stands for, or None when it is a success to hand back.
Classifier = Callable[[Answer, str], UpstreamError | None]


class UpstreamHTTP:
    """A pooled ``httpx.AsyncClient`` for one upstream, with its retry policy and breaker.

    Over the gateway's ``HTTP1Transport`` the calls skip httpx's request and response objects
    (``lane.DirectRequests``); the client still supplies base URL, headers, timeouts.
    """

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        *,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        request_id_header: str | None = None,
    ) -> None:
        self.name = name
        self.client = client
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.request_id_header = request_id_header
        # Past httpx's own layers when the client allows it (the gateway's do); tests' mock
        # transports, and any client with more to it, go through httpx.
        lane = direct_requests(client)
        self._request: Callable[..., Awaitable[Answer]] = lane.request if lane else client.request

    async def send(
        self,
        method: str,
        path: str,
        *,
        classify: Classifier,
        idempotent: bool,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> Answer:
        """Send, repeating only when ``idempotent`` and the failure is worth another try."""
        request_id = current_request_id() or str(uuid.uuid4())
        all_headers = dict(headers or {})
        if self.request_id_header:
            all_headers[self.request_id_header] = request_id
        attempts = self.retry.attempts if idempotent else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(
                    method, path, request_id, classify, all_headers, params, json, content
                )
            except UpstreamError as error:
                if attempt == attempts or not error.retryable:
                    raise
                delay = self.retry.delay(attempt)
                logger.info(
                    "upstream retry",
                    extra={
                        "upstream": self.name,
                        "path": path,
                        "attempt": attempt,
                        "delay_ms": round(delay * 1000),
                        "error": type(error).__name__,
                    },
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        method: str,
        path: str,
        request_id: str,
        classify: Classifier,
        headers: dict[str, str],
        params: Mapping[str, Any] | None,
        json: Any,
        content: bytes | None,
    ) -> Answer:
        if not self.breaker.allow():
            raise UpstreamUnavailable(self.name, "circuit open", request_id=request_id)
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._request(
                method, path, headers=headers, params=params, json=json, content=content
            )
            status = response.status_code
            error = classify(response, request_id)
        except httpx.TimeoutException as exc:
            error = UpstreamTimeout(self.name, "timed out", request_id=request_id)
            error.__cause__ = exc
        except httpx.TransportError as exc:
            error = UpstreamUnavailable(self.name, "connection failed", request_id=request_id)
            error.__cause__ = exc
        except BaseException:
            self.breaker.record_neutral()
            raise
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        self._record(error)
        if logger.isEnabledFor(logging.INFO):  # the fields cost a dict per call even when unused
            logger.info(
                "upstream call",
                extra={
                    "upstream": self.name,
                    "method": method,
                    "path": path,
                    "status": status,
                    "elapsed_ms": elapsed_ms,
                    "upstream_request_id": request_id,
                    "error": type(error).__name__ if error else None,
                },
            )
        if error is not None:
            raise error
        return response

    def _record(self, error: UpstreamError | None) -> None:
        if error is None or not error.counts_as_failure:
            self.breaker.record_success()
        else:
            self.breaker.record_failure()
