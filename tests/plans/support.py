"""Run one document through the gateway's executor and through plain graphql-core, and compare.

Both runs use the gateway's own schema (its types, resolvers and extensions: ``ErrorContract``,
``LimitQueries``) and a real app's upstream clients against the sandbox over HTTP; they differ
only in the executor class. Each run gets a fresh context (fresh loaders), as a request would.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import strawberry
from fastapi import FastAPI
from graphql import GraphQLOutputType
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue
from graphql.pyutils import Path as ResponsePath
from graphql.type import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryObjectDefinition

from gateway.app import create_app
from gateway.auth import Role, Viewer
from gateway.context import Context
from gateway.logs import request_id_scope
from gateway.settings import Settings
from schema import schema
from schema.plans.executor import LeafExecutor

__all__ = ["OPERATIONS", "Differential", "Run", "running_app", "viewer_for"]

OPERATIONS = Path(__file__).parents[2] / "operations"


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The gateway app with its lifespan entered: upstream clients, store, verifier."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def viewer_for(role: str, subject: str = "customer-linked") -> Viewer:
    if role == "anonymous":
        return Viewer(Role.ANONYMOUS)
    return Viewer(Role.AGENT if role == "agent" else Role.CUSTOMER, subject)


@dataclass(frozen=True)
class Run:
    """One execution's response as the HTTP layer would serialise it."""

    body: str

    @property
    def json(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


class _Opaque:
    """Some object no field knows; its repr is the same in every run."""

    def __repr__(self) -> str:
        return "<opaque>"


# A value a resolver might return by mistake, for a field of any type.
_BAD_VALUES: tuple[Callable[[], object], ...] = (
    lambda: None,
    lambda: "not-a-number",
    lambda: 3.5,
    lambda: 2**40,
    lambda: True,
    lambda: "BOGUS_ENUM_VALUE",
    lambda: [],
    lambda: ["a", None],
    lambda: Decimal("1.5"),
    _Opaque,
    lambda: ValueError("resolver failed"),
)


def corrupt(value: object, rng: random.Random, rate: float) -> None:
    """Replace some plain attributes of a Strawberry object graph with wrong values, in place."""
    seen: set[int] = set()

    def walk(node: object) -> None:
        if isinstance(node, list | tuple):
            for item in node:
                walk(item)
            return
        definition = getattr(type(node), "__strawberry_definition__", None)
        if not isinstance(definition, StrawberryObjectDefinition) or id(node) in seen:
            return
        seen.add(id(node))
        for field in definition.fields:
            if field.base_resolver is not None or not hasattr(node, field.python_name):
                continue
            if rng.random() < rate:
                setattr(node, field.python_name, rng.choice(_BAD_VALUES)())
            else:
                walk(getattr(node, field.python_name))

    walk(value)


def _corrupting(base: type[StrawberryGraphQLCoreExecutionContext]) -> type[Any]:
    """``base`` with every root field's value corrupted (same seed, same damage) before use."""

    class Corrupting(base):  # type: ignore[valid-type, misc]
        seed: int = 0
        rate: float = 0.0

        def complete_value(
            self,
            return_type: GraphQLOutputType,
            field_details_list: FieldDetailsList,
            info: GraphQLResolveInfo[Any],
            path: ResponsePath,
            result: Any,
            position_context: Any,
        ) -> AwaitableOrValue[Any]:
            if path.prev is None and self.rate:
                # A copy: the original may sit in a loader's cache that the other run reads too.
                result = copy.deepcopy(result)
                corrupt(result, random.Random(f"{self.seed}:{path.key}"), self.rate)
            return super().complete_value(
                return_type, field_details_list, info, path, result, position_context
            )

    return Corrupting


class Differential:
    """Executes documents with the gateway's executor (``fast``) and graphql-core's (``plain``)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.fast = copy.copy(schema)
        self.fast.execution_context_class = _corrupting(LeafExecutor)
        self.plain = copy.copy(schema)
        self.plain.execution_context_class = _corrupting(StrawberryGraphQLCoreExecutionContext)

    def context(self, viewer: Viewer) -> Context:
        state = self.app.state
        context = Context(
            state.upstreams,
            viewer,
            ticket_index=state.ticket_index,
            database=state.database,
            pubsub=state.pubsub,
        )
        # What LimitQueries reads the app's limits from, as under the router.
        context.request = SimpleNamespace(app=self.app)  # type: ignore[assignment]
        return context

    async def run(
        self,
        which: strawberry.Schema,
        document: str,
        variables: dict[str, Any] | None,
        viewer: Viewer,
        *,
        seed: int = 0,
        rate: float = 0.0,
        context: Context | None = None,
    ) -> Run:
        executor: Any = which.execution_context_class
        executor.seed, executor.rate = seed, rate
        with request_id_scope("req-differential"):
            result = await which.execute(
                document, variables, context_value=context or self.context(viewer)
            )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return Run(json.dumps(body))

    async def both(
        self,
        document: str,
        variables: dict[str, Any] | None,
        viewer: Viewer,
        *,
        seed: int = 0,
        rate: float = 0.0,
        warm: bool = False,
    ) -> tuple[Run, Run]:
        """(fast, plain), one after the other against the same upstream state.

        ``warm``: both run on one context whose loaders a first run filled. Root fields then
        resume in a fixed order; with fresh loaders they resume as the upstream answers arrive,
        and so does the order of their errors, in graphql-core as much as here.
        """
        context = None
        if warm:
            context = self.context(viewer)
            await self.run(self.fast, document, variables, viewer, context=context)
        options: dict[str, Any] = {"seed": seed, "rate": rate, "context": context}
        fast = await self.run(self.fast, document, variables, viewer, **options)
        plain = await self.run(self.plain, document, variables, viewer, **options)
        return fast, plain
