"""What a tickets API status code means (upstreams.md A10, A11).

Error bodies are plain text whatever ``Accept`` said. 403 covers a bad key, a missing role, a
ticket that does not exist or is not ours, partial refunds not enabled, and the rate limit; only
the body tells them apart. Texts that plainly say which are singled out: the rate limit (safe to
wait out, so retryable) and a refused credential (a configuration problem, not a per-ticket one).
Any other 403 stays "not allowed", because "no such ticket" and "not yours" are one answer.
A 400 that says something was not found (``returned`` on an unknown ticket, an unknown receipt)
is "not found"; other 400s are refusals carrying the upstream's text. 401 and 404 are not
documented for tickets but are mapped rather than guessed at.
"""

from __future__ import annotations

import re

from gateway.logs import redact
from gateway.upstreams.errors import (
    UpstreamAuthenticationFailed,
    UpstreamError,
    UpstreamMalformed,
    UpstreamNotAllowed,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.upstreams.http import Answer

__all__ = ["UPSTREAM", "classify_status", "error_text"]

UPSTREAM = "clickbank"
MAX_MESSAGE = 300
_RATE_LIMIT = re.compile(r"rate\s*limit", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# The wordings of a refused or missing key (the simulator's, and the usual servlet-container ones).
_BAD_CREDENTIALS = re.compile(
    r"invalid (?:credentials|api key|key)|missing authorization|authorization header"
    r"|not authenticated|unauthori[sz]ed",
    re.IGNORECASE,
)
_NOT_FOUND = re.compile(r"\bnot found\b|\bdoes not exist\b", re.IGNORECASE)
NOT_ALLOWED = "not allowed: the ticket does not exist, is not ours, or the key lacks the role"


# The upstream's refusal text: one line, bounded, never markup, never a key.
def error_text(response: Answer) -> str:
    text = _SPACE.sub(" ", response.content.decode("utf-8", errors="replace")).strip()
    if text.startswith("<"):  # an HTML error page from something in between, not the API's text
        return ""
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return redact(text)


# The error a non-success status stands for; None for 2xx (the body is read elsewhere).
def classify_status(response: Answer, request_id: str) -> UpstreamError | None:
    status = response.status_code
    if 200 <= status < 300:
        return None
    if status >= 500:
        return UpstreamUnavailable(UPSTREAM, "server error", status=status, request_id=request_id)
    if status == 403:
        return _forbidden(response, request_id)
    return _client_error(status, error_text(response), request_id)


def _forbidden(response: Answer, request_id: str) -> UpstreamError:
    text = error_text(response)
    if _RATE_LIMIT.search(text):
        return UpstreamRateLimited(UPSTREAM, text, status=403, request_id=request_id)
    if _BAD_CREDENTIALS.search(text):
        return UpstreamAuthenticationFailed(
            UPSTREAM, f"credentials refused: {text}", status=403, request_id=request_id
        )
    message = f"not allowed: {text}" if text else NOT_ALLOWED
    return UpstreamNotAllowed(UPSTREAM, message, status=403, request_id=request_id)


def _client_error(status: int, text: str, request_id: str) -> UpstreamError:
    kinds: dict[int, tuple[type[UpstreamError], str]] = {
        400: (UpstreamRejected, "bad request"),
        401: (UpstreamAuthenticationFailed, "credentials refused"),
        404: (UpstreamNotFound, "not found"),
        408: (UpstreamTimeout, "request timeout"),
        429: (UpstreamRateLimited, "rate limit exceeded"),
    }
    if status == 400 and _NOT_FOUND.search(text):
        return UpstreamNotFound(UPSTREAM, text, status=status, request_id=request_id)
    if status in kinds:
        kind, default = kinds[status]
        # only a refusal carries the upstream's own words; the others say what happened
        message = (text or default) if kind is UpstreamRejected else default
        return kind(UPSTREAM, message, status=status, request_id=request_id)
    if 400 <= status < 500:
        return UpstreamRejected(
            UPSTREAM, text or f"HTTP {status}", status=status, request_id=request_id
        )
    return UpstreamMalformed(
        UPSTREAM, f"unexpected HTTP {status}", status=status, request_id=request_id
    )
