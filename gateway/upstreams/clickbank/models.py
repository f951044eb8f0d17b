"""The tickets API's payloads as domain models: ids as strings, money as Decimal, dates aware.

Models are built from the readers' plain dicts (``wire.py``) by the wire names (``ticketid``,
``openedDate``...), or by field name in code and tests. Unknown enum values stay raw strings,
unknown fields are ignored: ClickBank adds both without notice. A ticket and its comments are
msgspec Structs, built by ``TicketData.read`` through the open rules (pydantic models, which
decide and word every refusal), or straight from a plain list page's bytes (``plain.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import msgspec
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from gateway.upstreams.clickbank.vocab import (
    CommentRole,
    RefundType,
    TicketAction,
    TicketSource,
    TicketStatus,
    TicketType,
    parse_enum,
)
from gateway.upstreams.clickbank.wire import as_list

__all__ = [
    "MoneyAmount",
    "PartialRefundData",
    "TicketComment",
    "TicketData",
    "TicketFilters",
    "TicketPage",
]

logger = logging.getLogger("gateway.upstreams.clickbank")

E = TypeVar("E", bound=StrEnum)
_naive_dates_seen = False


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _ticket_id(value: Any) -> str:
    # xs:int on the wire, sent as text; anything else could not be used in a later request
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return value.strip()
    raise ValueError("a ticket needs its ticketid, a whole number")


def read_money(value: Any) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError("expected a decimal amount") from exc
    else:  # floats included: money never goes through binary floating point
        raise ValueError("expected a decimal amount")
    if not amount.is_finite():
        raise ValueError("expected a finite amount")
    return amount


def _currency(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha():
        return value.strip().upper()
    raise ValueError("expected an ISO-4217 currency code")


def _timestamp(value: Any) -> datetime | None:
    # the usual case first (a page holds a thousand): no blanks around it, a zone in it
    if value.__class__ is str and not value[-1:].isspace():
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass  # not a date-time at all: the checks below say so
        else:
            if moment.tzinfo is not None:
                return moment
    if _blank(value):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip())  # Z, ±hh:mm, fractions (3.11+)
    else:
        raise ValueError("expected an xs:dateTime")
    if moment.tzinfo is None:
        _log_naive_date()
        return moment.replace(tzinfo=UTC)  # upstreams.md A12: no zone is read as UTC
    return moment


def _log_naive_date() -> None:
    global _naive_dates_seen
    level = logging.DEBUG if _naive_dates_seen else logging.WARNING
    _naive_dates_seen = True
    logger.log(level, "clickbank date-time without a zone, read as UTC")


def open_enum(enum: type[E]) -> Callable[[Any], E | str | None]:
    members: dict[Any, E] = {member.value: member for member in enum}

    def parse(value: Any) -> E | str | None:
        # a value as the API writes it is one dict lookup, not an Enum call
        if value.__class__ is str and (member := members.get(value)) is not None:
            return member
        if _blank(value):
            return None
        if isinstance(value, str):
            return parse_enum(enum, value.strip())
        raise ValueError("expected an enumeration value")

    return parse


def _comments(value: Any) -> Any:
    return value if isinstance(value, tuple) else tuple(as_list(value))


# Text or nil, nothing else (no number read as its digits): pydantic's strict str, checked in
# its own code instead of a Python call per field.
Text = Annotated[str | None, Strict()]
Money = Annotated[Decimal | None, BeforeValidator(read_money)]
Timestamp = Annotated[datetime | None, BeforeValidator(_timestamp)]
Currency = Annotated[str | None, BeforeValidator(_currency)]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_alias=True, validate_by_name=True
    )


class _Rules:
    """The open rules as pydantic models, named as the domain models they build (pydantic's
    messages name them)."""

    class TicketComment(_Model):
        """One entry of a ticket's history (``ticketCommentData``), by the open rules."""

        comment_id: Text = Field(default=None, validation_alias="commentId")
        date: Timestamp = None
        comment: Text = None
        action: Annotated[TicketAction | str | None, BeforeValidator(open_enum(TicketAction))] = (
            None
        )
        role: Annotated[CommentRole | str | None, BeforeValidator(open_enum(CommentRole))] = Field(
            default=None, validation_alias="commentRole"
        )

    class TicketData(_Model):
        """A ticket (XSD ``ticketData``) by the open rules: what ``TicketData.read`` applies, and
        what decides (and words the refusal of) any row the plain list reader does not take."""

        ticket_id: Annotated[str, BeforeValidator(_ticket_id)] = Field(validation_alias="ticketid")
        receipt: Text = None
        status: Annotated[TicketStatus | str | None, BeforeValidator(open_enum(TicketStatus))] = (
            None
        )
        type: Annotated[TicketType | str | None, BeforeValidator(open_enum(TicketType))] = None
        comments: Annotated[tuple[TicketComment, ...], BeforeValidator(_comments)] = ()
        opened_date: Timestamp = Field(default=None, validation_alias="openedDate")
        closed_date: Timestamp = Field(default=None, validation_alias="closedDate")
        description: Text = None
        refund_type: Annotated[RefundType | str | None, BeforeValidator(open_enum(RefundType))] = (
            Field(default=None, validation_alias="refundType")
        )
        refund_amount: Money = Field(default=None, validation_alias="refundAmount")
        customer_first_name: Text = Field(default=None, validation_alias="customerFirstName")
        customer_last_name: Text = Field(default=None, validation_alias="customerLastName")
        email: Text = None
        email_at_order_time: Text = Field(default=None, validation_alias="emailAtOrderTime")
        expiration_date: Timestamp = Field(default=None, validation_alias="expirationDate")
        locale: Text = None
        note: Text = None
        product_item_no: Text = Field(default=None, validation_alias="productItemNo")
        update_time: Timestamp = Field(default=None, validation_alias="updateTime")
        source: Annotated[TicketSource | str | None, BeforeValidator(open_enum(TicketSource))] = (
            None
        )


