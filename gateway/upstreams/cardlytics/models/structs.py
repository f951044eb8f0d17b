"""What the answers read by msgspec Structs share: the base class, and the readers that do in
``__post_init__`` what pydantic did beyond types (ids, timestamps, finite amounts).

A ValueError raised there becomes a ``msgspec.ValidationError``, as a type error does; its
message names the rule, never the input (it reaches the log line of an answer that does not
match)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from gateway.upstreams.cardlytics.models.base import Timestamp, id_text

__all__ = [
    "TIMESTAMPS_KEPT",
    "Part",
    "finite",
    "read_fields",
    "wire_id",
    "wire_timestamp",
    "zoned_timestamp",
]


class Part(msgspec.Struct, rename="camel", frozen=True, gc=False):
    """A part of an answer: camelCase on the wire, immutable, not tracked by the collector
    (it holds no cycles). Subclasses repeat ``frozen=True`` for mypy, which does not inherit it."""


_TIMESTAMP = TypeAdapter(Timestamp).validate_python
# ``Timestamp`` without its rule for a timestamp without a zone (read as UTC, logged)
_DATETIME = TypeAdapter(datetime).validate_python
# A timestamp's text read once: offers' start and end dates are the catalogue's, and a customer's
# answers come again and again with the same ones (an answer of 54 ads has ~130 timestamps and
# ~100 distinct texts; a profile has the same dates each time), while pydantic's rules cost about
# a microsecond each. A datetime is
# immutable, so one may be shared. Bounded: dropped wholesale when full.
_TIMESTAMPS: dict[str, datetime] = {}
TIMESTAMPS_KEPT = 8192


def wire_timestamp(value: Any) -> datetime:
    """A timestamp by pydantic's rules (``Timestamp``): msgspec reads RFC 3339 only, and rounds
    digits beyond the microsecond where pydantic cuts them."""
    try:
        return zoned_timestamp(value)
    except _NoZone:
        # read as UTC (``datetime.UTC``, where a zone read gives pydantic's own tzinfo) and
        # logged each time it is read: not kept
        return _TIMESTAMP(value)


class _NoZone(ValueError):
    pass


def zoned_timestamp(value: Any) -> datetime:
    """``wire_timestamp`` of a timestamp with a zone (or a number); a ValueError for one without,
    which ``wire_timestamp`` reads as UTC and logs: this logs nothing."""
    if value.__class__ is str:
        known = _TIMESTAMPS.get(value)
        if known is not None:
            return known
    try:
        read: datetime = _DATETIME(value)
    except PydanticValidationError:
        # pydantic's message quotes the input; msgspec's error (and its log line) must not
        raise ValueError("not a timestamp") from None
    if read.tzinfo is None:
        raise _NoZone("a timestamp without a zone")
    if value.__class__ is str:
        if len(_TIMESTAMPS) >= TIMESTAMPS_KEPT:
            _TIMESTAMPS.clear()
        _TIMESTAMPS[value] = read
    return read


def finite(*amounts: Decimal | None) -> None:
    # as pydantic's Decimal: NaN and infinities (which msgspec reads from strings) are no money
    for amount in amounts:
        if amount is not None and not amount.is_finite():
            raise ValueError("an amount must be a finite number")


def wire_id(value: Any) -> str:
    """``id_text`` for a Struct: the id's text, or a ValueError (msgspec's validation error)."""
    if value.__class__ is str and value:  # nearly always
        return value
    text = id_text(value) if value != "" else None
    if not isinstance(text, str):
        raise ValueError("an id must be a non-empty string or a whole number")
    return text


def read_fields(part: msgspec.Struct, names: tuple[str, ...], read: Callable[[Any], Any]) -> None:
    """Replace each of the fields ``names`` that is not None by what ``read`` makes of it."""
    for name in names:
        value = getattr(part, name)
        if value is not None:
            msgspec.structs.force_setattr(part, name, read(value))
