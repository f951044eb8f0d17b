"""Expected failures as data: a mutation payload's ``errors: [UserError!]!``.

A screen shows these to the person who caused them; nothing in them is secret or internal.
"""

from __future__ import annotations

import strawberry

__all__ = [
    "NotAllowedError",
    "NotFoundError",
    "RejectedError",
    "UserError",
    "ValidationError",
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
