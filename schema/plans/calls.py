"""A field's resolver called as Strawberry's wrapper calls it, without the wrapper.

Strawberry wraps each resolver (``GraphQLCoreConverter.from_resolver``) in layers that work out
again on every call what never changes: the field extensions' chain (none here), each argument's
GraphQL name, type and kind of conversion (``get_arguments``, ``convert_arguments``), which
parameters take the parent and the info; and an async resolver gets a coroutine of its own
around the resolver's. For a field with no field extension (permission classes are one), no
exception handler and a plain Python resolver, ``Call`` does what those layers do, with that
worked out once: the same ``Info``, the same converted arguments (``schema.plans.inputs``:
``convert_argument`` with each argument type taken apart once), the same parameters, and a
coroutine of its own only where
converting runs code (so that it runs when Strawberry's would, once awaited: the same order, an
error at the same point). Any other field, or one whose resolve function is no longer
Strawberry's (a test's stand-in), is called through that function.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLField, GraphQLResolveInfo
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField

from schema.plans.inputs import Converter, converter, runs_code

__all__ = ["Call", "direct_call"]

# Strawberry's wrappers for a field with a resolver: async and sync (``from_resolver``).
_WRAPPERS = {
    "GraphQLCoreConverter.from_resolver.<locals>._async_resolver": True,
    "GraphQLCoreConverter.from_resolver.<locals>._resolver": False,
}


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
        self.deferred = is_async and any(runs_code(convert) for _, _, convert in self.arguments)

    def _argument(self, argument: StrawberryArgument) -> tuple[str, str, Converter]:
        name = self.config.name_converter.from_argument(argument)
        assert argument.python_name
        return (
            name,
            argument.python_name,
            converter(argument.type, self.scalar_registry, self.config),
        )

    def installed(self) -> Callable[..., Any]:
        """A resolve function for the GraphQL field itself (graphql-core's signature), which
        this call then stands for."""

        def resolve(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
            return self(source, info, arguments)

        self.resolve = resolve
        return resolve

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
        for name, python_name, convert in self.arguments:
            if name in given:
                kwargs[python_name] = convert(given[name], info, (name,))
        return kwargs


async def _raising(error: Exception) -> Any:
    raise error


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
