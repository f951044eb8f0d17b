"""Field types every Cardlytics payload shares: tolerant of representation, strict on meaning.

- ids are ``str``: a JSON number ``1756524`` becomes ``"1756524"`` (no exponent, no ``.0``);
- money is ``Decimal``, read from the JSON number text (see ``wire.loads``), never a float;
- timestamps take any ISO-8601 form, and one without a zone is read as UTC;
- enums we receive are open: a known value becomes its enum member, an unknown one stays a plain
  ``str`` (logged), because Cardlytics adds values and a new one must not break a screen.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticKnownError

__all__ = [
    "Accepted",
    "Id",
    "Money",
    "OpenMembers",
    "Timestamp",
    "WireModel",
    "id_text",
    "none_as_empty",
    "warn_unknown",
]

logger = logging.getLogger("gateway.upstreams.cardlytics")


class WireModel(BaseModel):
    """A Cardlytics payload: camelCase on the wire, snake_case in Python, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        extra="ignore",
    )


def id_text(value: Any) -> Any:
    """An id as its decimal text when it came as a JSON number; strings pass through, but not an
    empty one."""
    if isinstance(value, str):  # nearly always: a getAds answer has hundreds of ids
        if not value:
            # pydantic's own min_length error, word for word, without a second Python validator
            # on every id (the webhook's 422 names it)
            raise PydanticKnownError(
                "too_short", {"field_type": "Value", "min_length": 1, "actual_length": 0}
            )
        return value
    if isinstance(value, bool):
        raise ValueError("an id cannot be a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        try:
            whole = int(value)
        except (ValueError, OverflowError):
            raise ValueError("an id must be a finite number") from None
        if value != whole:
            raise ValueError("a numeric id must be a whole number")
        return str(whole)
    return value


Id = Annotated[str, BeforeValidator(id_text)]


def _assume_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        logger.debug("cardlytics timestamp without a zone read as UTC")
        return value.replace(tzinfo=UTC)
    return value


Timestamp = Annotated[datetime, AfterValidator(_assume_utc)]


def none_as_empty(value: Any) -> Any:
    """For maps the upstream may send as ``null`` when there is nothing in them."""
    return {} if value is None else value


def warn_unknown(enum: type[StrEnum]) -> AfterValidator:
    """After-validator for an open enum: keep an unknown value, but say so in the logs."""

    def check(value: Any) -> Any:
        if not isinstance(value, enum):
            _warn_unknown(enum, value)
        return value

    return AfterValidator(check)


class OpenMembers(dict[str, Any]):
    """An open enum's members by their text: ``members[value]`` is the member for a known
    value, else ``value`` itself, logged. One dict subscript for the known ones, where a call
    costs several times more: six per ad of every getAds answer."""

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__(enum._value2member_map_)
        self.enum = enum

    def __missing__(self, value: str) -> str:
        _warn_unknown(self.enum, value)
        return value


def _warn_unknown(enum: type[StrEnum], value: Any) -> None:
    logger.warning(
        "unknown cardlytics enum value kept",
        extra={"enum": enum.__name__, "value": str(value)[:64]},
    )


class Accepted(WireModel):
    """An acknowledgement that carries nothing but the echoed request id (or no body at all)."""

    request_id: str | None = None


_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Money:
    """An amount in major units with its ISO-4217 currency.

    The API's amounts carry no currency of their own: it is the portfolio's
    ``rewardCurrencyUnit`` (``Customer.reward_currency``), so callers pair the two here.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValueError("an amount must be a finite Decimal")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError("a currency must be an ISO-4217 code such as USD")
