"""Arguments converted with each type taken apart once (``schema.plans.inputs``) are the very
values Strawberry's ``convert_argument`` builds, in the same order of hook calls and with the
same errors; and a mutation's root field, which a plan never answers, is called that way too,
with its answer and arguments those of Strawberry's own wrapper."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any

import pytest
import strawberry
import strawberry.types.arguments as strawberry_arguments
from strawberry.permission import BasePermission
from strawberry.relay import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import InputContext, convert_argument
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition
from strawberry.types.maybe import Some
from strawberry.types.unset import UNSET

from schema import schema as gateway_schema
from schema.plans import PlannedSchema
from schema.plans.calls import Call
from schema.plans.inputs import converter, runs_code

Info = strawberry.Info[dict[str, Any], None]


@strawberry.enum
class Mood(Enum):
    CALM = "calm"
    LOUD = strawberry.enum_value("loud", name="SHOUTING")


@strawberry.input
class Leaf:
    label: str
    weight: int | None = None


@strawberry.input
class Hooked:
    size: int = 1


def _hooked(cls: type[Hooked], value: Mapping[str, Any], context: InputContext) -> Hooked:
    size = value.get("size", 1)
    # what the hook was given, in call order, for the comparison
    info: Any = context.info
    hooks = info["hooks"] if isinstance(info, dict) else info.context["hooks"]
    hooks.append((context.path, size))
    if size < 0:
        raise ValueError("size: must not be negative")
    return cls(size=size)


get_object_definition(Hooked, strict=True).from_input = _hooked


@strawberry.input
class Tree:
    name: str
    mood: Mood = Mood.CALM
    moods: list[Mood | None] | None = None
    tags: list[str] | None = dataclasses.field(default_factory=lambda: ["default"])
    grid: list[list[int]] | None = None
    leaves: list[Leaf] | None = None
    hooked: Hooked | None = None
    hooks: list[Hooked | None] | None = None
    children: list[Tree] | None = None
    lazy: Annotated[Leaf, strawberry.lazy("tests.plans.test_inputs")] | None = None
    ref: GlobalID | None = None
    maybe: strawberry.Maybe[str | None] = None


def _tree(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    """An input value as graphql-core hands it over: GraphQL names, only some fields given."""
    value: dict[str, Any] = {"name": rng.choice(["a", "b", ""])}
    options: dict[str, Any] = {
        "mood": lambda: rng.choice([Mood.CALM, Mood.LOUD]),
        "moods": lambda: rng.choice([None, [], [Mood.LOUD, None, Mood.CALM]]),
        "tags": lambda: rng.choice([None, [], ["x", "y"]]),
        "grid": lambda: rng.choice([None, [[1, 2], [], [3]]]),
        "leaves": lambda: rng.choice(
            [
                None,
                [],
                [{"label": "l"}, {"label": "m", "weight": None}, {"label": "n", "weight": 3}],
            ]
        ),
        "hooked": lambda: rng.choice([None, {}, {"size": rng.randint(-1, 5)}]),
        "hooks": lambda: rng.choice([None, [None, {"size": 2}, {}]]),
        "children": lambda: None if depth > 1 else [_tree(rng, depth + 1) for _ in range(2)],
        "lazy": lambda: rng.choice([None, {"label": "lazy"}]),
        "ref": lambda: rng.choice([None, "TGVhZjox", "not a global id"]),
        "maybe": lambda: rng.choice([None, "text"]),
    }
    for name in rng.sample(sorted(options), rng.randint(0, len(options))):
        value[name] = options[name]()
    return value


def _plain(value: Any) -> Any:
    """A converted value as comparable data: classes named, Some kept apart from its value."""
    if isinstance(value, Some):
        return ("Some", _plain(value.value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, {k: _plain(v) for k, v in vars(value).items()})
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value is UNSET:
        return "UNSET"
    return value if not isinstance(value, GlobalID) else ("GlobalID", str(value))


def _outcome(convert: Any, value: Any) -> tuple[Any, list[Any]]:
    info: dict[str, Any] = {"hooks": []}
    try:
        result: Any = _plain(convert(value, info))
    except Exception as error:  # the same error, word for word
        result = (type(error).__name__, str(error))
    return result, info["hooks"]


TREE_TYPES = {
    "Tree": Tree,
    "Tree|None": StrawberryOptional(Tree),
    "[Tree]": StrawberryList(Tree),
    "[Tree|None]": StrawberryList(StrawberryOptional(Tree)),
}


@pytest.mark.parametrize("argument_type", TREE_TYPES.values(), ids=TREE_TYPES.keys())
def test_converted_values_are_strawberrys(argument_type: Any) -> None:
    config = gateway_schema.config
    registry = gateway_schema.schema_converter.scalar_registry
    ours = converter(argument_type, registry, config)
    rng = random.Random(5)
    seen = set()
    for _ in range(400):
        tree = _tree(rng)
        value = [tree, None] if isinstance(argument_type, StrawberryList) else tree
        theirs, their_hooks = _outcome(
            lambda v, info: convert_argument(
                v, argument_type, registry, config, info, path=("in",)
            ),
            value,
        )
        mine, my_hooks = _outcome(lambda v, info: ours(v, info, ("in",)), value)

        assert mine == theirs
        assert my_hooks == their_hooks
        seen.add("built" if isinstance(theirs, list) or theirs[0] == "Tree" else theirs[0])
    # the generated values reached both successes and each kind of refusal
    assert seen == {"built", "ValueError", "InvalidGlobalIDError"}


def test_lists_are_copies_and_nulls_stay_nulls() -> None:
    config = gateway_schema.config
    registry = gateway_schema.schema_converter.scalar_registry
    tags = converter(StrawberryOptional(StrawberryList(str)), registry, config)
    given = ["a"]

    assert tags(given, None, ()) == given and tags(given, None, ()) is not given
    assert tags(None, None, ()) is None and tags(UNSET, None, ()) is UNSET
    assert not runs_code(tags)
    assert runs_code(converter(Tree, registry, config))


# A mutation's root field: a plan never answers it, but its resolver is still called directly.


class Allowed(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(info.context["allowed"])


@strawberry.type
class Query:
    nothing: str | None = None


async def _guarded(info: Info, tree: Tree) -> str:
    info.context["given"].append(_plain(tree))
    return tree.name


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def plant(self, info: Info, trees: list[Tree], count: int = 1) -> str:
        info.context["given"].append(_plain(trees))
        return json.dumps([_plain(trees), count], default=str)

    guarded: str = strawberry.mutation(resolver=_guarded, permission_classes=[Allowed])


PLANT = """
mutation Plant($trees: [Tree!]!) {
  plant(trees: $trees)
  again: plant(trees: [{name: "literal", leaves: [{label: "x"}]}], count: 2)
}
"""
GUARDED = 'mutation { guarded(tree: {name: "g", hooked: {size: 3}}) }'


async def _run(target: strawberry.Schema, document: str, variables: Any, **context: Any) -> Any:
    seen: dict[str, Any] = {"given": [], "hooks": [], "allowed": True, **context}
    result = await target.execute(document, variables, context_value=seen)
    body = {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}
    return json.dumps(body), seen["given"]


@pytest.fixture
def planned() -> PlannedSchema:
    return PlannedSchema(query=Query, mutation=Mutation, known_documents=[PLANT, GUARDED])


@pytest.fixture
def plain() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )


async def test_a_mutation_gets_strawberrys_arguments_without_its_conversion(
    planned: PlannedSchema, plain: strawberry.Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: Strawberry's conversion counted (Maybe and GlobalID values still go to it)
    calls = {"n": 0}
    original = strawberry_arguments.convert_argument

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(strawberry_arguments, "convert_argument", counted)
    trees = [{"name": "t", "moods": ["SHOUTING", None], "children": [{"name": "c"}]}, {"name": "u"}]

    # when
    fast_body, fast_given = await _run(planned, PLANT, {"trees": trees})
    fast_calls = calls["n"]
    plain_body, plain_given = await _run(plain, PLANT, {"trees": trees})

    # then: the same answer and values, and Strawberry's per-value conversion never ran
    assert fast_body == plain_body
    assert '"errors": []' in fast_body
    assert fast_given == plain_given
    assert fast_calls == 0
    assert calls["n"] > 0


@pytest.mark.parametrize("allowed", [True, False])
async def test_a_mutation_with_a_permission_class_keeps_strawberrys_wrapper(
    planned: PlannedSchema, plain: strawberry.Schema, allowed: bool
) -> None:
    fast = await _run(planned, GUARDED, None, allowed=allowed)
    reference = await _run(plain, GUARDED, None, allowed=allowed)

    assert fast == reference
    assert ("Not for you." in fast[0]) is not allowed


async def test_a_refused_argument_is_the_same_error(
    planned: PlannedSchema, plain: strawberry.Schema
) -> None:
    trees = [{"name": "t", "ref": "not a global id"}]

    fast = await _run(planned, PLANT, {"trees": trees})
    reference = await _run(plain, PLANT, {"trees": trees})

    assert fast == reference
    assert "GlobalID" in fast[0]


def test_the_gateways_mutations_are_called_directly() -> None:
    mutation = gateway_schema._schema.mutation_type
    assert mutation is not None
    direct = {
        name
        for name, definition in mutation.fields.items()
        if isinstance(getattr(definition.resolve, "__self__", None), Call)
        or "Call.installed" in getattr(definition.resolve, "__qualname__", "")
    }
    assert "recordOfferEvents" in direct
    assert direct == set(mutation.fields)
