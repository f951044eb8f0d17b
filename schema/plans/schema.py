"""The gateway's Schema class: Strawberry's, with a faster execution path for known documents."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.plans.executor import LeafExecutor

__all__ = ["PlannedSchema"]


class PlannedSchema(strawberry.Schema):
    """A ``strawberry.Schema`` whose executor answers plain leaf fields inline (``LeafExecutor``).

    Results and errors are graphql-core's; ``tests/plans/`` compares them with the plain executor.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("execution_context_class", LeafExecutor)
        super().__init__(*args, **kwargs)
