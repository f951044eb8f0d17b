"""Each distinct document prepared once: parsed, validated and priced against the limits.

The frontends send a handful of documents over and over; parsing and validating one costs more
than running it. ``LimitQueries`` keeps what it learnt about a document here, keyed by its text
and the parser's token limit, and bounded (least recently used first out) so a flood of distinct
documents cannot grow memory. Only successes are kept: a document that fails to parse, validate
or fit the limits is worked out afresh each time, through the same code as the first time, so
its errors are exactly what they were.

Limits depend on variables only through the page sizes (``first`` / ``last`` / ``limit`` given
as variables): a document is remembered as within limits per set of those values.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

__all__ = ["SIZE_ARGUMENTS", "DocumentCache", "PreparedDocument", "as_size"]

SIZE_ARGUMENTS = ("first", "last", "limit")
# Page-size combinations remembered per document: one per distinct page size a client sends.
_MAX_WITHIN_LIMITS = 64
_MISSING = object()


class PreparedDocument:
    """A parsed document and what is known to hold for it."""

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.valid = False  # validated against the schema without errors
        self._size_variables = _size_variables(document)
        self._within: set[Hashable] = set()

    def within_limits(self, limits: Hashable, variables: Mapping[str, Any]) -> bool:
        return (limits, self._sizes(variables)) in self._within

    def remember_within_limits(self, limits: Hashable, variables: Mapping[str, Any]) -> None:
        if len(self._within) >= _MAX_WITHIN_LIMITS:
            self._within.clear()
        self._within.add((limits, self._sizes(variables)))

    def _sizes(self, variables: Mapping[str, Any]) -> tuple[object, ...]:
        # The same reading as the limit check's: an int counts, anything else is "no size", and a
        # variable left out takes its default (fixed by the document, so "left out" is the key).
        return tuple(
            as_size(variables[name]) if name in variables else _MISSING
            for name in self._size_variables
        )


class DocumentCache:
    """Prepared documents by (text, token limit), at most ``maxsize`` of them."""

    def __init__(self, maxsize: int) -> None:
        self._entries: LRUCache[tuple[str, int], PreparedDocument] = LRUCache(maxsize)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str, max_tokens: int) -> PreparedDocument | None:
        return self._entries.get((query, max_tokens))

    def put(self, query: str, max_tokens: int, document: DocumentNode) -> PreparedDocument:
        prepared = PreparedDocument(document)
        self._entries[(query, max_tokens)] = prepared
        return prepared


def as_size(value: object) -> int | None:
    """A page size as the limit check reads it: an int counts, anything else (a bool) is none."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _size_variables(document: DocumentNode) -> tuple[str, ...]:
    """Names of the variables given as a page size anywhere in the document."""
    names: set[str] = set()
    # Iterative: the parser lets a document nest deeper than Python's recursion limit.
    pending: list[SelectionSetNode] = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    value = argument.value
                    if argument.name.value in SIZE_ARGUMENTS and isinstance(value, VariableNode):
                        names.add(value.name.value)
            if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
    return tuple(sorted(names))
