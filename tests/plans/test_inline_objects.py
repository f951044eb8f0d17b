"""What the compiled plan answers inline: objects and lists read off their parent (no
resolver), and the leaf values a coercion answers alone (strings, Ints in range, enum members,
Decimals, dates, nulls). Every value graphql-core would not complete as it is (an awaitable, an
exception, null under non-null, a list item of those, an Int out of range) still gives the
request back, and what the plan answers (paths included, where a resolver reads them) is
graphql-core's answer byte for byte. A schema of its own: the gateway's upstreams never send
such values, the planting in ``support`` cannot make awaitables, and these must be exact."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.plans import PlannedSchema


@strawberry.enum
class Shade(Enum):
    LIGHT = "light"
    DARK = strawberry.enum_value("dark", name="NIGHT")  # a GraphQL name of its own


class OtherShade(Enum):
    LIGHT = "light"


@strawberry.type
class Leaf:
    name: str


@strawberry.type
class Node:
    name: str
    required: Leaf
    optional: Leaf | None
    items: list[Leaf]
    maybe_items: list[Leaf | None] | None
    child: Node | None
    children: list[Node]
    tags: list[str]
    maybe_tags: list[str | None] | None
    rank: int | None
    shade: Shade
    maybe_shade: Shade | None
    amount: Decimal | None
    ends: datetime | None

    @strawberry.field
    def path(self, info: strawberry.Info) -> str:
        return ".".join(str(key) for key in info.path.as_list())


@strawberry.type
class Query:
    @strawberry.field
    def root(self, info: strawberry.Info) -> Node:
        built: Node = info.context["build"]()
        return built

    @strawberry.field
    async def awaited(self, info: strawberry.Info) -> Leaf | None:
        answer: Leaf | None = info.context["awaited"]
        return answer  # once awaited, completed as it is, even if it is awaitable itself


# Selections that a walked exception or coroutine would answer too (``__typename``): if the
# plan walked one, its answer would differ from graphql-core's error.
DOCUMENT = """
{
  root {
    name
    required { __typename name }
    optional { __typename }
    items { __typename }
    maybeItems { __typename name }
    tags
    maybeTags
    rank
    shade
    maybeShade
    amount
    ends
    child { name path child { path required { name } children { path } } }
    children { name path optional { __typename } }
  }
}
"""


def node(name: str, depth: int = 3) -> Node:
    return Node(
        name=name,
        required=Leaf(name=f"{name}-required"),
        optional=Leaf(name=f"{name}-optional"),
        items=[Leaf(name=f"{name}-item-{i}") for i in range(3)],
        maybe_items=[Leaf(name=f"{name}-maybe-{i}") for i in range(2)],
        child=node(f"{name}-child", depth - 1) if depth else None,
        children=[node(f"{name}-{i}", depth - 1) for i in range(2)] if depth else [],
        tags=["a", "b"],
        maybe_tags=["c", "d"],
        rank=7,
        shade=Shade.DARK,
        maybe_shade=Shade.LIGHT,
        amount=Decimal("12.50"),
        ends=datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    )


async def _none() -> Leaf | None:
    return None


def _set(attribute: str, value: Callable[[], Any]) -> Callable[[Node], None]:
    def change(root: Node) -> None:
        setattr(root, attribute, value())

    return change


def _set_item(attribute: str, index: int, value: Callable[[], Any]) -> Callable[[Node], None]:
    def change(root: Node) -> None:
        getattr(root, attribute)[index] = value()

    return change


def _in_child(change: Callable[[Node], None]) -> Callable[[Node], None]:
    def nested(root: Node) -> None:
        assert root.child is not None
        change(root.child)

    return nested


# What each change does to the answer: given back (an error, or an awaitable graphql-core
# awaits) or answered by the plan.
CASES: dict[str, tuple[Callable[[Node], None], bool]] = {
    "nothing": (lambda root: None, True),
    "an awaitable object": (_set("optional", _none), False),
    "an exception as an object": (_set("optional", lambda: ValueError("no leaf")), False),
    "an exception under non-null": (_set("required", lambda: ValueError("no leaf")), False),
    "null under non-null": (_set("required", lambda: None), False),
    "null where allowed": (_set("optional", lambda: None), True),
    "a string as an object": (_set("required", lambda: "not a leaf"), False),
    "null under non-null, nested": (_in_child(_in_child(_set("required", lambda: None))), False),
    "an awaitable item": (_set_item("items", 1, _none), False),
    "an exception as an item": (_set_item("items", 1, lambda: ValueError("no item")), False),
    "a null item under non-null": (_set_item("items", 0, lambda: None), False),
    "a null item where allowed": (_set_item("maybe_items", 1, lambda: None), True),
    "an exception as an item where null is allowed": (
        _set_item("maybe_items", 0, lambda: ValueError("no item")),
        False,
    ),
    "a null list under non-null": (_set("items", lambda: None), False),
    "a null list where allowed": (_set("maybe_items", lambda: None), True),
    "a tuple for a list": (_set("items", lambda: (Leaf(name="a"), Leaf(name="b"))), True),
    "an exception for a list": (_set("items", lambda: ValueError("no list")), False),
    "a string for a list": (_set("items", lambda: "ab"), False),
    "a leaf for a list": (_set("items", lambda: Leaf(name="alone")), False),
    "an awaitable list": (_set("maybe_items", _none), False),
    "an exception in a nested list": (
        _in_child(_in_child(_set_item("children", 1, lambda: ValueError("no node")))),
        False,
    ),
    "an exception as a leaf item": (_set_item("tags", 1, lambda: ValueError("no tag")), False),
    "a null leaf item under non-null": (_set_item("tags", 0, lambda: None), False),
    "a null leaf item where allowed": (_set_item("maybe_tags", 0, lambda: None), True),
    "a leaf item to coerce": (_set_item("tags", 1, lambda: 7), True),
    "a leaf item that does not coerce": (_set_item("tags", 1, lambda: [1]), False),
    "a null list of leaves under non-null": (_set("tags", lambda: None), False),
    "a null list of leaves where allowed": (_set("maybe_tags", lambda: None), True),
    "a tuple for a list of leaves": (_set("tags", lambda: ("e", "f")), True),
    "a string for a list of leaves": (_set("tags", lambda: "gh"), False),
    "the largest Int": (_set("rank", lambda: 2**31 - 1), True),
    "the smallest Int": (_set("rank", lambda: -(2**31)), True),
    "an int over Int's range": (_set("rank", lambda: 2**31), False),
    "an int under Int's range": (_set("rank", lambda: -(2**31) - 1), False),
    "a bool for an Int": (_set("rank", lambda: True), True),
    "a float for an Int": (_set("rank", lambda: 3.0), True),
    "a string for an Int": (_set("rank", lambda: "12"), True),
    "an exception for an Int": (_set("rank", lambda: ValueError("no rank")), False),
    "a member named as in Python": (_set("shade", lambda: Shade.LIGHT), True),
    "a member of another enum": (_set("shade", lambda: OtherShade.LIGHT), False),
    "an enum's value for a member": (_set("shade", lambda: "dark"), True),
    "a string not an enum's value": (_set("shade", lambda: "NIGHT"), False),
    "null for an enum under non-null": (_set("shade", lambda: None), False),
    "null for an enum where allowed": (_set("maybe_shade", lambda: None), True),
    "a float for a Decimal": (_set("amount", lambda: 1.5), True),
    "an exception for a Decimal": (_set("amount", lambda: ValueError("no amount")), False),
    "null for a Decimal": (_set("amount", lambda: None), True),
    "a date for a DateTime": (_set("ends", lambda: date(2026, 1, 2)), True),
    "a naive DateTime": (_set("ends", lambda: datetime(2026, 1, 2, 3, 4)), True),
    "a string for a DateTime": (_set("ends", lambda: "2026-01-02"), False),
    "an exception with a date for a DateTime": (_set("ends", lambda: Overdue()), False),
}


class Overdue(Exception):
    """An exception value that a date's coercion would take."""

    def isoformat(self) -> str:
        return "2026-01-01"


