"""Plans: the documents known in advance, executed without graphql-core's per-field machinery.

A plan is what graphql-core works out again for every request: which fields each selection
groups (fragments spread, ``@skip`` / ``@include`` applied), each field's definition, resolver,
return type and nodes. It is built once per known document (the exact text, one of
``operations/``) and per value of the variables its directives read, using graphql-core's own
``collect_fields`` / ``collect_subfields``, so the grouping and order are graphql-core's.

Running a plan (``schema.plans.run``) calls the same resolvers with the same ``info`` and
arguments, concurrently as graphql-core does, and completes their values with the same checks
(non-null, lists, leaf coercion, abstract type resolution, ``is_type_of``), but only where every
check passes. At the first failure of any kind (a resolver raising, a value a check rejects, an
awaitable where none is expected) the request goes to graphql-core from the start, so every
error is graphql-core's own; graphql-core then gets each resolver outcome the plan already has
instead of calling the resolver again, so nothing a resolver does (an upstream call) happens
twice. Queries only: mutations, subscriptions and unknown documents always run the normal way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeNameMetaFieldDef,
    VariableNode,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from graphql.execution.collect_fields import (
    collect_fields,
    collect_subfields,
)
from graphql.execution.executor import Executor, default_field_resolver, default_type_resolver
from graphql.execution.middleware import MiddlewareManager
from graphql.language import Visitor
from graphql.type import assert_valid_schema

from schema.plans.calls import direct_call
from schema.plans.executor import LeafExecutor, plain_leaf
from schema.plans.prepared import Prepared, prepare
from schema.plans.run import (
    ATTRIBUTE,
    LEAF,
    RESOLVER,
    TYPENAME,
    FieldPlan,
    ObjectPlan,
    Rejected,
    Replay,
    Run,
)

__all__ = ["KnownDocuments", "PlanExecutor", "strawberry_field"]

# Plans kept per known document: one per value of the variables its directives read.
_MAX_PLANS = 256


@dataclass
class KnownDocuments:
    """The documents planned (exact texts), their plans, and how often a plan answered."""

    texts: frozenset[str]
    plans: dict[tuple[str, str | None, tuple[Any, ...]], ObjectPlan] = field(default_factory=dict)
    directive_variables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    answered: int = 0
    fell_back: int = 0
    # What Executor.build reads from each document, per operation name (see ``prepared``).
    prepared: dict[tuple[str, str | None], Prepared] = field(default_factory=dict)

    @classmethod
    def of(cls, texts: Iterable[str]) -> KnownDocuments:
        """``texts``, each also as graphql-core prints it: what a client that parses documents
        and prints them back (gql does) sends instead of the file's text."""
        known = set()
        for text in texts:
            known.add(text)
            try:
                known.add(print_ast(parse(text)))
            except GraphQLError:
                pass  # not a document: graphql-core will say so when it is sent
        return cls(frozenset(known))


