"""What the differential reader tests share: an old reader and a new one read the same bytes
(an answer, and that answer mutated field by field), and must agree on the value and on what is
logged, or both reject it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any

import msgspec

__all__ = ["JSON", "REMOVE", "Rejected", "logged", "mutated", "paths"]

# Decimals written as the numbers they are, as an upstream sends money.
JSON = msgspec.json.Encoder(decimal_format="number")

Rejected = type("Rejected", (), {"__repr__": lambda self: "<rejected>"})()

# ``mutated``'s value for "this field left out".
REMOVE = object()


class _Records(logging.Handler):
    def __init__(self, extras: tuple[str, ...]) -> None:
        super().__init__(logging.DEBUG)
        self.extras = extras
        self.seen: Counter[tuple[Any, ...]] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        fields = (repr(getattr(record, name, None)) for name in self.extras)
        self.seen[(record.levelname, record.getMessage(), *fields)] += 1


@contextmanager
def logged(logger: logging.Logger, extras: tuple[str, ...] = ()) -> Iterator[Counter[Any]]:
    """The records ``logger`` emits in the block (level, message and the ``extras`` fields)."""
    handler = _Records(extras)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and index path into ``value``, parents first."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*at, key)
        yield from paths(child, (*at, key))


def mutated(answer: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``answer`` with ``path`` set to ``value`` (``REMOVE``: left out)."""
    changed = deepcopy(answer)
    *parents, last = path
    target = changed
    for key in parents:
        target = target[key]
    if value is REMOVE:
        del target[last]
    else:
        target[last] = value
    return changed
