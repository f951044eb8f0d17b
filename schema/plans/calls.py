"""A field's resolver called as Strawberry's wrapper calls it, without the wrapper.

Strawberry wraps each resolver (``GraphQLCoreConverter.from_resolver``) in layers that work out
again on every call what never changes: the field extensions' chain (none here), each argument's
GraphQL name, type and kind of conversion (``get_arguments``, ``convert_arguments``), which
parameters take the parent and the info; and an async resolver gets a coroutine of its own
around the resolver's. For a field with no field extension (permission classes are one), no
exception handler and a plain Python resolver, ``Call`` does what those layers do, with that
worked out once: the same ``Info``, the same converted arguments (an input type's ``from_input``
hook called as ``convert_argument`` calls it, anything but scalars, enums and lists of them
through ``convert_argument`` itself), the same parameters, and a coroutine of its own only where
converting runs code (so that it runs when Strawberry's would, once awaited: the same order, an
error at the same point). Any other field, or one whose resolve function is no longer
Strawberry's (a test's stand-in), is called through that function.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLField, GraphQLResolveInfo
from strawberry.types.arguments import (
    InputContext,
    StrawberryArgument,
    _is_leaf_type,
    _is_optional_leaf_type,
    convert_argument,
)
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
)
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UNSET

__all__ = ["Call", "direct_call"]

# Strawberry's wrappers for a field with a resolver: async and sync (``from_resolver``).
_WRAPPERS = {
    "GraphQLCoreConverter.from_resolver.<locals>._async_resolver": True,
    "GraphQLCoreConverter.from_resolver.<locals>._resolver": False,
}

# How an argument's value is converted: as it is, a list copied, by its input type's
# ``from_input`` hook, or by Strawberry.
_AS_IS, _COPIED, _BUILT, _CONVERTED = range(4)


class Call:
    """One field's resolver, called with ``(source, info, arguments as graphql-core gives
    them)``."""

    def __init__(
        self,
        resolve: Callable[..., Any],
        field: StrawberryField,
        function: Callable[..., Any],
        is_async: bool,
        strawberry_schema: Any,
    ) -> None:
        resolver = field.base_resolver
        assert resolver is not None
        self.resolve = resolve  # while the GraphQL field's resolve is this, the call stands
        self.field = field
        self.function = function
        self.is_async = is_async
        self.config = strawberry_schema.config
        self.info_class = self.config.info_class
        self.scalar_registry = strawberry_schema.schema_converter.scalar_registry
        self.takes_self = resolver.self_parameter is not None
        self.source_names = tuple(
            parameter.name
            for parameter in (resolver.parent_parameter, resolver.root_parameter)
            if parameter is not None
        )
        info_parameter = resolver.info_parameter
        self.info_name = info_parameter.name if info_parameter is not None else None
        self.arguments = [self._argument(argument) for argument in field.arguments]
        # An async resolver whose arguments run code to convert (an input's hook, Strawberry's
        # conversion) gets them converted once awaited, as under Strawberry: in the same order
        # and, for an error, at the same point.
        self.deferred = is_async and any(
            kind in (_BUILT, _CONVERTED) for _, _, kind, _ in self.arguments
        )

    def _argument(self, argument: StrawberryArgument) -> tuple[str, str, int, Any]:
        name = self.config.name_converter.from_argument(argument)
        assert argument.python_name
        argument_type = argument.type
        kind = self._kind(argument_type)
        if kind == _BUILT and isinstance(argument_type, StrawberryOptional):
            argument_type = argument_type.of_type  # the input type, what its hook is given
        return name, argument.python_name, kind, argument_type

    def _kind(self, argument_type: Any) -> int:
        """What ``convert_argument`` does with a value of ``argument_type``, when that is
        nothing (a scalar or an enum), copying a list (of them) or calling an input type's
        ``from_input``; else ``_CONVERTED``."""
        from strawberry.relay.types import GlobalID

        registry = self.scalar_registry
        if isinstance(argument_type, StrawberryMaybe):
            return _CONVERTED
        if isinstance(argument_type, StrawberryOptional):
            argument_type = argument_type.of_type
        if _input_hook(argument_type) is not None:
            return _BUILT
        if isinstance(argument_type, StrawberryList):
            item = argument_type.of_type
            skip = (GlobalID,)
            if _is_leaf_type(item, registry, skip) or _is_optional_leaf_type(item, registry, skip):
                return _COPIED
            return _CONVERTED
        if argument_type is not GlobalID and _is_leaf_type(argument_type, registry):
            return _AS_IS
        return _CONVERTED

    def __call__(self, source: Any, info: GraphQLResolveInfo[Any], given: Mapping[str, Any]) -> Any:
        strawberry_info = self.info_class(_raw_info=info, _field=self.field)
        if self.deferred:
            return self._later(source, strawberry_info, given)
        args, kwargs = self._parameters(source, strawberry_info, given)
        if not self.is_async:
            return self.function(*args, **kwargs)
        try:
            return self.function(*args, **kwargs)
        except Exception as error:
            # Only binding the arguments raises before an async function's body runs; under
            # Strawberry it raises once awaited.
            return _raising(error)

    async def _later(self, source: Any, info: Any, given: Mapping[str, Any]) -> Any:
        # As Strawberry's own coroutine: the arguments converted once it is awaited.
        args, kwargs = self._parameters(source, info, given)
        return await self.function(*args, **kwargs)

    def _parameters(
        self, source: Any, info: Any, given: Mapping[str, Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        kwargs = self._converted(given, info)
        args = [source] if self.takes_self else []
        for name in self.source_names:
            kwargs[name] = source
        if self.info_name is not None:
            kwargs[self.info_name] = info
        return args, kwargs

    def _converted(self, given: Mapping[str, Any], info: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        for name, python_name, kind, argument_type in self.arguments:
            if name not in given:
                continue
            value = given[name]
            if kind == _CONVERTED:
                kwargs[python_name] = convert_argument(
                    value, argument_type, self.scalar_registry, self.config, info, path=(name,)
                )
            elif kind == _AS_IS or value is None or value is UNSET:
                kwargs[python_name] = value
            elif kind == _COPIED:
                # graphql-core gives every request that omits a list the same default one
                kwargs[python_name] = list(value)
            elif (hook := _input_hook(argument_type)) is not None:
                context = InputContext(info, self.config, self.scalar_registry, (name,))
                kwargs[python_name] = hook(argument_type, value, context)
            else:  # the hook was taken off since
                kwargs[python_name] = convert_argument(
                    value, argument_type, self.scalar_registry, self.config, info, path=(name,)
                )
        return kwargs


async def _raising(error: Exception) -> Any:
    raise error


def _input_hook(input_type: Any) -> Callable[[type, Mapping[str, Any], InputContext], Any] | None:
    """An input type's ``from_input``, which ``convert_argument`` calls for its values."""
    definition = getattr(input_type, "__strawberry_definition__", None)
    if isinstance(definition, StrawberryObjectDefinition) and definition.is_input:
        return definition.from_input
    return None