# The domain objects are msgspec Structs: a list page makes a hundred tickets and two hundred
# comments, which pydantic built at several microseconds each (``plain.py`` builds them from the
# page's bytes). Immutable, and not tracked by the collector (they hold no cycles).


class TicketComment(msgspec.Struct, frozen=True, gc=False):
    """One entry of a ticket's history (``ticketCommentData``)."""

    comment_id: str | None = None
    date: datetime | None = None
    comment: str | None = None
    action: TicketAction | str | None = None
    role: CommentRole | str | None = None


# Left out of repr: the customer's details (as the pydantic model's ``repr=False`` did).
_PRIVATE = frozenset({"customer_first_name", "customer_last_name", "email", "email_at_order_time"})


class TicketData(msgspec.Struct, frozen=True, gc=False):
    """A ticket as the API returns it (XSD ``ticketData``); customer details stay out of repr."""

    ticket_id: str
    receipt: str | None = None
    status: TicketStatus | str | None = None
    type: TicketType | str | None = None
    comments: tuple[TicketComment, ...] = ()
    opened_date: datetime | None = None
    closed_date: datetime | None = None
    description: str | None = None
    refund_type: RefundType | str | None = None
    refund_amount: Decimal | None = None
    customer_first_name: str | None = None
    customer_last_name: str | None = None
    email: str | None = None
    email_at_order_time: str | None = None
    expiration_date: datetime | None = None
    locale: str | None = None
    note: str | None = None
    product_item_no: str | None = None
    update_time: datetime | None = None
    source: TicketSource | str | None = None

    @classmethod
    def read(cls, raw: Any) -> TicketData:
        """A ticket from a reader's plain dict (``wire.py``) by the open rules, by wire names or
        field names; raises pydantic's ``ValidationError`` naming the fields it cannot read."""
        rules = _Rules.TicketData.model_validate(raw)
        comments = tuple(
            TicketComment(c.comment_id, c.date, c.comment, c.action, c.role) for c in rules.comments
        )
        return cls(**{**rules.__dict__, "comments": comments})

    def __repr__(self) -> str:
        shown = (
            f"{name}={getattr(self, name)!r}"
            for name in self.__struct_fields__
            if name not in _PRIVATE
        )
        return f"TicketData({', '.join(shown)})"

    # ``refundAmount`` carries no currency: it is a percentage for PARTIAL_PERCENT and an amount
    # in the customer's purchase currency for PARTIAL_AMOUNT (seed), which the ticket does not
    # name. These say which it is, so nobody shows a percentage as money.
    @property
    def refund_percent(self) -> Decimal | None:
        if self.refund_type is RefundType.PARTIAL_PERCENT:
            return self.refund_amount
        return None

    @property
    def refund_in_customer_currency(self) -> Decimal | None:
        if self.refund_type is RefundType.PARTIAL_AMOUNT:
            return self.refund_amount
        return None


class MoneyAmount(_Model):
    """An exact amount and the currency it is in."""

    amount: Decimal
    currency: str


class PartialRefundData(_Model):
    """What a refund of a given type and amount would give back, in three currencies.

    The raw fields are as the API sends them (each may be missing); ``usd``, ``customer`` and
    ``product`` pair each amount with its currency, and are None unless both are known.
    """

    usd_amount: Money = Field(default=None, validation_alias="usdAmount")
    customer_amount: Money = Field(default=None, validation_alias="customerAmount")
    customer_currency: Currency = Field(default=None, validation_alias="customerCurrency")
    product_amount: Money = Field(default=None, validation_alias="productAmount")
    product_currency: Currency = Field(default=None, validation_alias="productCurrency")

    @property
    def usd(self) -> MoneyAmount | None:
        return _money_amount(self.usd_amount, "USD")

    @property
    def customer(self) -> MoneyAmount | None:
        return _money_amount(self.customer_amount, self.customer_currency)

    @property
    def product(self) -> MoneyAmount | None:
        return _money_amount(self.product_amount, self.product_currency)


def _money_amount(amount: Decimal | None, currency: str | None) -> MoneyAmount | None:
    if amount is None or currency is None:
        return None
    return MoneyAmount(amount=amount, currency=currency)


class TicketPage(_Model):
    """One page of a ticket search; ``has_more`` is the upstream's 206 (or a page cap reached)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)  # TicketData is a Struct

    tickets: tuple[TicketData, ...]
    has_more: bool
    page: int = Field(ge=1)


@dataclass(frozen=True)
class TicketFilters:
    """Search criteria of ``list`` (all optional; ``rules.list_params`` checks them).

    ``type`` and ``status`` take either vocabulary (``rfnd`` or ``REFUND``); dates are ``date``s
    or ``yyyy-mm-dd`` strings, and each from/to pair is all or nothing.
    """

    type: str | None = None
    status: str | None = None
    receipt: str | None = None
    create_date_from: date | str | None = None
    create_date_to: date | str | None = None
    update_date_from: date | str | None = None
    update_date_to: date | str | None = None
    close_date_from: date | str | None = None
    close_date_to: date | str | None = None
