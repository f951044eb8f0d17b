"""Run one document through the gateway's executor and through plain graphql-core, and compare.

Both runs use the gateway's own schema (its types, resolvers and extensions: ``ErrorContract``,
``LimitQueries``) and a real app's upstream clients against the sandbox over HTTP; they differ
only in the executor class. Each run gets a fresh context (fresh loaders), as a request would.
"""

from __future__ import annotations

import copy
import inspect
import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import strawberry
from fastapi import FastAPI
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryObjectDefinition

from gateway.app import create_app
from gateway.auth import Role, Viewer
from gateway.context import Context
from gateway.logs import request_id_scope
from gateway.settings import Settings
from schema import schema

__all__ = ["ONE", "OPERATIONS", "Differential", "Run", "running_app", "viewer_for"]

OPERATIONS = Path(__file__).parents[2] / "operations"
# A planting rate that means: exactly one wrong value in each root field's answer.
ONE = -1.0


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
    answered_by_plan: bool = False

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


def corrupted(value: Any, rng: random.Random, rate: float) -> Any:
    """A copy of a Strawberry object graph with some plain attributes replaced by wrong values.

    ``rate``: the share of attributes replaced; ``ONE`` replaces exactly one, chosen by ``rng``.
    Only the Strawberry objects (and lists of them) are copied: the originals may sit in a
    loader's cache that the other run reads too, and what else they hold (clients, locks) is
    nobody's business here.
    """
    chosen = rng.randrange(max(_attributes(value), 1)) if rate == ONE else -1
    copies: dict[int, Any] = {}
    position = 0

    def walk(node: Any) -> Any:
        nonlocal position
        if isinstance(node, list | tuple):
            return type(node)(walk(item) for item in node)
        definition = getattr(type(node), "__strawberry_definition__", None)
        if not isinstance(definition, StrawberryObjectDefinition):
            return node
        if id(node) in copies:
            return copies[id(node)]
        copies[id(node)] = fresh = copy.copy(node)
        for field in definition.fields:
            if field.base_resolver is not None or not hasattr(node, field.python_name):
                continue
            position += 1
            if position - 1 == chosen or (rate != ONE and rng.random() < rate):
                setattr(fresh, field.python_name, rng.choice(_BAD_VALUES)())
            else:
                setattr(fresh, field.python_name, walk(getattr(node, field.python_name)))
        return fresh

    return walk(value)


def _attributes(value: Any) -> int:
    """How many plain attributes ``corrupted`` walks through in ``value``."""
    return sum(1 for _ in _walk_attributes(value, set()))


def _walk_attributes(node: Any, seen: set[int]) -> Iterator[None]:
    if isinstance(node, list | tuple):
        for item in node:
            yield from _walk_attributes(item, seen)
        return
    definition = getattr(type(node), "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryObjectDefinition) or id(node) in seen:
        return
    seen.add(id(node))
    for field in definition.fields:
        if field.base_resolver is None and hasattr(node, field.python_name):
            yield None
            yield from _walk_attributes(getattr(node, field.python_name), seen)


@contextmanager
def planted(seed: int, rate: float, only: str | None = None) -> Iterator[None]:
    """Wrong values in what every root field's resolver (or ``only`` this one's) returns (the
    same damage for the same seed, however often it runs), whichever executor calls it."""
    fields = schema._schema.query_type.fields if schema._schema.query_type and rate else {}
    fields = {name: f for name, f in fields.items() if only is None or name == only}
    originals = {name: field.resolve for name, field in fields.items()}

    def corrupting(name: str, resolve: Any) -> Any:
        def damaged(result: Any) -> Any:
            return corrupted(result, random.Random(f"{seed}:{name}"), rate)

        def resolver(source: Any, info: Any, **arguments: Any) -> Any:
            result = resolve(source, info, **arguments)
            if inspect.isawaitable(result):

                async def later() -> Any:
                    return damaged(await result)

                return later()
            return damaged(result)

        return resolver

    for name, field in fields.items():
        field.resolve = corrupting(name, originals[name])
    try:
        yield
    finally:
        for name, field in fields.items():
            field.resolve = originals[name]


class Differential:
    """Executes documents with the gateway's executor (``fast``) and graphql-core's (``plain``)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.fast = schema
        self.plain = copy.copy(schema)
        self.plain.execution_context_class = StrawberryGraphQLCoreExecutionContext

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
        only: str | None = None,
        context: Context | None = None,
    ) -> Run:
        known = schema.known
        before = (known.answered, known.fell_back)
        with request_id_scope("req-differential"), planted(seed, rate, only):
            result = await which.execute(
                document, variables, context_value=context or self.context(viewer)
            )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        planned = (known.answered, known.fell_back) != before
        return Run(json.dumps(body), planned and known.answered > before[0])

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