class PlanExecutor(LeafExecutor):
    """``LeafExecutor`` that answers the queries of ``known`` from their plans."""

    known: KnownDocuments = KnownDocuments.of(())

    @classmethod
    def build(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        field_resolver: Any = None,
        type_resolver: Any = None,
        subscribe_field_resolver: Any = None,
        max_coercion_errors: int = 50,
        enable_early_execution: bool = False,
        middleware: Any = None,
        is_awaitable: Any = None,
        is_async_iterable: Any = None,
        hide_suggestions: bool = False,
        abort_signal: Any = None,
        hooks: Any = None,
        **custom_args: Any,
    ) -> list[GraphQLError] | Executor[Any]:
        """graphql-core's ``build``; for a known document, with what it reads from the
        document, and the variables it coerces, kept (``schema.plans.prepared``)."""
        prepared = cls._prepared(schema, document, operation_name)
        if prepared is None or not (
            middleware is None or isinstance(middleware, MiddlewareManager)
        ):
            return super().build(
                schema,
                document,
                root_value,
                context_value,
                raw_variable_values,
                operation_name,
                field_resolver,
                type_resolver,
                subscribe_field_resolver,
                max_coercion_errors,
                enable_early_execution,
                middleware,
                is_awaitable,
                is_async_iterable,
                hide_suggestions=hide_suggestions,
                abort_signal=abort_signal,
                hooks=hooks,
                **custom_args,
            )
        assert_valid_schema(schema)
        variables = prepared.variables(
            schema, raw_variable_values or {}, max_coercion_errors, hide_suggestions
        )
        if isinstance(variables, list):
            return variables  # errors
        return cls(
            schema,
            prepared.fragment_definitions,
            prepared.fragments,
            root_value,
            context_value,
            prepared.operation,
            variables,
            field_resolver or default_field_resolver,
            type_resolver or default_type_resolver,
            subscribe_field_resolver or default_field_resolver,
            enable_early_execution,
            middleware,
            is_awaitable,
            is_async_iterable,
            hide_suggestions=hide_suggestions,
            abort_signal=abort_signal,
            hooks=hooks,
            **custom_args,
        )

    @classmethod
    def _prepared(
        cls, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
    ) -> Prepared | None:
        location = document.loc
        text = location.source.body if location is not None else None
        known = cls.known
        if text is None or text not in known.texts:
            return None
        key = (text, operation_name)
        before = prepared = known.prepared.get(key)
        if prepared is None or prepared.document is not document:  # parsed again since
            prepared = prepare(schema, document, operation_name, before)
            if prepared is not None and (key in known.prepared or len(known.prepared) < _MAX_PLANS):
                known.prepared[key] = prepared
        return prepared

    def execute_operation(self, serially: bool | None = None) -> Any:
        text = _text(self.operation)
        if text is None or text not in self.known.texts or not self._plannable():
            return super().execute_operation(serially)
        run = Run(self)
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

    async def _answer(self, run: Run, data: dict[str, Any], serially: bool | None) -> Any:
        try:
            await run.finish()
        except Exception:  # whatever it was, graphql-core says it properly below
            result = self._fall_back(run, serially)
            return await result if self.is_awaitable(result) else result
        self.known.answered += 1
        return self.build_response(data)

    async def _fall_back_later(
        self, run: Run, settling: set[asyncio.Future[None]], serially: bool | None
    ) -> Any:
        await asyncio.wait(settling)
        result = self._fall_back(run, serially)
        return await result if self.is_awaitable(result) else result

    def _fall_back(self, run: Run, serially: bool | None) -> Any:
        """graphql-core's execution, given each resolver outcome the plan already has, so no
        resolver runs twice (its upstream call, or whatever else it does, happens once)."""
        self.known.fell_back += 1
        if run.outcomes:
            self.middleware_manager = MiddlewareManager(Replay(run.outcomes))
        return super().execute_operation(serially)

    def _root_plan(self, text: str) -> ObjectPlan | None:
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
            plan = ObjectPlan(root_type, self._field_plans(root_type, collected))
            if len(known.plans) < _MAX_PLANS:
                known.plans[key] = plan
        return plan

    def object_plan(self, field_plan: FieldPlan, object_type: GraphQLObjectType) -> ObjectPlan:
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
                raise Rejected
            plan = ObjectPlan(object_type, self._field_plans(object_type, collected))
            field_plan.objects[object_type.name] = plan
        return plan

    def _field_plans(self, parent: GraphQLObjectType, collected: Any) -> list[FieldPlan]:
        plans = []
        for key, details in collected.grouped_field_set.items():
            first = details[0].node
            definition = self.schema.get_field(parent, first.name.value)
            if definition is None:
                continue  # graphql-core leaves it out of the answer too
            leaf = plain_leaf(definition) if not first.arguments else None
            source_field = strawberry_field(definition)
            if definition is TypeNameMetaFieldDef:
                kind = TYPENAME
            elif leaf is not None:
                kind = LEAF
            elif (
                source_field is not None
                and getattr(definition.resolve, "__name__", None) == "_get_basic_result"
                and source_field.is_basic_field
                and not (definition.args or first.arguments)
            ):
                kind = ATTRIBUTE
            else:
                kind = RESOLVER
            field_plan = FieldPlan(
                key=key,
                parent=parent,
                definition=definition,
                details=details,
                nodes=[d.node for d in details],
                kind=kind,
                leaf=leaf,
                attribute=source_field.python_name if source_field else "",
                read=source_field.default_resolver if source_field else getattr,
                has_arguments=bool(definition.args or first.arguments),
                call=(
                    direct_call(definition, source_field, self._strawberry_schema())
                    if kind == RESOLVER
                    else None
                ),
            )
            if kind == ATTRIBUTE:
                self._plan_objects(field_plan)
            plans.append(field_plan)
        return plans

    def _strawberry_schema(self) -> Any:
        return getattr(self.schema, "_strawberry_schema", None)

    def _plan_objects(self, field_plan: FieldPlan) -> None:
        """The plan of a field's objects, built with its parent's rather than on first use, so
        that the parent's walk calls it directly (``run._inline_object``): it is the same plan,
        as the grouping depends only on what the parent's plan is keyed by. Only for a plain
        object type (or a list of one); a selection a plan does not take is left to be
        refused when it is reached, as before."""
        named = get_named_type(field_plan.definition.type)
        if isinstance(named, GraphQLObjectType) and named.is_type_of is None:
            try:
                self.object_plan(field_plan, named)
            except Rejected:
                pass


def _text(operation: OperationDefinitionNode) -> str | None:
    location = operation.loc
    return location.source.body if location is not None else None


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


def strawberry_field(definition: GraphQLField) -> Any:
    """The Strawberry field a GraphQL field was built from, if any."""
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
