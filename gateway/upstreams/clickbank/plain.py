"""The usual JSON list page read straight from its bytes into ``TicketData``.

A search answers pages of a hundred tickets; read the general way (``wire.py``: orjson, then
Jersey's notation undone value by value, then the open rules per ticket) each cost about 1.7 ms.
Most pages are plain: ``{"ticketData": [...]}``, every value a text or Jersey's
``{"@nil":"true"}``, no field the schema does not name, every date with a zone. Such a page is
decoded by msgspec into the Structs below and its tickets built from them with the same rules;
``read_plain_page`` gives None for any other body (any doubt at all), which is then read the
general way, which decides, refuses, words its errors and logs as before. So nothing here logs
or refuses anything: a page it does not take costs one extra, failed decode.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from gateway.upstreams.clickbank import models
from gateway.upstreams.clickbank.models import TicketComment, TicketData
from gateway.upstreams.clickbank.vocab import (
    CommentRole,
    RefundType,
    TicketAction,
    TicketSource,
    TicketStatus,
    TicketType,
)

__all__ = ["read_plain_page"]


class _NotPlain(ValueError):
    """A value the open rules must read (or refuse)."""


class _Nil(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    # exactly Jersey's nil as the simulator writes it; other spellings go the general way
    nil: Literal["true"] = msgspec.field(name="@nil")


# A value as a plain page has it: text, Jersey's nil, or JSON's null.
_Value = str | _Nil | None


class _Comment(msgspec.Struct, gc=False, rename="camel", forbid_unknown_fields=True):
    # UNSET tells ``{}`` (no comment at all, when it stands alone) from a comment of nils
    comment_id: _Value | UnsetType = UNSET
    date: _Value | UnsetType = UNSET
    comment: _Value | UnsetType = UNSET
    action: _Value | UnsetType = UNSET
    comment_role: _Value | UnsetType = UNSET


class _Row(msgspec.Struct, gc=False, rename="camel", forbid_unknown_fields=True):
    ticketid: str
    receipt: _Value = None
    status: _Value = None
    type: _Value = None
    # Jersey's repeated element: a list, or the bare entry when there is one
    comments: list[_Comment] | _Comment | None = None
    opened_date: _Value = None
    closed_date: _Value = None
    description: _Value = None
    refund_type: _Value = None
    refund_amount: _Value = None
    customer_first_name: _Value = None
    customer_last_name: _Value = None
    email: _Value = None
    email_at_order_time: _Value = None
    expiration_date: _Value = None
    locale: _Value = None
    note: _Value = None
    product_item_no: _Value = None
    update_time: _Value = None
    source: _Value = None


class _Page(msgspec.Struct, gc=False, rename="camel", forbid_unknown_fields=True):
    ticket_data: list[_Row]


_PAGE = msgspec.json.Decoder(_Page)


def read_plain_page(body: bytes) -> tuple[TicketData, ...] | None:
    """The tickets of a plain JSON list page, or None: read it the general way."""
    try:
        rows = _PAGE.decode(body).ticket_data
        return tuple([_ticket(row) for row in rows])
    except (msgspec.DecodeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return value if value.__class__ is str else None


# the open rules' enum readers: a value as the API writes it is one dict lookup there, and a new
# one (ClickBank adds them) is kept as its text, as the rules keep it
_STATUS = models.open_enum(TicketStatus)
_TYPE = models.open_enum(TicketType)
_REFUND_TYPE = models.open_enum(RefundType)
_SOURCE = models.open_enum(TicketSource)
_ACTION = models.open_enum(TicketAction)
_ROLE = models.open_enum(CommentRole)


def _member(parse: Callable[[Any], Any], value: Any) -> Any:
    return parse(value) if value.__class__ is str else None


def _moment(value: Any) -> datetime | None:
    # ``models._timestamp``'s usual case: a date-time with a zone, no blanks around it
    if value.__class__ is not str:
        return None
    if value[-1:].isspace():
        raise _NotPlain
    moment = datetime.fromisoformat(value)  # a ValueError: not plain
    if moment.tzinfo is None:
        raise _NotPlain  # read as UTC and logged by the rules
    return moment


def _amount(value: Any) -> Decimal | None:
    return models.read_money(value) if value.__class__ is str else None


def _comment(comment: _Comment) -> TicketComment:
    return TicketComment(
        _text(comment.comment_id),
        _moment(comment.date),
        _text(comment.comment),
        _member(_ACTION, comment.action),
        _member(_ROLE, comment.comment_role),
    )


def _comments(value: list[_Comment] | _Comment | None) -> tuple[TicketComment, ...]:
    if value is None:
        return ()
    if isinstance(value, _Comment):
        if value == _EMPTY:
            raise _NotPlain  # ``{}``: no comments, as the rules read it
        return (_comment(value),)
    return tuple([_comment(comment) for comment in value])


_EMPTY = _Comment()


def _ticket(row: _Row) -> TicketData:
    ticket_id = row.ticketid
    if not (ticket_id.isdigit() and ticket_id.isascii()):
        raise _NotPlain
    return TicketData(
        ticket_id,
        _text(row.receipt),
        _member(_STATUS, row.status),
        _member(_TYPE, row.type),
        _comments(row.comments),
        _moment(row.opened_date),
        _moment(row.closed_date),
        _text(row.description),
        _member(_REFUND_TYPE, row.refund_type),
        _amount(row.refund_amount),
        _text(row.customer_first_name),
        _text(row.customer_last_name),
        _text(row.email),
        _text(row.email_at_order_time),
        _moment(row.expiration_date),
        _text(row.locale),
        _text(row.note),
        _text(row.product_item_no),
        _moment(row.update_time),
        _member(_SOURCE, row.source),
    )
