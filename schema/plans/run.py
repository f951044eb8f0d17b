"""Running a plan: one request's walk over the resolvers' values (see ``schema.plans.plan``).

A value is completed only when graphql-core would complete it without an error; anything else
raises ``Rejected`` and the request goes to graphql-core, which gets every resolver outcome
already known (``Replay``) so that no resolver runs twice.
"""

from __future__ import annotations

import asyncio
import inspect
import keyword
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any, NamedTuple

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, is_iterable
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT, serialize_int
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.schema.types.base_scalars import isoformat

from schema.plans.calls import Call
from schema.plans.executor import unchanged

if TYPE_CHECKING:
    from schema.plans.plan import PlanExecutor

__all__ = [
    "ATTRIBUTE",
    "LEAF",
    "RESOLVER",
    "TYPENAME",
    "FieldPlan",
    "ObjectPlan",
    "Outcome",
    "Rejected",
    "Replay",
    "Run",
]


class Rejected(Exception):
    """A value the plan does not answer itself; graphql-core will, error and all."""


# What a field takes: its type's name (``__typename``), a plain leaf read and coerced inline, an
# attribute read (Strawberry's resolver for a field without one) or a call of its resolver.
TYPENAME, LEAF, ATTRIBUTE, RESOLVER = range(4)

# Completes a value of one field's type: (run, value, path, the field's info if built yet).
_Completer = Callable[["Run", Any, Path, "GraphQLResolveInfo[Any] | None"], Any]


