"""Strawberry's argument conversion for one type, with what depends on the type worked out once.

``convert_argument`` works out again for every value what never changes for its type: which
kind of type it is, and for an input object each field's GraphQL name and resolved type
(``StrawberryField.resolve_type`` alone was about a third of the CPU of a 20-event
``recordOfferEvents``). ``converter(type_)`` returns a function doing what
``convert_argument(value, type_, ...)`` does, in the same order and with the same calls where
code runs (an input type's ``from_input`` hook, read at each call as Strawberry reads it; the
input class itself), and Strawberry's own ``convert_argument`` for anything it does not take
apart: ``Maybe``, ``GlobalID`` and any type it does not know. ``tests/plans/test_inputs.py``
compares the two on generated values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.types.arguments import (
    InputContext,
    _is_leaf_type,
    _is_optional_leaf_type,
    convert_argument,
)
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

__all__ = ["Converter", "converter", "runs_code"]

Path = tuple[str | int, ...]
# (value, info, path) -> the converted value, as convert_argument(value, type_, ..., info, path)
Converter = Callable[[Any, Any, Path], Any]


def converter(type_: Any, scalar_registry: Mapping[object, Any], config: Any) -> Converter:
    """``convert_argument`` for values of ``type_``."""
    return _Builder(scalar_registry, config).build(type_)


class _Builder:
    def __init__(self, scalar_registry: Mapping[object, Any], config: Any) -> None:
        self.registry = scalar_registry
        self.config = config
        # input classes already built: an input type may contain itself
        self.inputs: dict[type, Converter] = {}

    def build(self, type_: Any) -> Converter:
        from strawberry.relay.types import GlobalID

        if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
            return self._strawberry(type_)
        if isinstance(type_, StrawberryOptional):
            # convert_argument unwraps it and converts as the inner type
            return self.build(type_.of_type)
        if isinstance(type_, StrawberryList):
            return self._list(type_)
        if _is_leaf_type(type_, self.registry) or has_enum_definition(type_):
            return _as_is
        if isinstance(type_, LazyType):
            return self.build(type_.resolve_type())
        if has_object_definition(type_):
            return self._input(type_)
        return self._strawberry(type_)  # raises as Strawberry does, when called

    def _list(self, type_: StrawberryList) -> Converter:
        from strawberry.relay.types import GlobalID

        item = type_.of_type
        skip = (GlobalID,)
        if _is_leaf_type(item, self.registry, skip) or _is_optional_leaf_type(
            item, self.registry, skip
        ):
            return _copied
        convert_item = self.build(item)

        def convert(value: Any, info: Any, path: Path) -> Any:
            if value is None or value is UNSET:
                return value
            return [convert_item(x, info, (*path, index)) for index, x in enumerate(value)]

        return convert

    def _input(self, type_: type) -> Converter:
        if (built := self.inputs.get(type_)) is not None:
            return built
        definition = type_.__strawberry_definition__  # type: ignore[attr-defined]
        registry, config = self.registry, self.config
        # Nullable fields with no default of their own are None unless given (graphql-core has
        # checked that every required one is).
        defaults = (
            {
                field.python_name: None
                for field in definition.fields
                if field.default_value is MISSING and field.default_factory is MISSING
            }
            if definition.is_input
            else {}
        )
        fields: list[tuple[str, str, Converter]] = []

        def convert(value: Any, info: Any, path: Path) -> Any:
            if value is None or value is UNSET:
                return value
            hook = definition.from_input
            if hook is not None:
                context = InputContext(
                    info=info, config=config, scalar_registry=registry, path=path
                )
                return hook(type_, value, context)
            kwargs = dict(defaults)
            for name, python_name, convert_field in fields:
                if name in value:
                    kwargs[python_name] = convert_field(value[name], info, (*path, name))
            return type_(**kwargs)

        self.inputs[type_] = convert  # before its fields: one of them may be this type
        name_converter = config.name_converter
        fields.extend(
            (
                name_converter.from_field(field),
                field.python_name,
                self.build(field.resolve_type(type_definition=definition)),
            )
            for field in definition.fields
        )
        return convert

    def _strawberry(self, type_: Any) -> Converter:
        registry, config = self.registry, self.config

        def convert(value: Any, info: Any, path: Path) -> Any:
            return convert_argument(value, type_, registry, config, info, path=path)

        return convert


def runs_code(convert: Converter) -> bool:
    """Whether converting may run code (an input's hook or class, Strawberry's conversion):
    anything but a value taken as it is or a list copied."""
    return convert is not _as_is and convert is not _copied


def _as_is(value: Any, info: Any, path: Path) -> Any:
    return value


def _copied(value: Any, info: Any, path: Path) -> Any:
    # graphql-core gives every request that omits a list the same default one: copied, so that
    # a resolver changing it changes nothing for the next request
    if value is None or value is UNSET:
        return value
    return list(value)
