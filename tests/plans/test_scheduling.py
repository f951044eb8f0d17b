"""A plan starts the resolvers under a value as soon as that value arrives, as graphql-core does,
so a slow field never holds back the children of a fast one (a document over two upstreams
costs the slower one, not the sum); and a resolver's error gives the request back to
graphql-core, whose answer is the one returned."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry

from schema.plans import PlannedSchema

Info = strawberry.Info[dict[str, Any], None]


@strawberry.type
class Child:
    @strawberry.field
    async def ready(self, info: Info) -> bool:
        info.context["gate"].set()
        return True


@strawberry.type
class Query:
    @strawberry.field
    async def fast(self) -> Child:
        return Child()

    @strawberry.field
    async def slow(self, info: Info) -> str:
        # Finishes only once the fast field's child has run.
        await asyncio.wait_for(info.context["gate"].wait(), timeout=5)
        return "after the child"

    @strawberry.field
    async def broken(self) -> int | None:
        raise ValueError("upstream said no")

    @strawberry.field
    def fine(self) -> str:
        return "fine"


async def test_a_child_starts_before_its_slow_sibling_ends() -> None:
    # given
    document = "{ fast { ready } slow }"
    schema = PlannedSchema(query=Query, known_documents=[document])

    # when
    result = await schema.execute(document, context_value={"gate": asyncio.Event()})

    # then: the plan answered, without giving the request back to graphql-core
    assert result.errors is None
    assert result.data == {"fast": {"ready": True}, "slow": "after the child"}
    assert (schema.known.answered, schema.known.fell_back) == (1, 0)


async def test_a_failing_resolver_gives_the_request_back() -> None:
    # given
    document = "{ fine broken }"
    planned = PlannedSchema(query=Query, known_documents=[document])
    plain = strawberry.Schema(query=Query)

    # when
    fast = await planned.execute(document)
    reference = await plain.execute(document)

    # then
    assert fast.data == reference.data == {"fine": "fine", "broken": None}
    assert fast.errors is not None and reference.errors is not None
    assert [e.formatted for e in fast.errors] == [e.formatted for e in reference.errors]
    assert (planned.known.answered, planned.known.fell_back) == (0, 1)


def test_a_document_with_nothing_to_await_is_answered_synchronously() -> None:
    # execute_sync needs the answer without an event loop, as graphql-core gives it.
    document = "{ fine also: fine }"
    planned = PlannedSchema(query=Query, known_documents=[document])

    result = planned.execute_sync(document)

    assert result.errors is None
    assert result.data == {"fine": "fine", "also": "fine"}
    assert (planned.known.answered, planned.known.fell_back) == (1, 0)
