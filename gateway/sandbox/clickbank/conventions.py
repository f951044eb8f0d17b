"""Request conventions shared by every endpoint (A3, A11): query-only parameters, the
``Content-Length`` rule for body-less POST/PUT, output format by ``Accept``, and the rate limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from fastapi import Request

from gateway.sandbox.clickbank.errors import ApiError, bad_request, forbidden

__all__ = ["Format", "Params", "RateLimiter", "negotiate", "require_content_length"]


class Format(StrEnum):
    JSON = "application/json"
    XML = "application/xml"


class Params:
    """The query string, the only place parameters are read from (form bodies are ignored)."""

    def __init__(self, request: Request) -> None:
        self._query = request.query_params

    def get(self, name: str) -> str | None:
        """The first value of ``name``; an empty value counts as absent."""
        value = self._query.get(name)
        return value or None

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise bad_request(f"The parameter {name} is required")
        return value


def require_content_length(request: Request) -> None:
    """400 for a POST/PUT that states no length at all (ClickBank rejects those, A3).

    A malformed length (curl's ``-1``) never reaches here: the HTTP server rejects it with 400.
    A chunked body is a valid framing, so it passes.
    """
    if request.method not in ("POST", "PUT"):
        return
    headers = request.headers
    if "content-length" not in headers and "transfer-encoding" not in headers:
        raise bad_request("The Content-Length header is required (send Content-Length: 0)")


# media range -> (format, specificity); a more specific range wins a q tie (RFC 9110).
_MEDIA: dict[str, tuple[Format, int]] = {
    "application/json": (Format.JSON, 2),
    "application/xml": (Format.XML, 2),
    "text/xml": (Format.XML, 2),
    "application/*": (Format.XML, 1),
    "*/*": (Format.XML, 0),
}


def negotiate(request: Request) -> Format:
    """JSON or XML by ``Accept``; XML when it is absent or ``*/*`` (the seed lists XML first).

    The highest q wins, then the most specific range, then the earliest; nothing acceptable is a
    406, as Jersey answers.
    """
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return Format.XML
    best: tuple[float, int, int, Format] | None = None
    for index, item in enumerate(accept.split(",")):
        media, _, params = item.partition(";")
        known = _MEDIA.get(media.strip().lower())
        quality = _quality(params)
        if known is None or quality <= 0:
            continue
        candidate = (quality, known[1], -index, known[0])
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    if best is None:
        raise ApiError(406, "Not Acceptable: ask for application/json or application/xml")
    return best[3]


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


@dataclass
class RateLimiter:
    """A token bucket per client address: ``per_second`` sustained, bursts up to one second's worth.

    Over the limit ClickBank answers 403, not 429, and sends no Retry-After (A11).
    """

    per_second: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def check(self, client: str) -> None:
        if self.per_second <= 0:
            return
        capacity = max(1.0, self.per_second)
        now = self.clock()
        tokens, last = self._buckets.get(client, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            raise forbidden("Rate limit exceeded")
        self._buckets[client] = (tokens - 1, now)

    def reset(self) -> None:
        self._buckets.clear()
