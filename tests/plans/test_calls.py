"""Around the resolvers of a planned document: a resolver with nothing around it is called
without Strawberry's per-call wrapper, and must get the very arguments that wrapper gives (an
input's ``from_input`` hook included, and lists of its own); a field extension or a permission
class still runs where it is declared; an argument that does not convert, or a refusal, gives
graphql-core's answer; the variables a known document's executor keeps per input are never
another request's; and every schema extension hook runs as under Strawberry's own runner. A
schema of its own, compared with the same schema on graphql-core's executor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition

from schema.plans import PlannedSchema

Info = strawberry.Info[dict[str, Any], None]


@strawberry.enum
class Kind(Enum):
    PLAIN = "plain"
    FANCY = strawberry.enum_value("fancy", name="SPECIAL")


@strawberry.input
class Window:
    start: int
    tags: list[str] | None = None
    kind: Kind = Kind.PLAIN


@strawberry.input
class Hooked:
    size: int = 1
    labels: list[str] | None = None


def _hooked_from_input(
    cls: type[Hooked], value: Mapping[str, Any], context: InputContext
) -> Hooked:
    size = value.get("size", 1)
    if size < 0:
        raise ValueError("size: must not be negative")
    labels = value.get("labels")
    # What the hook is given, for the test to compare: the argument's path and the field's info.
    context.info.context["hooks"].append((context.path, context.info.field_name))  # type: ignore[union-attr]
    return cls(size=size, labels=list(labels) if labels is not None else labels)


get_object_definition(Hooked, strict=True).from_input = _hooked_from_input


class Upper(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()

    async def resolve_async(
        self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        return str(await next_(source, info, **kwargs)).upper()


class Allowed(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        info.context["checked"] += 1
        return bool(info.context["allowed"])


def _seen(info: Info, **arguments: Any) -> str:
    """What the resolver got, as text both executors can be compared on; the values are kept
    too, for the identity checks."""
    info.context["calls"] += 1
    info.context["arguments"].append(arguments)
    return repr(sorted(arguments.items()))


async def _shouted(info: Info, word: str) -> str:
    return _seen(info, word=word)


def _shouted_sync(info: Info, word: str) -> str:
    return _seen(info, word=word)


async def _guarded(info: Info) -> str | None:
    return _seen(info)


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def parent_name(self, parent: strawberry.Parent[Item], info: Info, suffix: str = "!") -> str:
        return _seen(info, suffix=suffix) + parent.name + suffix


@strawberry.type
class Query:
    @strawberry.field
    async def echo(
        self,
        info: Info,
        window: Window | None = None,
        hooked: Hooked | None = None,
        tags: list[str] | None = None,
        kinds: list[Kind | None] | None = None,
        kind: Kind = Kind.PLAIN,
        count: int = 3,
        maybe: strawberry.Maybe[int | None] = None,
    ) -> str:
        return _seen(
            info,
            window=window,
            hooked=hooked,
            tags=tags,
            kinds=kinds,
            kind=kind,
            count=count,
            maybe=maybe,
        )

    @strawberry.field
    def sync_echo(self, info: Info, hooked: Hooked, tags: list[str] | None = None) -> str:
        return _seen(info, hooked=hooked, tags=tags)

    @strawberry.field
    async def mutating(self, info: Info, tags: list[str], hooked: Hooked | None = None) -> str:
        answer = _seen(info, tags=list(tags), hooked=hooked)
        tags.append("changed")  # a resolver's own copy: no other request may see this
        if hooked is not None and hooked.labels is not None:
            hooked.labels.append("changed")
        return answer

    shouted: str = strawberry.field(resolver=_shouted, extensions=[Upper()])
    shouted_sync: str = strawberry.field(resolver=_shouted_sync, extensions=[Upper()])
    guarded: str | None = strawberry.field(resolver=_guarded, permission_classes=[Allowed])

    @strawberry.field
    async def items(self) -> list[Item]:
        return [Item(name="first"), Item(name="second")]


ECHO = """
query Echo($window: Window, $hooked: Hooked, $tags: [String!], $kinds: [Kind],
           $kind: Kind = SPECIAL, $count: Int, $maybe: Int) {
  echo(window: $window, hooked: $hooked, tags: $tags, kinds: $kinds, kind: $kind,
       count: $count, maybe: $maybe)
  again: echo(hooked: {size: 2, labels: ["literal"]}, tags: ["x"], count: 4)
  bare: echo
  syncEcho(hooked: {labels: ["s"]}, tags: $tags)
  items { name parentName parentName2: parentName(suffix: "?") }
}
"""
MUTATING = (
    "query Mutating($tags: [String!]!, $hooked: Hooked) { mutating(tags: $tags, hooked: $hooked) }"
)
SHOUTED = '{ shouted(word: "quiet") shoutedSync(word: "calm") }'
GUARDED = "{ guarded items { name } }"
DOCUMENTS = [ECHO, MUTATING, SHOUTED, GUARDED]


def _context(**values: Any) -> dict[str, Any]:
    return {"calls": 0, "checked": 0, "arguments": [], "hooks": [], "allowed": True, **values}


def _body(result: Any) -> str:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return json.dumps(body)


@pytest.fixture
def fast() -> PlannedSchema:
    return PlannedSchema(query=Query, known_documents=DOCUMENTS)


@pytest.fixture
def plain() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )


async def _both(
    fast: PlannedSchema,
    plain: strawberry.Schema,
    document: str,
    variables: dict[str, Any] | None = None,
    **context: Any,
) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    fast_context, plain_context = _context(**context), _context(**context)
    fast_result = await fast.execute(document, variables, context_value=fast_context)
    plain_result = await plain.execute(document, variables, context_value=plain_context)
    return fast_result, plain_result, fast_context, plain_context


ECHO_VARIABLES: list[dict[str, Any]] = [
    {},
    {"window": {"start": 1}, "hooked": {"size": 5, "labels": ["a", "b"]}, "tags": ["t"]},
    {"window": {"start": 2, "tags": None, "kind": "SPECIAL"}, "hooked": {}, "tags": []},
    {"window": None, "hooked": None, "tags": None, "kinds": None, "maybe": None},
    {"kinds": ["PLAIN", None, "SPECIAL"], "kind": "PLAIN", "count": 0, "maybe": None},
    {"maybe": 7, "count": 2147483647, "hooked": {"labels": None}},
]


@pytest.mark.parametrize("variables", ECHO_VARIABLES)
async def test_a_resolver_called_directly_gets_strawberrys_arguments(
    fast: PlannedSchema, plain: strawberry.Schema, variables: dict[str, Any]
) -> None:
    # when: each twice, so the second request meets what the first one left kept
    for _ in range(2):
        fast_result, plain_result, fast_seen, plain_seen = await _both(fast, plain, ECHO, variables)

        # then: the same answer, from the plan, and the same Python values given the same way
        assert _body(fast_result) == _body(plain_result)
        assert fast_result.errors is None
        assert fast_seen["arguments"] == plain_seen["arguments"]
        assert fast_seen["hooks"] == plain_seen["hooks"]
    assert (fast.known.answered, fast.known.fell_back) == (2, 0)


async def test_lists_given_to_a_resolver_are_its_own(
    fast: PlannedSchema, plain: strawberry.Schema
) -> None:
    variables = {"tags": ["a"], "hooked": {"labels": ["b"]}}
    for _ in range(3):
        fast_result, plain_result, fast_seen, _ = await _both(fast, plain, MUTATING, variables)

        assert _body(fast_result) == _body(plain_result)
        assert fast_result.data == {"mutating": plain_result.data["mutating"]}
        assert "changed" not in str(fast_result.data)
        given = fast_seen["arguments"][0]
        assert given["tags"] == ["a"] and given["hooked"].labels == ["b", "changed"]
    assert variables == {"tags": ["a"], "hooked": {"labels": ["b"]}}
    assert fast.known.answered == 3


async def test_a_field_extension_still_runs(fast: PlannedSchema, plain: strawberry.Schema) -> None:
    fast_result, plain_result, fast_seen, _ = await _both(fast, plain, SHOUTED)

    assert _body(fast_result) == _body(plain_result)
    assert fast_result.data == {
        "shouted": "[('WORD', 'QUIET')]",
        "shoutedSync": "[('WORD', 'CALM')]",
    }
    assert fast_seen["calls"] == 2
    assert fast.known.answered == 1


@pytest.mark.parametrize("allowed", [True, False])
async def test_a_permission_class_still_runs(
    fast: PlannedSchema, plain: strawberry.Schema, allowed: bool
) -> None:
    fast_result, plain_result, fast_seen, _ = await _both(fast, plain, GUARDED, allowed=allowed)

    assert _body(fast_result) == _body(plain_result)
    assert fast_seen["calls"] == (1 if allowed else 0)
    assert fast_seen["checked"] == 1  # once: a refusal given back is not asked again
    assert (fast.known.answered, fast.known.fell_back) == ((1, 0) if allowed else (0, 1))
    if not allowed:
        assert fast_result.errors[0].message == "Not for you."


@pytest.mark.parametrize(
    "variables",
    [
        {"hooked": {"size": -1}},  # the hook refuses it
        {"window": {"start": 1, "kind": "FANCY"}},  # graphql-core refuses it (Python name)
        {"count": True},  # a bool for an Int
        {"count": 2147483648},
        {"maybe": "seven"},
    ],
)
async def test_an_argument_that_does_not_convert_is_graphql_cores_error(
    fast: PlannedSchema, plain: strawberry.Schema, variables: dict[str, Any]
) -> None:
    # given: the same document answered before, its variables kept
    good, _, _, _ = await _both(fast, plain, ECHO, {"count": 1, "hooked": {"size": 1}})
    assert good.errors is None

    # when
    fast_result, plain_result, fast_seen, plain_seen = await _both(fast, plain, ECHO, variables)

    # then: graphql-core's errors word for word, and no resolver called twice
    assert fast_result.errors
    assert _body(fast_result) == _body(plain_result)
    assert fast_seen["calls"] == plain_seen["calls"]


async def test_variables_are_kept_per_input_of_each_type(
    fast: PlannedSchema, plain: strawberry.Schema
) -> None:
    # 1, 1.0 and True are equal to Python; not to coercion, and not to the variables kept
    answers = []
    for count in (1, 1.0, True, 1, 2, 1.5, 1):
        fast_result, plain_result, _, _ = await _both(fast, plain, ECHO, {"count": count})
        assert _body(fast_result) == _body(plain_result)
        answers.append(bool(fast_result.errors))
    assert answers == [False, False, True, False, False, True, False]


class Recorded(SchemaExtension):
    """Every hook, in each of the forms Strawberry takes: a generator, an async generator and a
    plain function."""

    def on_operation(self) -> Iterator[None]:
        self._record("operation")
        yield
        self._record("operation done")

    async def on_parse(self) -> AsyncIterator[None]:
        self._record("parse")
        yield
        self._record("parse done")

    def on_validate(self) -> None:  # type: ignore[override]
        self._record("validate")

    def on_execute(self) -> Iterator[None]:
        self._record("execute")
        yield
        self._record(f"executed: {self.execution_context.result is not None}")

    def get_results(self) -> dict[str, Any]:
        return {"recorded": True}

    def _record(self, event: str) -> None:
        self.execution_context.context["hooks"].append(event)


class Refusing(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        if self.execution_context.context.get("refuse"):
            raise ValueError("refused by an extension")
        yield


@pytest.mark.parametrize("refuse", [False, True])
async def test_schema_extensions_run_as_under_strawberrys_runner(refuse: bool) -> None:
    fast = PlannedSchema(query=Query, known_documents=DOCUMENTS, extensions=[Recorded, Refusing])
    plain = strawberry.Schema(
        query=Query,
        extensions=[Recorded, Refusing],
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )

    fast_result, plain_result, fast_seen, plain_seen = await _both(
        fast, plain, SHOUTED, refuse=refuse
    )

    assert _body(fast_result) == _body(plain_result)
    assert fast_result.extensions == plain_result.extensions == {"recorded": True}
    assert fast_seen["hooks"] == plain_seen["hooks"]
    assert bool(fast_result.errors) == refuse
    if not refuse:
        assert fast_seen["hooks"] == [
            "operation",
            "parse",
            "parse done",
            "validate",
            "execute",
            "executed: True",
            "operation done",
        ]
