"""Strawberry's schema-extension hooks, with what it works out about them per request done once.

For each step of every request (operation, parsing, validation, execution) Strawberry looks up
each extension's hook, asks ``inspect`` what kind of function it is and wraps it anew with
``contextlib.contextmanager`` (``ExtensionContextManagerBase.get_hook``), then opens an exit
stack even for a step no extension hooks into. Here the kind and the wrapper are worked out once
per extension class and hook, and a step with no hook does nothing. The hooks themselves run as
before: the same functions, in the same order, on the same exit stack.
"""

from __future__ import annotations

import contextlib
import inspect
from functools import partial
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

__all__ = ["ExtensionsRunner"]

# Per (extension class, hook name): None (no hook of its own), a contextlib wrapper of the
# function and whether it is async, or ``_OTHER`` (a plain callable: Strawberry's own handling).
_OTHER = object()
_wrappers: dict[tuple[type, str], Any] = {}


def _wrapper(kind: type[SchemaExtension], name: str) -> Any:
    hook = getattr(kind, name)
    if hook is getattr(SchemaExtension, name):
        return None
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    return _OTHER


class _Cached(ExtensionContextManagerBase):
    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        key = (type(extension), self.HOOK_NAME)
        try:
            wrapper = _wrappers[key]
        except KeyError:
            wrapper = _wrappers[key] = _wrapper(*key)
        if wrapper is None:
            return None
        if wrapper is _OTHER:
            return super().get_hook(extension)
        function, is_async = wrapper
        return WrappedHook(
            extension=extension, hook=partial(function, extension), is_async=is_async
        )

    def __enter__(self) -> None:
        if self.hooks:
            super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self.hooks:
            super().__exit__(exc_type, exc_val, exc_tb)

    async def __aenter__(self) -> None:
        if self.hooks:
            await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self.hooks:
            await super().__aexit__(exc_type, exc_val, exc_tb)


class _Operation(_Cached, OperationContextManager):
    pass


class _Validation(_Cached, ValidationContextManager):
    pass


class _Parsing(_Cached, ParsingContextManager):
    pass


class _Executing(_Cached, ExecutingContextManager):
    pass


class ExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