@dataclass
class FieldPlan:
    key: str
    parent: GraphQLObjectType
    definition: GraphQLField
    details: FieldDetailsList
    nodes: list[FieldNode]
    kind: int
    leaf: Any  # executor._Leaf, for LEAF
    attribute: str
    read: Callable[[Any, str], object]
    has_arguments: bool
    # The resolver called without Strawberry's wrapper, where it has nothing around it.
    call: Call | None = None
    complete: _Completer = field(init=False)
    # The selection on each object type this field's values turn out to be, built on first use.
    objects: dict[str, ObjectPlan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.complete = _completer(self, self.definition.type)


@dataclass
class ObjectPlan:
    type: GraphQLObjectType
    fields: list[FieldPlan]
    # Whether anything under this object reads its path: a resolver (its info, its outcome's
    # key) or an interface, union or ``is_type_of`` (their info). Where nothing does, the walk
    # makes none (``None`` stands in).
    reads_path: bool = field(init=False)
    # The fields' steps as one function (see ``_walker``), built with the plan.
    walk: _Walk = field(init=False)

    def __post_init__(self) -> None:
        self.reads_path = any(_reads_path(field_plan) for field_plan in self.fields)
        self.walk = _walker(self)


# Completes one object: (run, the object, its path) -> its fields' answers.
_Walk = Callable[["Run", Any, "Path | None"], dict[str, Any]]


def _walker(plan: ObjectPlan) -> _Walk:
    """The plan's steps as straight-line Python, compiled once per plan.

    A loop over the steps, unpacking each one's parts, cost more than the reading and checking
    of the values themselves (fifty offers of some twenty-five fields each on a home screen).
    Generated here: a plain leaf's read (an attribute access when the field's resolver is
    ``getattr``), the values its coercion answers alone (``_shortcut``) and ``__typename``
    inline, every other value through ``_leaf_completer``; an object or a list of objects or of
    leaves read off its parent, with the child's walk called directly for the values known to
    pass every check (``_inline_object``, ``_inline_leaves``), any other through
    ``Run.complete_attribute``; resolvers and the rest through ``Run``'s own steps.
    """
    names: dict[str, Any] = {}
    lines = ["def walk(run, source, path):", "    result = {}"]
    for index, field_plan in enumerate(plan.fields):
        key = repr(field_plan.key)
        if field_plan.kind == TYPENAME:
            lines.append(f"    result[{key}] = {plan.type.name!r}")
        elif field_plan.kind == LEAF:
            leaf = field_plan.leaf
            names[f"leaf{index}"] = _leaf_completer(leaf)
            read = _read(leaf.read, leaf.attribute, index, names)
            shortcuts = [_shortcut(leaf.type, index, names)]
            if not leaf.non_null:
                shortcuts.append("None if value is None")
            lines.append(f"    value = {read}")
            completion = " else ".join([*filter(None, shortcuts), f"leaf{index}(run, value)"])
            lines.append(f"    result[{key}] = {completion}")
        elif (child := _child(field_plan)) is not None:
            lines += _inline_object(field_plan, index, child, names)
        elif (leaf_type := _leaf_items(field_plan)) is not None:
            lines += _inline_leaves(field_plan, index, leaf_type, names)
        else:
            names[f"field{index}"] = field_plan
            step = "attribute" if field_plan.kind == ATTRIBUTE else "resolver"
            lines.append(f"    run.{step}(field{index}, source, path, result)")
    lines.append("    return result")
    exec(compile("\n".join(lines), f"<plan of {plan.type.name}>", "exec"), names)
    walk: _Walk = names["walk"]
    return walk


def _shortcut(leaf_type: GraphQLLeafType, index: int, names: dict[str, Any]) -> str | None:
    """An expression answering what the leaf's coercion would for the values it answers alone
    (``... if <those> else`` the whole completion): exact instances of the class the coercion
    returns as it is (``str``, ``bool``), an exact ``int`` in Int's range, a ``Decimal`` or a
    date for Strawberry's scalars, a member of the Strawberry enum's class (a home screen has
    some 250 of them): exact classes, none an exception or an awaitable, whose coercion never
    fails."""
    same = unchanged(leaf_type)
    if same is not None:
        names[f"same{index}"] = same
        return f"value if value.__class__ is same{index}"
    if leaf_type.coerce_output_value is serialize_int:
        return (
            f"value if value.__class__ is int and {GRAPHQL_MIN_INT} <= value <= {GRAPHQL_MAX_INT}"
        )
    coerce = leaf_type.coerce_output_value
    if coerce is str:  # Strawberry's Decimal
        names["Decimal"] = Decimal
        return "str(value) if value.__class__ is Decimal"
    if coerce is isoformat:  # Strawberry's DateTime, Date and Time
        names["datetime"], names["date"] = datetime, date
        return "value.isoformat() if value.__class__ is datetime or value.__class__ is date"
    members = _enum_names(leaf_type)
    if members is not None:
        names[f"enum{index}"], names[f"names{index}"] = members
        # By the member's Python name: a member's own hash is a Python call (Enum.__hash__).
        return f"names{index}[value._name_] if value.__class__ is enum{index}"
    return None


def _enum_names(leaf_type: GraphQLLeafType) -> tuple[type[Enum], dict[str, str]] | None:
    """A Strawberry enum's class, and the name ``output_coercer`` gives each of its members by
    the member's Python name; None if any has none or the class could be taken for an
    exception or an awaitable."""
    if not isinstance(leaf_type, CustomGraphQLEnumType):
        return None
    wrapped = leaf_type.wrapped_cls
    if (
        not issubclass(wrapped, Enum)
        or issubclass(wrapped, Exception)
        or hasattr(wrapped, "__await__")
        or not len(wrapped)
    ):
        return None
    coerce = output_coercer(leaf_type)
    members: dict[str, str] = {}
    for member in wrapped:
        try:
            name = coerce(member)
        except Exception:  # not one of the GraphQL type's values: completion rejects it
            return None
        if not isinstance(name, str):
            return None
        members[member._name_] = name
    return wrapped, members


class _Child(NamedTuple):
    plan: ObjectPlan  # the plan of the field's objects
    listed: bool  # a list of them
    non_null: bool  # the field's own type (the list's, for a list)


def _child(field_plan: FieldPlan) -> _Child | None:
    """For a field read off its object whose values are objects of a plain object type (no
    interface, union or ``is_type_of``), or a list of them: their plan, if built already."""
    if field_plan.kind != ATTRIBUTE:
        return None
    field_type = field_plan.definition.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named: Any = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    listed = isinstance(named, GraphQLList)
    if listed:
        named = named.of_type
        named = named.of_type if isinstance(named, GraphQLNonNull) else named
    if not isinstance(named, GraphQLObjectType) or named.is_type_of is not None:
        return None
    plan = field_plan.objects.get(named.name)
    return _Child(plan, listed, non_null) if plan is not None else None


def _reads_path(field_plan: FieldPlan) -> bool:
    if field_plan.kind in (TYPENAME, LEAF):
        return False
    if field_plan.kind == RESOLVER:
        return True
    child = _child(field_plan)
    if child is not None:
        return child.plan.reads_path
    # A leaf's completion never reads it; any other type's plan is not known yet.
    return not is_leaf_type(get_named_type(field_plan.definition.type))


def _inline_object(
    field_plan: FieldPlan, index: int, child: _Child, names: dict[str, Any]
) -> list[str]:
    """An object field's or object list's steps: the checks of ``Run.attribute`` and
    ``_completer`` skipped for a class whose values passed them before (``_objects``), the
    child's walk called directly; any other value goes the way of ``Run.attribute``."""
    key = repr(field_plan.key)
    names[f"field{index}"] = field_plan
    names[f"walk{index}"] = child.plan.walk
    names["objects"] = _objects
    names["Path"] = Path
    read = _read(field_plan.read, field_plan.attribute, index, names)
    here = f"Path(path, {key}, {field_plan.parent.name!r})" if child.plan.reads_path else "None"
    lines = [f"    value = {read}"]
    if child.listed:
        names[f"item{index}"] = _item(field_plan)
        each_path = "Path(items, index, None)" if child.plan.reads_path else "None"
        lines += [
            "    if value.__class__ is list:",
            f"        items = {here}",
            f"        result[{key}] = [",
            f"            walk{index}(run, each, {each_path})",
            "            if each.__class__ in objects",
            f"            else item{index}(run, each, items, index)",
            "            for index, each in enumerate(value)",
            "        ]",
        ]
    else:
        lines += [
            "    if value.__class__ in objects:",
            f"        result[{key}] = walk{index}(run, value, {here})",
        ]
        if not child.non_null:
            lines += ["    elif value is None:", f"        result[{key}] = None"]
    lines += ["    else:", f"        run.complete_attribute(field{index}, value, path, result)"]
    return lines


def _leaf_items(field_plan: FieldPlan) -> GraphQLLeafType | None:
    """For a field read off its object whose values are lists of leaves: the leaves' type."""
    if field_plan.kind != ATTRIBUTE:
        return None
    list_type: Any = field_plan.definition.type
    if isinstance(list_type, GraphQLNonNull):
        list_type = list_type.of_type
    if not isinstance(list_type, GraphQLList):
        return None
    item_type = list_type.of_type
    if isinstance(item_type, GraphQLNonNull):
        item_type = item_type.of_type
    return item_type if is_leaf_type(item_type) else None


def _inline_leaves(
    field_plan: FieldPlan, index: int, leaf_type: GraphQLLeafType, names: dict[str, Any]
) -> list[str]:
    """A list of leaves' steps: an item of the class its type's coercion returns as it is (a
    section's ``str``) taken as it is, any other through ``_completer``'s checks for an item;
    anything but a list the way of ``Run.attribute``."""
    key = repr(field_plan.key)
    names[f"field{index}"] = field_plan
    names[f"item{index}"] = _item(field_plan)
    read = _read(field_plan.read, field_plan.attribute, index, names)
    same = unchanged(leaf_type)
    if same is None:
        each = f"item{index}(run, each, None, 0)"
    else:
        names[f"same{index}"] = same
        each = f"each if each.__class__ is same{index} else item{index}(run, each, None, 0)"
    return [
        f"    value = {read}",
        "    if value.__class__ is list:",
        f"        result[{key}] = [{each} for each in value]",
        "    else:",
        f"        run.complete_attribute(field{index}, value, path, result)",
    ]


def _item(field_plan: FieldPlan) -> Callable[[Run, Any, Path | None, int], Any]:
    """One item of a list as ``_completer``'s ``items`` completes it."""
    list_type = field_plan.definition.type
    if isinstance(list_type, GraphQLNonNull):
        list_type = list_type.of_type
    assert isinstance(list_type, GraphQLList)
    complete = _completer(field_plan, list_type.of_type)

    def item(run: Run, each: Any, items: Path | None, index: int) -> Any:
        if each.__class__ not in _never_awaited and _awaitable(each, run.is_awaitable):
            raise Rejected
        return complete(run, each, items.add_key(index) if items is not None else None, None)  # type: ignore[arg-type]

    return item


def _read(
    read: Callable[[Any, str], object], attribute: str, index: int, names: dict[str, Any]
) -> str:
    """A field's read: an attribute access when its resolver is ``getattr``."""
    if read is getattr and _plain_name(attribute):
        return f"source.{attribute}"
    names[f"read{index}"] = read
    return f"read{index}(source, {attribute!r})"


def _plain_name(attribute: str) -> bool:
    return attribute.isidentifier() and not keyword.iskeyword(attribute)


def _leaf_completer(leaf: Any) -> Callable[[Run, Any], Any]:
    """A plain leaf's value completed as graphql-core would, or ``Rejected``."""
    non_null: bool = leaf.non_null
    coerce = output_coercer(leaf.type)

    def complete(run: Run, value: Any) -> Any:
        if value is None or value is Undefined:
            if non_null:
                raise Rejected
            return None
        if value.__class__ not in _plain and not _known_plain(value, run.is_awaitable):
            raise Rejected
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Rejected
        return coerced

    return complete


def output_coercer(leaf_type: Any) -> Callable[[Any], Any]:
    """``coerce_output_value``; for Strawberry's enums, a map built once instead of the walk over
    every value it makes per call (a home screen serializes ~250 enum values). The same name as
    the walk's first match; anything the map does not answer goes to the walk, errors included.
    """
    coerce: Callable[[Any], Any] = leaf_type.coerce_output_value
    if not isinstance(leaf_type, CustomGraphQLEnumType):
        return coerce
    names: dict[Any, str] = {}
    try:
        for name, value in reversed(leaf_type.values.items()):  # the first match wins
            names[value.value] = name
    except TypeError:  # an unhashable value: only the walk can compare it
        return coerce
    wrapped = leaf_type.wrapped_cls

    def enum_name(value: Any) -> Any:
        if isinstance(value, wrapped):
            name = names.get(value.value)
            if name is not None:
                return name
        return coerce(value)

    return enum_name


class _Pending(NamedTuple):
    awaitable: Any
    plan: FieldPlan
    into: dict[str, Any]
    path: Path
    info: GraphQLResolveInfo[Any]


class Outcome(NamedTuple):
    """What one resolver call gave: a value or an exception, at once or once awaited."""

    awaited: bool
    value: Any
    raised: bool


class Replay:
    """graphql-core middleware: a resolver the plan already called answers what it answered."""

    def __init__(self, outcomes: dict[tuple[str | int, ...], Outcome]) -> None:
        self.outcomes = outcomes

    def resolve(self, next_: Any, source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        outcome = self.outcomes.pop(tuple(info.path.as_list()), None)
        if outcome is None:
            return next_(source, info, **args)
        if outcome.awaited:
            return _replayed(outcome)
        if outcome.raised:
            raise outcome.value
        return outcome.value


async def _replayed(outcome: Outcome) -> Any:
    if outcome.raised:
        raise outcome.value
    return outcome.value


class Run:
    """One request's walk of a plan; raises on the first thing it does not answer itself."""

    def __init__(self, executor: PlanExecutor) -> None:
        self.executor = executor
        self.is_awaitable = executor.is_awaitable
        self.pending: list[_Pending] = []
        # Every resolver call's outcome by response path, for graphql-core to reuse if the
        # request is given back to it.
        self.outcomes: dict[tuple[str | int, ...], Outcome] = {}
        self.given_back = False  # something failed: graphql-core answers this request

    def start(self, root: ObjectPlan) -> dict[str, Any]:
        """The answer as far as it goes without waiting; ``pending`` says what is awaited."""
        return self.object(root, self.executor.root_value, None)

    async def finish(self) -> None:
        """Fill in the awaited values; raises if anything failed or was rejected."""
        running: set[asyncio.Future[None]] = set()
        rejected = False
        try:
            # Each value is completed as soon as it arrives, and the resolvers under it start
            # then, as in graphql-core: a slow field never holds back a fast one's children.
            while self.pending or running:
                if rejected:
                    running |= self.drain()
                else:
                    running |= {asyncio.ensure_future(self.settle(p)) for p in self.pending}
                    self.pending = []
                if not running:
                    break
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                # Nothing is cancelled on a rejection: what runs settles and its outcome is
                # kept for graphql-core, and nothing is left running behind the request.
                failures = [t for t in done if t.cancelled() or t.exception() is not None]
                rejected = rejected or bool(failures)
        except BaseException:
            self.drain()
            for task in running:
                task.cancel()  # the request itself was cancelled
            raise
        if rejected:
            raise Rejected

    async def settle(self, pending: _Pending, *, complete: bool = True) -> None:
        try:
            value = await pending.awaitable
        except Exception as error:
            self.record(pending.path, Outcome(awaited=True, value=error, raised=True))
            self.given_back = True
            if complete:
                raise
            return  # kept for graphql-core, which reports it
        self.record(pending.path, Outcome(awaited=True, value=value, raised=False))
        if complete and not self.given_back:
            # Once the request is given back, completing is graphql-core's: calling the
            # resolvers under this value now would only call some it may never reach.
            plan = pending.plan
            try:
                pending.into[plan.key] = plan.complete(self, value, pending.path, pending.info)
            except BaseException:
                self.given_back = True
                raise

    def drain(self) -> set[asyncio.Future[None]]:
        """After a rejection: what is awaited and already running (a future, a task) is left to
        settle, its outcome kept; a coroutine not started yet is closed, and graphql-core calls
        its resolver itself."""
        settling: set[asyncio.Future[None]] = set()
        for pending in self.pending:
            if inspect.iscoroutine(pending.awaitable):
                pending.awaitable.close()
            else:
                settling.add(asyncio.ensure_future(self.settle(pending, complete=False)))
        self.pending = []
        return settling

    def record(self, path: Path, outcome: Outcome) -> None:
        self.outcomes[tuple(path.as_list())] = outcome

    def object(self, plan: ObjectPlan, source: Any, path: Path | None) -> dict[str, Any]:
        return plan.walk(self, source, path)

    def attribute(
        self, field_plan: FieldPlan, source: Any, path: Path | None, result: dict[str, Any]
    ) -> None:
        """A field read from its object, whose value is an object or a list."""
        self.complete_attribute(
            field_plan, field_plan.read(source, field_plan.attribute), path, result
        )

    def complete_attribute(
        self, field_plan: FieldPlan, value: Any, path: Path | None, result: dict[str, Any]
    ) -> None:
        key = field_plan.key
        if value.__class__ not in _never_awaited and _awaitable(value, self.is_awaitable):
            raise Rejected  # graphql-core would await it; rare enough to leave to it
        field_path = Path(path, key, field_plan.parent.name)
        result[key] = field_plan.complete(self, value, field_path, None)

    def resolver(
        self, field_plan: FieldPlan, source: Any, path: Path | None, result: dict[str, Any]
    ) -> None:
        """A field with a resolver to call; an awaitable answer is completed once it settles."""
        key = field_plan.key
        field_path = Path(path, key, field_plan.parent.name)
        info = self.info(field_plan, field_path)
        try:
            value = self.resolve(field_plan, source, info)
        except Exception as error:
            self.record(field_path, Outcome(awaited=False, value=error, raised=True))
            raise
        if self.is_awaitable(value):
            result[key] = None  # keeps the key's place; filled once awaited
            self.pending.append(_Pending(value, field_plan, result, field_path, info))
        else:
            self.record(field_path, Outcome(awaited=False, value=value, raised=False))
            result[key] = field_plan.complete(self, value, field_path, info)

    def info(self, field_plan: FieldPlan, path: Path) -> GraphQLResolveInfo[Any]:
        return self.executor.build_resolve_info(
            field_plan.definition, field_plan.nodes, field_plan.parent, path
        )

    def resolve(self, field_plan: FieldPlan, source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        executor = self.executor
        definition = field_plan.definition
        arguments = (
            get_argument_values(
                definition,
                field_plan.details[0].node,
                executor.variable_values,
                field_plan.details[0].fragment_variable_values,
                executor.hide_suggestions,
            )
            if field_plan.has_arguments
            else {}
        )
        call = field_plan.call
        if call is not None and definition.resolve is call.resolve:
            return call(source, info, arguments)
        resolve = definition.resolve or executor.field_resolver
        return resolve(source, info, **arguments)

    def composite(
        self,
        field_plan: FieldPlan,
        return_type: GraphQLAbstractType | GraphQLObjectType,
        value: Any,
        path: Path,
        info: GraphQLResolveInfo[Any] | None,
    ) -> dict[str, Any]:
        """An interface, a union or an object type with ``is_type_of``: they get the field's
        info, as in graphql-core (where a list item's info is its list's)."""
        if info is None:
            field_path = path
            while isinstance(field_path.key, int) and field_path.prev is not None:
                field_path = field_path.prev
            info = self.info(field_plan, field_path)
        if isinstance(return_type, GraphQLObjectType):
            object_type = return_type
        else:
            object_type = self.runtime_type(field_plan, return_type, value, info)
        if object_type.is_type_of is not None:
            matches = object_type.is_type_of(value, info)
            if self.is_awaitable(matches) or not matches:
                _close(matches)
                raise Rejected
        return self.object(self.executor.object_plan(field_plan, object_type), value, path)

    def runtime_type(
        self,
        field_plan: FieldPlan,
        return_type: GraphQLAbstractType,
        value: Any,
        info: GraphQLResolveInfo[Any],
    ) -> GraphQLObjectType:
        executor = self.executor
        resolve_type = return_type.resolve_type or executor.type_resolver
        runtime = resolve_type(value, info, return_type)
        if self.is_awaitable(runtime):
            _close(runtime)
            raise Rejected
        return executor.ensure_valid_runtime_type(
            runtime, return_type, field_plan.details, info, value
        )


# Classes whose values are neither exceptions nor awaitables, known without asking each value.
_plain: set[type] = {str, int, float, bool, Decimal, datetime, date}


# Classes whose instances are never awaitable (Strawberry's object types, lists, ...), learnt as
# values are seen: asking each value costs two isinstance checks and a failed attribute lookup,
# some five hundred times per home screen.
_never_awaited: set[type] = {list, tuple, dict, type(None)}


# Classes whose values an object type's field completes by walking them (neither awaitable nor
# exceptions), learnt as values pass those checks: a compiled walk goes straight to the child's.
_objects: set[type] = set()


def _awaitable(value: Any, is_awaitable: Callable[[Any], bool]) -> bool:
    """``is_awaitable(value)``; a class found not awaitable is remembered (for everything but
    generators and coroutines, awaitability is a matter of the class)."""
    if is_awaitable(value):
        return True
    kind = value.__class__
    if (
        not hasattr(kind, "__await__")
        and not issubclass(kind, GeneratorType | CoroutineType)
        and len(_never_awaited) < 1024
    ):
        _never_awaited.add(kind)
    return False


def _known_plain(value: Any, is_awaitable: Callable[[Any], bool]) -> bool:
    """Whether ``value`` is neither an exception nor an awaitable; an enum class passing is
    remembered (awaitability is a matter of the class for everything but generators)."""
    if isinstance(value, Exception) or is_awaitable(value):
        return False
    kind = value.__class__
    if isinstance(value, Enum) and not hasattr(kind, "__await__") and len(_plain) < 1024:
        _plain.add(kind)
    return True


def _completer(field_plan: FieldPlan, return_type: GraphQLOutputType) -> _Completer:
    """graphql-core's ``complete_value`` for one field's type, for the values it would complete
    without an error; anything else raises ``Rejected``."""
    if isinstance(return_type, GraphQLNonNull):
        inner = _completer(field_plan, return_type.of_type)

        def non_null(run: Run, value: Any, path: Path, info: Any) -> Any:
            completed = inner(run, value, path, info)
            if completed is None:
                raise Rejected
            return completed

        return non_null

    if isinstance(return_type, GraphQLList):
        item = _completer(field_plan, return_type.of_type)

        # A leaf's completion never reads its path: a list of leaves makes none for its items.
        leaves = is_leaf_type(get_named_type(return_type))

        def items(run: Run, value: Any, path: Path, info: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise Rejected
            if run.executor.is_async_iterable(value) or not is_iterable(value):
                raise Rejected
            is_awaitable = run.is_awaitable
            completed = []
            for index, each in enumerate(value):
                if each.__class__ not in _never_awaited and _awaitable(each, is_awaitable):
                    raise Rejected
                completed.append(item(run, each, path if leaves else path.add_key(index), info))
            return completed

        return items

    if is_leaf_type(return_type):
        coerce = output_coercer(return_type)

        def leaf(run: Run, value: Any, path: Path, info: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise Rejected
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise Rejected
            return coerced

        return leaf

    if isinstance(return_type, GraphQLObjectType) and return_type.is_type_of is None:
        object_type = return_type
        objects, name = field_plan.objects, return_type.name

        def plain_object(run: Run, value: Any, path: Path, info: Any) -> Any:
            if value is None or value is Undefined:
                return None
            kind = value.__class__
            if kind not in _objects:
                if isinstance(value, Exception):
                    raise Rejected
                if kind in _never_awaited and len(_objects) < 1024:
                    _objects.add(kind)  # checked for awaitability on its way here
            plan = objects.get(name) or run.executor.object_plan(field_plan, object_type)
            return run.object(plan, value, path)

        return plain_object

    composite_type = return_type

    def composite(run: Run, value: Any, path: Path, info: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise Rejected
        return run.composite(field_plan, composite_type, value, path, info)  # type: ignore[arg-type]

    return composite


def _close(value: Any) -> None:
    if inspect.iscoroutine(value):
        value.close()
