"""Expected failures as data: a mutation payload's ``errors: [UserError!]!``.

A screen shows these to the person who caused them; nothing in them is secret or internal.
"""

from __future__ import annotations

import strawberry

from gateway.upstreams.clickbank import TicketRequestInvalid
from gateway.upstreams.errors import (
    UpstreamNotAllowed,
    UpstreamNotFound,
    UpstreamRejected,
)

__all__ = [
    "NotAllowedError",
    "NotFoundError",
    "RejectedError",
    "UserError",
    "ValidationError",
    "user_error_for",
]


@strawberry.interface(description="Something the person can understand and act on.")
class UserError:
    message: str = strawberry.field(description="Ready to show, in English.")


@strawberry.type(description="An argument broke a documented rule; nothing was sent upstream.")
class ValidationError(UserError):
    field: list[str] = strawberry.field(
        description='Path to the argument, e.g. ["input", "refundAmount"].'
    )


@strawberry.type(description="The thing the mutation acts on does not exist, or not for you.")
class NotFoundError(UserError):
    pass


@strawberry.type(description="The viewer may not do this to this thing; nothing was sent.")
class NotAllowedError(UserError):
    pass


@strawberry.type(description="The upstream refused the request with its own reason.")
class RejectedError(UserError):
    upstream: str = strawberry.field(description="`cardlytics` or `clickbank`.")


def user_error_for(
    error: Exception, *, input_path: tuple[str, ...] = ("input",)
) -> UserError | None:
    """The UserError an expected failure becomes, or None for one the response must show.

    ``input_path`` prefixes a rule's field name, so ``refundAmount`` becomes
    ``["input", "refundAmount"]`` for a mutation whose argument is ``input``.
    """
    if isinstance(error, TicketRequestInvalid):
        return ValidationError(message=error.message, field=[*input_path, error.field])
    if isinstance(error, UpstreamRejected):
        return RejectedError(message=error.message, upstream=error.upstream)
    if isinstance(error, UpstreamNotFound):
        return NotFoundError(message=error.message)
    if isinstance(error, UpstreamNotAllowed):
        return NotAllowedError(message=error.message)
    return None
