"""Query limits: depth, aliases, tokens and cost, checked before anything executes.

A refused document gets one top-level error with ``extensions.code`` ``QUERY_TOO_COMPLEX`` and
nothing runs: no resolver, no upstream call.

Why not Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter``: in strawberry 0.341 both
walk fragments without memoising them, so a chain of fragments each spread twice takes time
exponential in its length (18 fragments, ~600 bytes: 1.6 s for the depth limiter, 4x per two
more), and the depth limiter raises ``KeyError`` on an unknown fragment (an internal error
instead of a validation error). Here one walk prices every fragment once and reuses the price at
every spread, so work is linear in the document; a cycle of fragments is refused when the walk
meets a fragment it is still inside. The token limit is the parser's own, set the way
Strawberry's ``MaxTokensLimiter`` sets it.

Cost: every field costs 1; a list or connection field multiplies the cost of its selection by
its ``first`` / ``last`` / ``limit`` argument (a literal or a variable), or by
``default_list_size`` when it has none. A connection's ``edges`` / ``nodes`` are not multiplied
again. Introspection (``__schema``, ``__type``) costs 1 a field without multiplying and does not
count towards depth, so GraphiQL's schema query always fits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from gateway.settings import Settings
from schema.documents import SIZE_ARGUMENTS, DocumentCache, PreparedDocument, as_size

__all__ = [
    "DEFAULT_DOCUMENTS",
    "DEFAULT_LIMITS",
    "QUERY_TOO_COMPLEX",
    "LimitQueries",
    "QueryLimits",
    "check_document",
]

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"

_CONNECTION_ITEMS = ("edges", "nodes")
# Python's recursion limit is ~1000 frames and the walk takes a few per level; no real document
# nests fields and fragment spreads this deep (introspection's ofType chains reach ~15).
_MAX_NESTING = 64


@dataclass(frozen=True)
class QueryLimits:
    """What one GraphQL document may ask for. ``gateway.app`` builds it from Settings."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    default_list_size: int


def _settings_defaults() -> QueryLimits:
    fields = Settings.model_fields
    return QueryLimits(
        max_depth=fields["max_query_depth"].default,
        max_aliases=fields["max_query_aliases"].default,
        max_tokens=fields["max_query_tokens"].default,
        max_cost=fields["max_query_cost"].default,
        default_list_size=fields["query_cost_default_list_size"].default,
    )


# For a schema executed without the app (tests, tools): the settings' defaults.
DEFAULT_LIMITS = _settings_defaults()
DEFAULT_DOCUMENTS = DocumentCache(Settings.model_fields["document_cache_size"].default)


class LimitQueries(SchemaExtension):
    """Applies the app's ``QueryLimits`` (``app.state.query_limits``) to every operation, and
    prepares each distinct document once (``app.state.documents``, see ``schema.documents``)."""

    limits: QueryLimits = DEFAULT_LIMITS  # replaced by the app's at the start of each operation
    documents: DocumentCache = DEFAULT_DOCUMENTS
    prepared: PreparedDocument | None = None  # this operation's document, once known to parse

    def on_operation(self) -> Iterator[None]:
        state = self._app_state()
        limits = getattr(state, "query_limits", None)
        self.limits = limits if isinstance(limits, QueryLimits) else DEFAULT_LIMITS
        documents = getattr(state, "documents", None)
        self.documents = documents if isinstance(documents, DocumentCache) else DEFAULT_DOCUMENTS
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        # Strawberry parses only when no document is set yet, so a known one skips the parser.
        cacheable = bool(query) and context.graphql_document is None
        if cacheable and query:
            self.prepared = self.documents.get(query, self.limits.max_tokens)
            if self.prepared is not None:
                context.graphql_document = self.prepared.document
        yield
        if cacheable and query and self.prepared is None and context.graphql_document is not None:
            self.prepared = self.documents.put(
                query, self.limits.max_tokens, context.graphql_document
            )
        for error in context.pre_execution_errors or ():
            # The parser's own limits (tokens, nesting) end their message this way.
            if isinstance(error, GraphQLSyntaxError) and error.message.endswith("Parsing aborted."):
                error.extensions = {**(error.extensions or {}), "code": QUERY_TOO_COMPLEX}

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        prepared = self.prepared
        variables = context.variables or {}
        if context.graphql_document is not None:
            if prepared is not None and prepared.within_limits(self.limits, variables):
                errors = []
            else:
                errors = check_document(
                    context.schema._schema,
                    context.graphql_document.definitions,
                    self.limits,
                    variables,
                )
                if not errors and prepared is not None:
                    prepared.remember_within_limits(self.limits, variables)
            if errors:
                # Set before validation runs, so Strawberry skips it: nothing more is spent on a
                # document already refused, and nothing executes.
                context.pre_execution_errors = errors
            elif prepared is not None and prepared.valid:
                context.pre_execution_errors = []  # validated before: Strawberry skips it
        yield
        if prepared is not None and context.pre_execution_errors == []:
            prepared.valid = True

    def _app_state(self) -> object:
        request = getattr(self.execution_context.context, "request", None)
        return getattr(getattr(request, "app", None), "state", None)


@dataclass(frozen=True)
class _Price:
    cost: int  # fields, lists multiplied
    size: int  # selections after expanding fragments (bounds the work of everything after)
    depth: int  # nested fields with selections, introspection not counted
    aliases: int


_FREE = _Price(0, 0, 0, 0)