def direct_call(definition: GraphQLField, field: Any, strawberry_schema: Any) -> Call | None:
    """A ``Call`` for ``definition`` when its resolve function is Strawberry's wrapper of a plain
    resolver with nothing around it (no field extension, no exception handler)."""
    resolve = definition.resolve
    is_async = _WRAPPERS.get(getattr(resolve, "__qualname__", ""))
    if (
        resolve is None
        or is_async is None
        or strawberry_schema is None
        or getattr(resolve, "__module__", None) != "strawberry.schema.schema_converter"
        or not isinstance(field, StrawberryField)
        or field.base_resolver is None
        or field.extensions
        or _closure(resolve).get("field_exception_handlers", None) != ()
        or field.is_async != is_async
    ):
        return None
    function = field.base_resolver.wrapped_func
    if not callable(function):
        return None  # Strawberry raises its own error for it
    if is_async and not inspect.iscoroutinefunction(function):
        # A resolver that returns an awaitable: Strawberry's coroutine awaits whatever it gives.
        return None
    try:
        return Call(resolve, field, function, is_async, strawberry_schema)
    except Exception:  # an argument type this does not know: Strawberry's wrapper it is
        return None


def _closure(function: Callable[..., Any]) -> dict[str, Any]:
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None) or ()
    if code is None:
        return {}
    try:
        return {
            name: cell.cell_contents for name, cell in zip(code.co_freevars, cells, strict=True)
        }
    except ValueError:  # an empty cell
        return {}
