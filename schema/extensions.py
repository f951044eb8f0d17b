"""The error contract: every top-level error has ``extensions.code`` and the request id.

Codes: ``UNAUTHENTICATED``, ``FORBIDDEN``, ``BAD_USER_INPUT`` (also a variable of the wrong
type), ``UPSTREAM_UNAVAILABLE``, ``UPSTREAM_TIMEOUT``, ``QUERY_TOO_COMPLEX``,
``GRAPHQL_VALIDATION_FAILED`` and ``INTERNAL_SERVER_ERROR``. Anything unexpected is masked:
the client sees "Unexpected error." and the request id, the log has the exception. Upstream
failures say which upstream failed and nothing of its answer.
"""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from gateway.logs import current_request_id
from gateway.upstreams.clickbank import TicketRequestInvalid
from gateway.upstreams.errors import UpstreamError, UpstreamTimeout
from resolvers.errors import Forbidden, Unauthenticated

__all__ = ["ErrorContract", "error_code"]

logger = logging.getLogger("gateway.graphql")

_UNEXPECTED = "Unexpected error."


def error_code(error: GraphQLError) -> str:
    original = error.original_error
    if original is None:
        existing = (error.extensions or {}).get("code")
        return existing if isinstance(existing, str) else "GRAPHQL_VALIDATION_FAILED"
    if isinstance(original, Unauthenticated):
        return "UNAUTHENTICATED"
    if isinstance(original, Forbidden):
        return "FORBIDDEN"
    if isinstance(original, TicketRequestInvalid):
        return "BAD_USER_INPUT"
    if isinstance(original, GraphQLError) and error.path is None:
        # graphql-core's own coercion of a variable (a string for an Int, an unknown enum value)
        # before anything executes: the caller's input, not our fault. A resolver's error always
        # has a path, so nothing unexpected is unmasked here.
        return "BAD_USER_INPUT"
    if isinstance(original, UpstreamTimeout):
        return "UPSTREAM_TIMEOUT"
    if isinstance(original, UpstreamError):
        return "UPSTREAM_UNAVAILABLE"
    return "INTERNAL_SERVER_ERROR"


class ErrorContract(MaskErrors):
    def __init__(self) -> None:
        super().__init__(error_message=_UNEXPECTED)

    def _process_result(self, result: object) -> None:
        # MaskErrors asks ``isinstance(result, <a runtime-checkable Protocol>)``, which walks the
        # Protocol's members on every request; having the attribute is all that check means.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._with_code(error) for error in errors]

    def _with_code(self, error: GraphQLError) -> GraphQLError:
        code = error_code(error)
        original = error.original_error
        message = error.message
        extensions: dict[str, object] = {"code": code}
        if code == "INTERNAL_SERVER_ERROR":
            logger.error("unexpected error in %s", _path(error), exc_info=original)
            message = _UNEXPECTED
        elif isinstance(original, UpstreamError):
            # The upstream's own text may quote our request back; say only which one failed.
            logger.warning("upstream failure in %s: %s", _path(error), original)
            extensions["upstream"] = original.upstream
            message = (
                f"{original.upstream} did not answer in time"
                if code == "UPSTREAM_TIMEOUT"
                else f"{original.upstream} is unavailable"
            )
        elif isinstance(original, TicketRequestInvalid):
            extensions["field"] = original.field
        if request_id := current_request_id():
            extensions["requestId"] = request_id
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={**(error.extensions or {}), **extensions},
        )


def _path(error: GraphQLError) -> str:
    return ".".join(str(part) for part in error.path or ()) or "(operation)"
