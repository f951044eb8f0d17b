"""What graphql-core's ``Executor.build`` works out on every request, kept per known document.

For each request graphql-core looks for the operation among the document's definitions, makes a
record of each fragment and coerces the variables (the home screen's filter alone: ~16 us). For
a known document the first two depend only on the document and the operation name, and a query's
coerced variables only on the values given as well: ``Prepared`` keeps them, the variables per
distinct input (at most ``_MAX_INPUTS``). Only successes are kept, so every error still comes
from graphql-core's own code, and variables only where nothing in their coerced values is shared
with the request or could be changed by a resolver: enums, the specified scalars and Strawberry's
dates, times and Decimals, and input objects and lists of them, which graphql-core builds afresh
(and of which Strawberry's conversion gives each resolver its own copies).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    OperationDefinitionNode,
    OperationType,
    specified_scalar_types,
    type_from_ast,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues, get_variable_values
from strawberry.schema.types import base_scalars

__all__ = ["Prepared", "prepare"]

# Distinct variable inputs kept per document and operation; dropped wholesale when full.
_MAX_INPUTS = 256

# Input coercions whose values are immutable and made from the input, not the input itself.
_IMMUTABLE: set[Callable[[Any], Any] | None] = {
    *(scalar.coerce_input_value for scalar in specified_scalar_types.values()),
    base_scalars.DateDefinition.parse_value,
    base_scalars.DateTimeDefinition.parse_value,
    base_scalars.TimeDefinition.parse_value,
    base_scalars.DecimalDefinition.parse_value,
}


class Prepared:
    """A known document's operation (by name) and fragments, as ``Executor.build`` finds them,
    and its variables' coerced values by input."""

    def __init__(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        fragment_definitions: dict[str, FragmentDefinitionNode],
        fragments: dict[str, FragmentDetails],
        keeps_variables: bool,
        variables: dict[Hashable, VariableValues] | None = None,
    ) -> None:
        self.document = document
        self.operation = operation
        self.fragment_definitions = fragment_definitions
        self.fragments = fragments
        self.keeps_variables = keeps_variables
        self._variables: dict[Hashable, VariableValues] = {} if variables is None else variables

    def variables(
        self,
        schema: GraphQLSchema,
        inputs: dict[str, Any],
        max_errors: int,
        hide_suggestions: bool,
    ) -> VariableValues | list[GraphQLError]:
        """``get_variable_values`` as ``Executor.build`` calls it, kept when it succeeds."""
        key = _frozen(inputs) if self.keeps_variables else None
        if key is not None:
            known = self._variables.get(key)
            if known is not None:
                return known
        values = get_variable_values(
            schema,
            self.operation.variable_definitions or (),
            inputs,
            max_errors=max_errors,
            hide_suggestions=hide_suggestions,
        )
        if key is not None and not isinstance(values, list):
            if len(self._variables) >= _MAX_INPUTS:
                self._variables.clear()
            self._variables[key] = values
        return values


def prepare(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    before: Prepared | None = None,
) -> Prepared | None:
    """``Executor.build``'s reading of ``document``; None where it answers with errors (no
    such operation, a fragment with variables of its own), which graphql-core then says.
    ``before``: the same text's, parsed before; its variables hold for this one too."""
    operation: OperationDefinitionNode | None = None
    fragment_definitions: dict[str, FragmentDefinitionNode] = {}
    fragments: dict[str, FragmentDetails] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if operation:
                    return None
                operation = definition
            elif definition.name and definition.name.value == operation_name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None
            fragment_definitions[definition.name.value] = definition
            fragments[definition.name.value] = FragmentDetails(definition, None)
    if operation is None:
        return None
    # Queries only: a mutation's input is mostly new each time (and no plan answers it).
    keeps = operation.operation is OperationType.QUERY and all(
        _immutable(type_from_ast(schema, variable.type), set())
        for variable in operation.variable_definitions or ()
    )
    kept = before._variables if before is not None and keeps else None
    return Prepared(document, operation, fragment_definitions, fragments, keeps, kept)


def _immutable(input_type: GraphQLType | None, seen: set[str]) -> bool:
    """Whether every value graphql-core coerces to ``input_type`` is made afresh from immutable
    parts (or is an enum member, a string, a number, a date, a Decimal)."""
    if isinstance(input_type, GraphQLNonNull | GraphQLList):
        return _immutable(input_type.of_type, seen)
    if isinstance(input_type, GraphQLEnumType):
        return True
    if isinstance(input_type, GraphQLScalarType):
        return input_type.coerce_input_value in _IMMUTABLE
    if isinstance(input_type, GraphQLInputObjectType):
        if input_type.out_type is not GraphQLInputObjectType.out_type:
            return False  # its own class of value, whatever that is
        if input_type.name in seen:
            return True
        seen.add(input_type.name)
        return all(_immutable(field.type, seen) for field in input_type.fields.values())
    return False


def _frozen(value: Any) -> Hashable | None:
    """A key equal for equal JSON values of the same types (``True``, ``1`` and ``1.0`` differ,
    as they do to coercion); None for anything else."""
    kind = value.__class__
    if kind is str or kind is int or kind is bool or value is None:
        return kind, value
    if kind is float:
        return kind, repr(value)  # -0.0 is 0.0 to a dict, not to coercion
    if kind is dict:
        items: list[Hashable] = []
        for name, item in value.items():
            frozen = _frozen(item)
            if name.__class__ is not str or frozen is None:
                return None
            items.append((name, frozen))
        return kind, tuple(items)
    if kind is list:
        frozen_items = [_frozen(item) for item in value]
        if None in frozen_items:
            return None
        return kind, tuple(frozen_items)
    return None
