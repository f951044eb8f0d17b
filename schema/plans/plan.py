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
    is_abstract_type,
    is_leaf_type,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import get_argument_values
from graphql.language import Visitor
from graphql.pyutils import Path, is_iterable

from schema.plans.executor import LeafExecutor, plain_leaf

__all__ = ["KnownDocuments", "PlanExecutor"]

# Plans kept per known document: one per value of the variables its directives read.
_MAX_PLANS = 256


class _Rejected(Exception):
    """A value the plan does not answer itself; graphql-core will, error and all."""


@dataclass
class _FieldPlan:
    key: str
    parent: GraphQLObjectType
    definition: GraphQLField
    details: FieldDetailsList
    nodes: list[FieldNode]
    typename: bool
    leaf: Any  # executor._Leaf | None: read and coerced inline
    basic: bool  # Strawberry's getattr resolver: no info, no arguments
    attribute: str
    read: Callable[[Any, str], object] | None
    has_arguments: bool
    # The selection on each object type this field's values turn out to be, built on first use.
    objects: dict[str, _ObjectPlan] = field(default_factory=dict)


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
        return self._answer(text, serially)

    def _plannable(self) -> bool:
        manager = self.middleware_manager
        return (
            self.operation.operation is OperationType.QUERY
            and self.abort_signal is None
            and (manager is None or not manager.middlewares)
            and not any(details.variable_signatures for details in self.fragments.values())
        )

    async def _answer(self, text: str, serially: bool | None) -> Any:
        known = self.known
        try:
            root = self._root_plan(text)
            data = await _Run(self).run(root) if root is not None else None
        except Exception:  # whatever it was, graphql-core says it properly below
            data = None
        if data is None:
            known.fell_back += 1
            result = super().execute_operation(serially)
            return await result if self.is_awaitable(result) else result
        known.answered += 1
        return self.build_response(data)

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
            leaf = plain_leaf(definition)
            strawberry_field = _strawberry_field(definition)
            basic = (
                leaf is None
                and strawberry_field is not None
                and getattr(definition.resolve, "__name__", None) == "_get_basic_result"
                and strawberry_field.is_basic_field
                and not definition.args
            )
            plans.append(
                _FieldPlan(
                    key=key,
                    parent=parent,
                    definition=definition,
                    details=details,
                    nodes=[d.node for d in details],
                    typename=definition is TypeNameMetaFieldDef,
                    leaf=leaf if not first.arguments else None,
                    basic=basic and not first.arguments,
                    attribute=strawberry_field.python_name if strawberry_field else "",
                    read=strawberry_field.default_resolver if strawberry_field else None,
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

    async def run(self, root: _ObjectPlan) -> dict[str, Any]:
        try:
            data = self.object(root, self.executor.root_value, None)
            while self.pending:
                batch, self.pending = self.pending, []
                # Every awaitable settles before anything is judged: loaders fill their caches
                # for the normal run that may follow, and nothing is left running behind it.
                values = await asyncio.gather(*(p.awaitable for p in batch), return_exceptions=True)
                for pending, value in zip(batch, values, strict=True):
                    if isinstance(value, BaseException):
                        raise _Rejected from value
                    pending.into[pending.plan.key] = self.complete(
                        pending.plan,
                        pending.plan.definition.type,
                        value,
                        pending.path,
                        pending.info,
                    )
        except BaseException:
            for pending in self.pending:
                if inspect.iscoroutine(pending.awaitable):
                    pending.awaitable.close()  # never started: nothing to wait for
            raise
        return data

    def object(self, plan: _ObjectPlan, source: Any, path: Path | None) -> dict[str, Any]:
        type_name = plan.type.name
        result: dict[str, Any] = {}
        for field_plan in plan.fields:
            key = field_plan.key
            if field_plan.typename:
                result[key] = type_name
                continue
            leaf = field_plan.leaf
            if leaf is not None:
                result[key] = self.leaf(leaf, source)
                continue
            field_path = Path(path, key, type_name)
            info: GraphQLResolveInfo[Any] | None = None
            if field_plan.basic and field_plan.read is not None:
                value = field_plan.read(source, field_plan.attribute)
                if self.is_awaitable(value):
                    raise _Rejected  # graphql-core would await it; rare enough to leave to it
            else:
                info = self.info(field_plan, field_path)
                value = self.resolve(field_plan, source, info)
                if self.is_awaitable(value):
                    result[key] = None  # keeps the key's place; filled once awaited
                    self.pending.append(_Pending(value, field_plan, result, field_path, info))
                    continue
            result[key] = self.complete(
                field_plan, field_plan.definition.type, value, field_path, info
            )
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

    def leaf(self, leaf: Any, source: Any) -> Any:
        value = leaf.read(source, leaf.attribute)
        if value is None:
            if leaf.non_null:
                raise _Rejected
            return None
        if isinstance(value, Exception) or self.is_awaitable(value):
            raise _Rejected
        coerced = leaf.type.coerce_output_value(value)
        if coerced is None or coerced is Undefined:
            raise _Rejected
        return coerced

    def complete(
        self,
        field_plan: _FieldPlan,
        return_type: GraphQLOutputType,
        value: Any,
        path: Path,
        info: GraphQLResolveInfo[Any] | None,
    ) -> Any:
        """graphql-core's ``complete_value``, for values it would complete without an error."""
        if isinstance(value, Exception):
            raise _Rejected
        if isinstance(return_type, GraphQLNonNull):
            completed = self.complete(field_plan, return_type.of_type, value, path, info)
            if completed is None:
                raise _Rejected
            return completed
        if value is None or value is Undefined:
            return None
        if isinstance(return_type, GraphQLList):
            if self.executor.is_async_iterable(value) or not is_iterable(value):
                raise _Rejected
            item_type = return_type.of_type
            items = []
            for index, item in enumerate(value):
                if self.is_awaitable(item):
                    raise _Rejected
                items.append(
                    self.complete(field_plan, item_type, item, path.add_key(index, None), info)
                )
            return items
        if is_leaf_type(return_type):
            coerced = return_type.coerce_output_value(value)
            if coerced is None or coerced is Undefined:
                raise _Rejected
            return coerced
        # Interfaces, unions and is_type_of get the field's info, as in graphql-core (where a
        # list item's info is its list's).
        field_path = path
        while isinstance(field_path.key, int) and field_path.prev is not None:
            field_path = field_path.prev
        info = info or self.info(field_plan, field_path)
        if is_abstract_type(return_type):
            object_type = self.runtime_type(field_plan, return_type, value, info)
        elif isinstance(return_type, GraphQLObjectType):
            object_type = return_type
        else:  # pragma: no cover - every output type is one of the above
            raise _Rejected
        if object_type.is_type_of is not None:
            matches = object_type.is_type_of(value, info)
            if self.is_awaitable(matches) or not matches:
                _close(matches)
                raise _Rejected
        plan = self.executor.object_plan(field_plan, object_type)
        return self.object(plan, value, path)

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
