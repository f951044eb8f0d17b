"""graphql-core's executor with the fields that need no resolver call short-circuited.

Most of a large answer (the home screen: ~1,100 fields) is leaves read off plain attributes:
Strawberry's resolver for such a field is ``getattr(source, python_name)``. graphql-core still
builds a ``Path``, a ``GraphQLResolveInfo``, a node list and an awaitable check for each, calls
the resolver through two wrappers and then completes the value through ``complete_value``.
Here a leaf field with no resolver of its own, no field extension, no arguments and no
middleware is read and coerced inline; ``__typename`` is answered inline too.

Only the successful case is short-circuited. Whenever the inline read or coercion fails or would
fail (an exception, ``None`` for a non-null field, an exception value, an awaitable, a coercion
that rejects the value), the field is executed again the normal way, so every error, its
message, path and position, comes from graphql-core itself. Reading a plain attribute twice
has no effect, which is what makes that retry safe.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    TypeNameMetaFieldDef,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

__all__ = ["LeafExecutor", "plain_leaf", "unchanged"]

# Strawberry's name for the resolver it gives a field with no resolver and no extensions
# (``GraphQLCoreConverter.from_resolver``); the StrawberryField is checked as well below.
_BASIC_RESOLVER = "_get_basic_result"


class _Leaf(NamedTuple):
    read: Callable[[Any, str], object]  # Strawberry's default resolver: getattr
    attribute: str
    type: GraphQLLeafType
    non_null: bool
    # A class whose exact instances the type's coercion returns as they are (str for String and
    # ID, bool for Boolean), so they need not go through it; None for every other type.
    unchanged: builtins.type[Any] | None


# graphql-core's own output coercions that return an exact str or bool as it is.
_UNCHANGED: dict[Callable[[Any], Any], type] = {
    GraphQLString.coerce_output_value: str,
    GraphQLID.coerce_output_value: str,
    GraphQLBoolean.coerce_output_value: bool,
}


# One entry per field of the schema (``None``: not a plain leaf), filled on first sight. Keyed by
# identity (GraphQLField compares by value); each entry keeps its field alive so no id is reused.
_leaves: dict[int, tuple[GraphQLField, _Leaf | None]] = {}


def plain_leaf(field: GraphQLField) -> _Leaf | None:
    entry = _leaves.get(id(field))
    if entry is None:
        entry = _leaves[id(field)] = (field, _plain_leaf(field))
    return entry[1]


def _plain_leaf(field: GraphQLField) -> _Leaf | None:
    resolve = field.resolve
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        resolve is None
        or getattr(resolve, "__name__", None) != _BASIC_RESOLVER
        or field.args
        or not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
    ):
        return None
    field_type = field.type
    non_null = isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if not is_leaf_type(inner):
        return None
    return _Leaf(
        definition.default_resolver, definition.python_name, inner, non_null, unchanged(inner)
    )


def unchanged(leaf_type: GraphQLLeafType) -> type | None:
    """The class whose exact instances ``leaf_type``'s coercion returns as they are, if any."""
    return _UNCHANGED.get(leaf_type.coerce_output_value)


class LeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with plain leaf fields and ``__typename`` answered inline."""

    # graphql-core keeps on the executor helpers made of the executor's own bound methods: a
    # reference cycle, so the executor and all it reaches (variables, the context and its
    # loaders, every upstream answer and the objects built from them) outlived the request until
    # a pass of the garbage collector, which then had to walk all of it. Made when a resolve info
    # asks for them, they go with that info.
    @property
    def async_helpers(self) -> GraphQLResolveInfoHelpers:
        return GraphQLResolveInfoHelpers(gather=self.gather_async_work, track=self.track_async_work)

    @async_helpers.setter
    def async_helpers(self, _: GraphQLResolveInfoHelpers) -> None:
        pass  # graphql-core's __init__ sets the cyclic pair; the property stands instead

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            # A middleware wraps every resolver, so every field must go through one.
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        get_field = self.schema.get_field
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                field_def = get_field(parent_type, node.name.value)
                if field_def is not None and not node.arguments:
                    if field_def is TypeNameMetaFieldDef:
                        results[response_name] = parent_type.name
                        continue
                    leaf = plain_leaf(field_def)
                    if leaf is not None:
                        value = _read_leaf(leaf, source_value, is_awaitable)
                        if value is not Undefined:
                            results[response_name] = value
                            continue
                # The normal way: a resolver to call, an object to complete, or an error.
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # As graphql-core does: settle the other fields' awaitables, they may fail too.
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()


def _read_leaf(leaf: _Leaf, source: Any, is_awaitable: Callable[[Any], bool]) -> Any:
    """The completed value of a plain leaf, or ``Undefined`` when the normal way must run."""
    try:
        value = leaf.read(source, leaf.attribute)
        if value.__class__ is leaf.unchanged:
            return value
        if value is None or value is Undefined:
            return Undefined if leaf.non_null else None
        if isinstance(value, Exception) or is_awaitable(value):
            return Undefined
        coerced = leaf.type.coerce_output_value(value)
    except Exception:  # graphql-core reports it when it runs the field again
        return Undefined
    return Undefined if coerced is None else coerced