def _body(result: Any) -> str:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return json.dumps(body)


@pytest.mark.parametrize("case", list(CASES))
async def test_objects_walked_inline_answer_as_graphql_core(case: str) -> None:
    # given: a first request with every value right, so each class is known to the walk
    change, answered = CASES[case]
    fast = PlannedSchema(query=Query, known_documents=[DOCUMENT])
    plain = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    good = await fast.execute(DOCUMENT, context_value={"build": lambda: node("root")})
    assert good.errors is None

    def build() -> Node:
        root = node("root")
        change(root)
        return root

    # when
    fast_result = await fast.execute(DOCUMENT, context_value={"build": build})
    plain_result = await plain.execute(DOCUMENT, context_value={"build": build})

    # then
    assert _body(fast_result) == _body(plain_result)
    assert (fast.known.answered, fast.known.fell_back) == ((2, 0) if answered else (1, 1))


async def test_paths_under_inline_objects_are_graphql_cores() -> None:
    fast = PlannedSchema(query=Query, known_documents=[DOCUMENT])

    result = await fast.execute(DOCUMENT, context_value={"build": lambda: node("root")})

    assert result.errors is None and result.data is not None
    root = result.data["root"]
    assert root["child"]["path"] == "root.child.path"
    assert root["child"]["child"]["children"][1]["path"] == "root.child.child.children.1.path"
    assert root["children"][1]["path"] == "root.children.1.path"
    assert fast.known.answered == 1


async def test_an_awaitable_completed_as_an_object_is_not_taken_for_one() -> None:
    # given: an async resolver answering a future: graphql-core completes the future itself
    # as a Leaf (an object type without is_type_of takes any value)
    fast = PlannedSchema(query=Query, known_documents=[DOCUMENT, "{ awaited { __typename } }"])
    plain = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    walked = await fast.execute("{ awaited { __typename } }", context_value={"awaited": future})
    assert walked.data == {"awaited": {"__typename": "Leaf"}}

    # when: a future read off an object, which graphql-core awaits
    def build() -> Node:
        root = node("root")
        root.optional = future  # type: ignore[assignment]
        return root

    fast_result = await fast.execute(DOCUMENT, context_value={"build": build})
    plain_result = await plain.execute(DOCUMENT, context_value={"build": build})

    # then
    assert _body(fast_result) == _body(plain_result)
    assert plain_result.data is not None and plain_result.data["root"]["optional"] is None
