"""Plans: the documents known in advance, executed without graphql-core's per-field machinery.

A plan is what graphql-core works out again for every request: which fields each selection
groups (fragments spread, ``@skip`` / ``@include`` applied), each field's definition, resolver,
return type and nodes. It is built once per known document (the exact text, one of
``operations/``) and per value of the variables its directives read, using graphql-core's own
``collect_fields`` / ``collect_subfields``, so the grouping and order are graphql-core's.

Running a plan calls the same resolvers with the same ``info`` and arguments, and completes their
values with the same checks (non-null, lists, leaf coercion, abstract type resolution,
``is_type_of``), but only for the case where every check passes. The first failure of any
kind (a resolver raising, a value a check rejects, an awaitable where none is expected)
abandons the plan and the request runs the normal way from the start, so every error is
graphql-core's own. Queries only: their resolvers read through the request's loaders, so
running them again costs no upstream call; mutations always run the normal way.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from graphql import (
    DirectiveNode,
    FieldNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    TypeNameMetaFieldDef,
    Undefined,
    VariableNode,
    is_leaf_type,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    collect_fields,
    collect_subfields,
)
from graphql.execution.middleware import MiddlewareManager
from graphql.execution.values import get_argument_values
from graphql.language import Visitor
from graphql.pyutils import Path, is_iterable

from schema.plans.executor import LeafExecutor, plain_leaf

__all__ = ["KnownDocuments", "PlanExecutor"]

# Plans kept per known document: one per value of the variables its directives read.
_MAX_PLANS = 256


class _Rejected(Exception):
    """A value the plan does not answer itself; graphql-core will, error and all."""


# What a field takes: its type's name (``__typename``), a plain leaf read and coerced inline, an
# attribute read (Strawberry's resolver for a field without one) or a call of its resolver.
_TYPENAME, _LEAF, _ATTRIBUTE, _RESOLVER = range(4)

# Completes a value of one field's type: (run, value, path, the field's info if built yet).
_Completer = Callable[["_Run", Any, Path, "GraphQLResolveInfo[Any] | None"], Any]


@dataclass
class _FieldPlan:
    key: str
    parent: GraphQLObjectType
    definition: GraphQLField
    details: FieldDetailsList
    nodes: list[FieldNode]
    kind: int
    leaf: Any  # executor._Leaf, for _LEAF
    attribute: str
    read: Callable[[Any, str], object]
    has_arguments: bool
    complete: _Completer = field(init=False)
    # The selection on each object type this field's values turn out to be, built on first use.
    objects: dict[str, _ObjectPlan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.complete = _completer(self, self.definition.type)


@dataclass
class _ObjectPlan:
    type: GraphQLObjectType
    fields: list[_FieldPlan]


class _Pending(NamedTuple):
    awaitable: Any
    plan: _FieldPlan
    into: dict[str, Any]
    path: Path
    info: GraphQLResolveInfo[Any]


class _Outcome(NamedTuple):
    """What one resolver call gave: a value or an exception, at once or once awaited."""

    awaited: bool
    value: Any
    raised: bool


class _Replay:
    """graphql-core middleware: a resolver the plan already called answers what it answered."""

    def __init__(self, outcomes: dict[tuple[str | int, ...], _Outcome]) -> None:
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


async def _replayed(outcome: _Outcome) -> Any:
    if outcome.raised:
        raise outcome.value
    return outcome.value


@dataclass
class KnownDocuments:
    """The documents planned (exact texts), their plans, and how often a plan answered."""

    texts: frozenset[str]
    plans: dict[tuple[str, str | None, tuple[Any, ...]], _ObjectPlan] = field(default_factory=dict)
    directive_variables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    answered: int = 0
    fell_back: int = 0

    @classmethod
    def of(cls, texts: Iterable[str]) -> KnownDocuments:
        return cls(frozenset(texts))


class PlanExecutor(LeafExecutor):
    """``LeafExecutor`` that answers the queries of ``known`` from their plans."""

    known: KnownDocuments = KnownDocuments.of(())

    def execute_operation(self, serially: bool | None = None) -> Any:
        text = _text(self.operation)
        if text is None or text not in self.known.texts or not self._plannable():
            return super().execute_operation(serially)
        run = _Run(self)
        try:
            root = self._root_plan(text)
            data = run.start(root) if root is not None else None
        except Exception:  # whatever it was, graphql-core says it properly below
            data = None
        if data is None:
            settling = run.drain()
            if settling:
                return self._fall_back_later(run, settling, serially)
            return self._fall_back(run, serially)
        if not run.pending:
            self.known.answered += 1
            return self.build_response(data)
        return self._answer(run, data, serially)

    def _plannable(self) -> bool:
        manager = self.middleware_manager
        return (
            self.operation.operation is OperationType.QUERY
            and self.abort_signal is None
            and (manager is None or not manager.middlewares)
            and not any(details.variable_signatures for details in self.fragments.values())
        )

    async def _answer(self, run: _Run, data: dict[str, Any], serially: bool | None) -> Any:
        try:
            await run.finish()
        except Exception:  # whatever it was, graphql-core says it properly below
            result = self._fall_back(run, serially)
            return await result if self.is_awaitable(result) else result
        self.known.answered += 1
        return self.build_response(data)

    async def _fall_back_later(
        self, run: _Run, settling: set[asyncio.Future[None]], serially: bool | None
    ) -> Any:
        await asyncio.wait(settling)
        result = self._fall_back(run, serially)
        return await result if self.is_awaitable(result) else result

    def _fall_back(self, run: _Run, serially: bool | None) -> Any:
        """graphql-core's execution, given each resolver outcome the plan already has, so no
        resolver runs twice (its upstream call, or whatever else it does, happens once)."""
        self.known.fell_back += 1
        if run.outcomes:
            self.middleware_manager = MiddlewareManager(_Replay(run.outcomes))
        return super().execute_operation(serially)

    def _root_plan(self, text: str) -> _ObjectPlan | None:
        known = self.known
        names = known.directive_variables.get(text)
        if names is None:
            names = known.directive_variables[text] = _directive_variables(
                [self.operation, *self.fragment_definitions.values()]
            )
        coerced = self.variable_values.coerced
        key = (text, _name(self.operation), tuple(coerced.get(name) for name in names))
        plan = known.plans.get(key)
        if plan is None:
            root_type = self.schema.get_root_type(OperationType.QUERY)
            assert root_type is not None
            collected = collect_fields(
                self.schema,
                self.fragments,
                self.variable_values,
                root_type,
                self.operation,
                self.hide_suggestions,
            )
            if collected.new_defer_usages or collected.forbidden_directive_instances:
                return None
            plan = _ObjectPlan(root_type, self._field_plans(root_type, collected))
            if len(known.plans) < _MAX_PLANS:
                known.plans[key] = plan
        return plan

    def object_plan(self, field_plan: _FieldPlan, object_type: GraphQLObjectType) -> _ObjectPlan:
        plan = field_plan.objects.get(object_type.name)
        if plan is None:
            collected = collect_subfields(
                self.schema,
                self.fragments,
                self.variable_values,
                self.operation,
                object_type,
                field_plan.details,
                self.hide_suggestions,
            )
            if collected.new_defer_usages or collected.forbidden_directive_instances:
                raise _Rejected
            plan = _ObjectPlan(object_type, self._field_plans(object_type, collected))
            field_plan.objects[object_type.name] = plan
        return plan

    def _field_plans(self, parent: GraphQLObjectType, collected: Any) -> list[_FieldPlan]:
        plans = []
        for key, details in collected.grouped_field_set.items():
            first = details[0].node
            definition = self.schema.get_field(parent, first.name.value)
            if definition is None:
                continue  # graphql-core leaves it out of the answer too
            leaf = plain_leaf(definition) if not first.arguments else None
            strawberry_field = _strawberry_field(definition)
            if definition is TypeNameMetaFieldDef:
                kind = _TYPENAME
            elif leaf is not None:
                kind = _LEAF
            elif (
                strawberry_field is not None
                and getattr(definition.resolve, "__name__", None) == "_get_basic_result"
                and strawberry_field.is_basic_field
                and not (definition.args or first.arguments)
            ):
                kind = _ATTRIBUTE
            else:
                kind = _RESOLVER
            plans.append(
                _FieldPlan(
                    key=key,
                    parent=parent,
                    definition=definition,
                    details=details,
                    nodes=[d.node for d in details],
                    kind=kind,
                    leaf=leaf,
                    attribute=strawberry_field.python_name if strawberry_field else "",
                    read=strawberry_field.default_resolver if strawberry_field else getattr,
                    has_arguments=bool(definition.args or first.arguments),
                )
            )
        return plans


class _Run:
    """One request's walk of a plan; raises on the first thing it does not answer itself."""

    def __init__(self, executor: PlanExecutor) -> None:
        self.executor = executor
        self.is_awaitable = executor.is_awaitable
        self.pending: list[_Pending] = []
        # Every resolver call's outcome by response path, for graphql-core to reuse if the
        # request is given back to it.
        self.outcomes: dict[tuple[str | int, ...], _Outcome] = {}

    def start(self, root: _ObjectPlan) -> dict[str, Any]:
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
            raise _Rejected

    async def settle(self, pending: _Pending, *, complete: bool = True) -> None:
        try:
            value = await pending.awaitable
        except Exception as error:
            self.record(pending.path, _Outcome(awaited=True, value=error, raised=True))
            if complete:
                raise
            return  # kept for graphql-core, which reports it
        self.record(pending.path, _Outcome(awaited=True, value=value, raised=False))
        if complete:
            plan = pending.plan
            pending.into[plan.key] = plan.complete(self, value, pending.path, pending.info)

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

    def record(self, path: Path, outcome: _Outcome) -> None:
        self.outcomes[tuple(path.as_list())] = outcome

    def object(self, plan: _ObjectPlan, source: Any, path: Path | None) -> dict[str, Any]:
        type_name = plan.type.name
        is_awaitable = self.is_awaitable
        result: dict[str, Any] = {}
        for field_plan in plan.fields:
            key = field_plan.key
            kind = field_plan.kind
            if kind == _LEAF:
                leaf = field_plan.leaf
                value = leaf.read(source, leaf.attribute)
                if value.__class__ is leaf.unchanged:
                    result[key] = value
                    continue
                if value is None or value is Undefined:
                    if leaf.non_null:
                        raise _Rejected
                    result[key] = None
                    continue
                if value.__class__ not in _plain and not _known_plain(value, is_awaitable):
                    raise _Rejected
                coerced = leaf.type.coerce_output_value(value)
                if coerced is None or coerced is Undefined:
                    raise _Rejected
                result[key] = coerced
            elif kind == _TYPENAME:
                result[key] = type_name
            elif kind == _ATTRIBUTE:
                value = field_plan.read(source, field_plan.attribute)
                if is_awaitable(value):
                    raise _Rejected  # graphql-core would await it; rare enough to leave to it
                result[key] = field_plan.complete(self, value, Path(path, key, type_name), None)
            else:
                field_path = Path(path, key, type_name)
                info = self.info(field_plan, field_path)
                try:
                    value = self.resolve(field_plan, source, info)
                except Exception as error:
                    self.record(field_path, _Outcome(awaited=False, value=error, raised=True))
                    raise
                if is_awaitable(value):
                    result[key] = None  # keeps the key's place; filled once awaited
                    self.pending.append(_Pending(value, field_plan, result, field_path, info))
                else:
                    self.record(field_path, _Outcome(awaited=False, value=value, raised=False))
                    result[key] = field_plan.complete(self, value, field_path, info)
        return result

    def info(self, field_plan: _FieldPlan, path: Path) -> GraphQLResolveInfo[Any]:
        return self.executor.build_resolve_info(
            field_plan.definition, field_plan.nodes, field_plan.parent, path
        )

    def resolve(self, field_plan: _FieldPlan, source: Any, info: GraphQLResolveInfo[Any]) -> Any:
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
        resolve = definition.resolve or executor.field_resolver
        return resolve(source, info, **arguments)

    def composite(
        self,
        field_plan: _FieldPlan,
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
                raise _Rejected
        return self.object(self.executor.object_plan(field_plan, object_type), value, path)

    def runtime_type(
        self,
        field_plan: _FieldPlan,
        return_type: GraphQLAbstractType,
        value: Any,
        info: GraphQLResolveInfo[Any],
    ) -> GraphQLObjectType:
        executor = self.executor
        resolve_type = return_type.resolve_type or executor.type_resolver
        runtime = resolve_type(value, info, return_type)
        if self.is_awaitable(runtime):
            _close(runtime)
            raise _Rejected
        return executor.ensure_valid_runtime_type(
            runtime, return_type, field_plan.details, info, value
        )


# Classes whose values are neither exceptions nor awaitables, known without asking each value.
_plain: set[type] = {str, int, float, bool, Decimal, datetime, date}


def _known_plain(value: Any, is_awaitable: Callable[[Any], bool]) -> bool:
    """Whether ``value`` is neither an exception nor an awaitable; an enum class passing is
    remembered (awaitability is a matter of the class for everything but generators)."""
    if isinstance(value, Exception) or is_awaitable(value):
        return False
    kind = value.__class__
    if isinstance(value, Enum) and not hasattr(kind, "__await__") and len(_plain) < 1024:
        _plain.add(kind)
    return True


def _completer(field_plan: _FieldPlan, return_type: GraphQLOutputType) -> _Completer:
    """graphql-core's ``complete_value`` for one field's type, for the values it would complete
    without an error; anything else raises ``_Rejected``."""
    if isinstance(return_type, GraphQLNonNull):
        inner = _completer(field_plan, return_type.of_type)

        def non_null(run: _Run, value: Any, path: Path, info: Any) -> Any:
            completed = inner(run, value, path, info)
            if completed is None:
                raise _Rejected
            return completed

        return non_null

    if isinstance(return_type, GraphQLList):
        item = _completer(field_plan, return_type.of_type)

        def items(run: _Run, value: Any, path: Path, info: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise _Rejected
            if run.executor.is_async_iterable(value) or not is_iterable(value):
                raise _Rejected
            is_awaitable = run.is_awaitable
            completed = []
            for index, each in enumerate(value):
                if is_awaitable(each):
                    raise _Rejected
                completed.append(item(run, each, path.add_key(index, None), info))
            return completed

        return items

    if is_leaf_type(return_type):
        coerce = return_type.coerce_output_value

        def leaf(run: _Run, value: Any, path: Path, info: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise _Rejected
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise _Rejected
            return coerced

        return leaf

    if isinstance(return_type, GraphQLObjectType) and return_type.is_type_of is None:
        object_type = return_type

        def plain_object(run: _Run, value: Any, path: Path, info: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise _Rejected
            return run.object(run.executor.object_plan(field_plan, object_type), value, path)

        return plain_object

    composite_type = return_type

    def composite(run: _Run, value: Any, path: Path, info: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise _Rejected
        return run.composite(field_plan, composite_type, value, path, info)  # type: ignore[arg-type]

    return composite


def _close(value: Any) -> None:
    if inspect.iscoroutine(value):
        value.close()


def _text(operation: OperationDefinitionNode) -> str | None:
    location = operation.loc
    return location.source.body if location is not None else None


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


def _strawberry_field(definition: GraphQLField) -> Any:
    from strawberry.schema.schema_converter import GraphQLCoreConverter
    from strawberry.types.field import StrawberryField

    found = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return found if isinstance(found, StrawberryField) else None


def _directive_variables(definitions: list[Any]) -> tuple[str, ...]:
    """The variables any directive of the operation or its fragments reads: what the grouping of
    fields depends on, beside the document itself."""
    names: list[str] = []

    class Reader(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            for argument in node.arguments or ():
                for variable in _variables(argument.value):
                    if variable not in names:
                        names.append(variable)

    for definition in definitions:
        visit(definition, Reader())
    return tuple(names)


def _variables(value: Any) -> list[str]:
    if isinstance(value, VariableNode):
        return [value.name.value]
    found: list[str] = []
    for nested in getattr(value, "values", None) or ():
        found += _variables(nested)
    for nested in getattr(value, "fields", None) or ():
        found += _variables(nested.value)
    return found
