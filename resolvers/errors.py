"""Failures a resolver raises that the whole response must show (GraphQL ``errors``).

Expected failures of a mutation (bad input, a documented upstream refusal) are not here: they are
data, returned in the payload's ``errors`` list (``schema.errors``).
"""

from __future__ import annotations

__all__ = ["Forbidden", "Unauthenticated"]


class Unauthenticated(Exception):
    """The field needs a signed-in viewer and there is none."""

    def __init__(self, message: str = "sign in to see this") -> None:
        super().__init__(message)


class Forbidden(Exception):
    """The viewer is signed in but may not see or do this; nothing was sent upstream."""

    def __init__(self, message: str = "not allowed for this viewer") -> None:
        super().__init__(message)
