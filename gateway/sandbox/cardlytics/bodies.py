"""Reading request bodies the way the real API does: strict JSON, every problem reported at once.

Bodies are parsed from the raw bytes with ``json.loads``: no NaN/Infinity, no duplicate keys and
nothing after the value, so the seeds' trailing commas are rejected with 400
``HttpMessageNotReadable`` (C1#1, C2#1). Field checks collect their messages in ``Problems``; one
400 ``ValidationException`` then lists them all.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from fastapi import Request

from gateway.sandbox.cardlytics.errors import CardlyticsError, not_readable, validation_failed

__all__ = [
    "Problems",
    "identifier",
    "is_one_of",
    "money",
    "read_json_object",
    "shown",
    "timestamp",
]


async def read_json_object(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise CardlyticsError.for_status(415)
    try:
        value = json.loads(
            await request.body(), parse_constant=_reject_constant, object_pairs_hook=_unique_keys
        )
    except (ValueError, UnicodeDecodeError):
        raise not_readable() from None
    if not isinstance(value, dict):
        raise not_readable()
    return value


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # RFC 8259 leaves duplicate names to the parser; which value would win is exactly the kind of
    # ambiguity a strict reading (C1#1) refuses, as Jackson does with STRICT_DUPLICATE_DETECTION.
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("duplicate object key")
    return value


class Problems:
    """Validation messages gathered over a whole body."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise validation_failed(*self.messages)

    def boolean(self, body: dict[str, Any], key: str, *, default: bool) -> bool:
        value = body.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(f"{key} must be a boolean")
            return default
        return value

    def strings(self, body: dict[str, Any], key: str) -> tuple[str, ...] | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(f"{key} must be an array of strings")
            return None
        return tuple(value)

    def choices(
        self, body: dict[str, Any], key: str, allowed: Collection[str]
    ) -> tuple[str, ...] | None:
        values = self.strings(body, key)
        for value in values or ():
            if value not in allowed:
                self.add(f"{key}: {shown(value)} is not one of {', '.join(sorted(allowed))}")
        return values


def shown(value: Any) -> str:
    """A received value as JSON, so a message says ``["OLB"]`` when an array came, not ``OLB``."""
    return json.dumps(value)


def is_one_of(value: Any, allowed: Collection[str]) -> bool:
    """Membership that is safe for any JSON value (a list or object is not hashable)."""
    return isinstance(value, str) and value in allowed


def identifier(value: Any) -> str | None:
    """An id sent as a JSON string or integer (C1#2, C1#5), as its decimal string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def timestamp(value: Any) -> datetime | None:
    """An ISO-8601 date-time (a time part is required), or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def money(value: Any) -> Decimal | None:
    """A positive amount in major units with at most two decimals, from a string or number."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))