class _TooComplex(Exception):
    def __init__(self, message: str, node: Node | None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


def check_document(
    schema: GraphQLSchema,
    definitions: tuple[Any, ...] | list[Any],
    limits: QueryLimits,
    variables: Mapping[str, Any],
) -> list[GraphQLError]:
    """The limit errors of a parsed document: empty when every operation is within limits."""
    walker = _Walker(schema, definitions, limits, variables)
    try:
        for definition in definitions:
            if isinstance(definition, OperationDefinitionNode):
                walker.check_operation(definition)
            elif isinstance(definition, FragmentDefinitionNode):
                # Unused fragments too: graphql-core validates them, so they must be sane.
                walker.fragment(definition.name.value, definition, 0)
    except _TooComplex as refused:
        nodes = [refused.node] if refused.node is not None else None
        return [GraphQLError(refused.message, nodes, extensions={"code": QUERY_TOO_COMPLEX})]
    return []


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        definitions: tuple[Any, ...] | list[Any],
        limits: QueryLimits,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)
        }
        # A variable left out takes its default; fragments are priced once for every
        # operation, so the largest default of a name is the one that counts.
        self.defaults: dict[str, int] = {}
        for operation in definitions:
            if isinstance(operation, OperationDefinitionNode):
                for variable in operation.variable_definitions or ():
                    if isinstance(variable.default_value, IntValueNode):
                        name = variable.variable.name.value
                        value = int(variable.default_value.value)
                        self.defaults[name] = max(value, self.defaults.get(name, value))
        self.prices: dict[str, _Price] = {}
        self.entered: list[str] = []  # the fragments the walk is inside, in order

    def check_operation(self, operation: OperationDefinitionNode) -> None:
        root = self.schema.get_root_type(operation.operation)
        price = self.selections(operation.selection_set, root, 0)
        self.check(price, operation)

    def check(self, price: _Price, node: Node) -> None:
        limits = self.limits
        if price.depth > limits.max_depth:
            raise _TooComplex(
                f"Query depth {price.depth} exceeds the maximum of {limits.max_depth}.", node
            )
        if price.aliases > limits.max_aliases:
            raise _TooComplex(
                f"Query uses {price.aliases} aliases; the maximum is {limits.max_aliases}.", node
            )
        if price.cost > limits.max_cost:
            raise _TooComplex(
                f"Query cost {price.cost} exceeds the maximum of {limits.max_cost}.", node
            )
        if price.size > limits.max_cost:
            raise _TooComplex(
                f"Query expands to {price.size} selections; the maximum is {limits.max_cost}.",
                node,
            )

    def fragment(self, name: str, node: Node, level: int) -> _Price:
        if name in self.prices:
            return self.prices[name]
        definition = self.fragments.get(name)
        if definition is None:
            return _FREE  # graphql-core's KnownFragmentNames reports it
        if name in self.entered:
            cycle = " → ".join([*self.entered[self.entered.index(name) :], name])
            raise _TooComplex(f"Fragment '{name}' spreads itself ({cycle}).", node)
        self.entered.append(name)
        parent = self.schema.get_type(definition.type_condition.name.value)
        price = self.selections(definition.selection_set, parent, level)
        self.entered.pop()
        # Refuse an amplifying fragment as soon as it is priced, before a spread multiplies it.
        self.check(price, definition)
        self.prices[name] = price
        return price

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        level: int,
    ) -> _Price:
        if selection_set is None:
            return _FREE
        if level > _MAX_NESTING:
            raise _TooComplex(f"Query nests deeper than {_MAX_NESTING} levels.", selection_set)
        cost = size = depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                price = self.field(selection, parent, level)
            elif isinstance(selection, FragmentSpreadNode):
                price = self.fragment(selection.name.value, selection, level + 1)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                price = self.selections(selection.selection_set, inner, level + 1)
            else:  # pragma: no cover - the three selection kinds above are all there are
                continue
            cost += price.cost
            size += price.size + 1
            depth = max(depth, price.depth)
            aliases += price.aliases
        return _Price(cost, size, depth, aliases)

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, level: int) -> _Price:
        name = node.name.value
        # By type, not by path: a fragment on __Type is introspection wherever it is spread.
        introspection = name.startswith("__") or (
            parent is not None and parent.name.startswith("__")
        )
        definition = _field_definition(parent, name)
        child_type = get_named_type(definition.type) if definition else None
        inner = self.selections(node.selection_set, child_type, level + 1)
        multiplier = 1 if introspection else self.multiplier(node, definition, parent)
        has_selections = node.selection_set is not None and not introspection
        return _Price(
            cost=1 + multiplier * inner.cost,
            size=inner.size,
            depth=inner.depth + 1 if has_selections else 0,
            aliases=inner.aliases + (1 if node.alias else 0),
        )

    def multiplier(
        self, node: FieldNode, definition: GraphQLField | None, parent: GraphQLNamedType | None
    ) -> int:
        if definition is None:
            return 1
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        is_list = isinstance(field_type, GraphQLList)
        is_connection = get_named_type(field_type).name.endswith("Connection")
        if not (is_list or is_connection):
            return 1
        if (
            parent is not None
            and parent.name.endswith("Connection")
            and node.name.value in (_CONNECTION_ITEMS)
        ):
            return 1  # the connection field already multiplied by its page size
        for argument in node.arguments or ():
            if argument.name.value in SIZE_ARGUMENTS:
                size = self.argument_value(argument.value)
                if size is not None:
                    return max(size, 0)
        return self.limits.default_list_size

    def argument_value(self, value: object) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            name = value.name.value
            given = self.variables[name] if name in self.variables else self.defaults.get(name)
            return as_size(given)
        return None


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None
