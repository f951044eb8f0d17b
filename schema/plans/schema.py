"""The gateway's Schema class: Strawberry's, with a faster execution path for known documents."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from schema.plans.hooks import ExtensionsRunner
from schema.plans.plan import KnownDocuments, PlanExecutor

__all__ = ["OPERATIONS", "PlannedSchema"]

# The documents the frontends send (and the persisted-document set, later).
OPERATIONS = Path(__file__).parents[2] / "operations"


class PlannedSchema(strawberry.Schema):
    """A ``strawberry.Schema`` that answers the known documents' queries from plans.

    ``known_documents``: the exact texts to plan (default: every ``operations/*.graphql``; an
    empty list turns plans off). Every other document, every mutation, and any request a plan
    does not answer itself runs through graphql-core with plain leaves inlined
    (``LeafExecutor``). Results and errors are graphql-core's; ``tests/plans/`` compares them.
    """

    def __init__(
        self, *args: Any, known_documents: Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        if known_documents is None:
            known_documents = [path.read_text() for path in sorted(OPERATIONS.glob("*.graphql"))]
        self.known = KnownDocuments.of(known_documents)
        # A class per schema: graphql-core builds the executor itself, from the class alone.
        executor = type("SchemaPlanExecutor", (PlanExecutor,), {"known": self.known})
        kwargs.setdefault("execution_context_class", executor)
        super().__init__(*args, **kwargs)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> ExtensionsRunner:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)
