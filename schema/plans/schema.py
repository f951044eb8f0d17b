"""The gateway's Schema class: Strawberry's, with a faster execution path for known documents."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from schema.plans.calls import direct_call
from schema.plans.hooks import ExtensionsRunner
from schema.plans.plan import KnownDocuments, PlanExecutor, strawberry_field

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
        self._call_mutations_directly()

    def _call_mutations_directly(self) -> None:
        """A plan answers queries only, so a mutation's root fields are always resolved by
        graphql-core: through the same ``Call`` a plan would use, where one can stand for
        Strawberry's wrapper (its argument conversion was a third of a 20-event
        ``recordOfferEvents``)."""
        mutation = self._schema.mutation_type
        for definition in mutation.fields.values() if mutation is not None else ():
            call = direct_call(definition, strawberry_field(definition), self)
            if call is not None:
                definition.resolve = call.installed()

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> ExtensionsRunner:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)
