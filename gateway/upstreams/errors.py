"""What can go wrong with an upstream call, translated once at the client boundary.

::

    UpstreamError                    upstream, status, request_id
    ├── UpstreamAuthenticationFailed our credentials or session were refused
    ├── UpstreamNotFound             the thing asked for does not exist
    ├── UpstreamNotAllowed           it exists (or may) but we may not see or change it
    ├── UpstreamRejected             a documented refusal; ``message`` is the upstream's own text
    ├── UpstreamRateLimited          slow down
    ├── UpstreamUnavailable          connection failure, 5xx, or our circuit breaker is open
    ├── UpstreamTimeout              no answer in time
    └── UpstreamMalformed            an answer we cannot read

Messages never carry tokens, keys, raw customer ids or upstream bodies beyond the documented
refusal text, so they are safe to log. Resolvers map these to GraphQL errors.
"""

from __future__ import annotations

__all__ = [
    "UpstreamAuthenticationFailed",
    "UpstreamError",
    "UpstreamMalformed",
    "UpstreamNotAllowed",
    "UpstreamNotFound",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class UpstreamError(Exception):
    """Base of every upstream failure."""

    #: Whether repeating the same call may succeed (only done where repeating is safe).
    retryable = False
    #: Whether it says the upstream is unhealthy (counted by the circuit breaker).
    counts_as_failure = False

    def __init__(
        self,
        upstream: str,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.upstream = upstream
        self.message = message
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.upstream}: {self.message}{status}"


class UpstreamAuthenticationFailed(UpstreamError):
    pass


class UpstreamNotFound(UpstreamError):
    pass


class UpstreamNotAllowed(UpstreamError):
    pass


class UpstreamRejected(UpstreamError):
    """A refusal the documents describe; ``details`` holds the upstream's validation errors."""

    def __init__(
        self,
        upstream: str,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        details: tuple[str, ...] = (),
    ) -> None:
        super().__init__(upstream, message, status=status, request_id=request_id)
        self.details = details


class UpstreamRateLimited(UpstreamError):
    retryable = True


class UpstreamUnavailable(UpstreamError):
    retryable = True
    counts_as_failure = True


class UpstreamTimeout(UpstreamError):
    retryable = True
    counts_as_failure = True


class UpstreamMalformed(UpstreamError):
    counts_as_failure = True
