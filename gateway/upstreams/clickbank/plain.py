"""The usual JSON list page read straight from its bytes into ``TicketData``.

A search answers pages of a hundred tickets; read the general way (``wire.py``: orjson, then
Jersey's notation undone value by value, then the open rules per ticket) each cost about 1.7 ms.
Most pages are plain: ``{"ticketData": [...]}``, every value a text or Jersey's
``{"@nil":"true"}``, no field the schema does not name, every enum value one we know, every date
with a zone. Such a page is decoded by msgspec into the Structs below (the enums typed, so
msgspec finds their members) and its tickets built from them with the same rules;
``read_plain_page`` gives None for any other body (any doubt at all), which is then read the
general way, which decides, refuses, words its errors and logs as before. So nothing here logs
or refuses anything: a page it does not take (one with an enum value ClickBank has newly added,
until it is added to ``vocab.py``) costs one extra, failed decode.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
    action: TicketAction | _Nil | UnsetType | None = UNSET
    comment_role: CommentRole | _Nil | UnsetType | None = UNSET


class _Row(msgspec.Struct, gc=False, rename="camel", forbid_unknown_fields=True):
    ticketid: str
    receipt: _Value = None
    status: TicketStatus | _Nil | None = None
    type: TicketType | _Nil | None = None
    # Jersey's repeated element: a list, or the bare entry when there is one
    comments: list[_Comment] | _Comment | None = None
    opened_date: _Value = None
    closed_date: _Value = None
    description: _Value = None
    refund_type: RefundType | _Nil | None = None
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
    source: TicketSource | _Nil | None = None


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


# A date's text read once: a ticket's comments repeat its own dates, and searches come back to
# the same tickets, while reading one costs more than the rest of a comment. A datetime is
# immutable, so one may be shared. Bounded: dropped wholesale when full.
_MOMENTS: dict[str, datetime] = {}
MOMENTS_KEPT = 8192


def _moment(value: str) -> datetime:
    # ``models._timestamp``'s usual case: a date-time with a zone
    moment = _MOMENTS.get(value)
    if moment is None:
        moment = datetime.fromisoformat(value)  # a ValueError: not plain (blanks around it too)
        if moment.tzinfo is None:
            raise _NotPlain  # read as UTC and logged by the rules
        if len(_MOMENTS) >= MOMENTS_KEPT:
            _MOMENTS.clear()
        _MOMENTS[value] = moment
    return moment


# Each value spelt out below, in the expression that builds the object: a hundred tickets and two
# hundred comments a page, and a function call per value cost more than the values.


def _comment(comment: _Comment) -> TicketComment:
    date = comment.date
    action = comment.action
    role = comment.comment_role
    return TicketComment(
        comment.comment_id if isinstance(comment.comment_id, str) else None,
        _moment(date) if isinstance(date, str) else None,
        comment.comment if isinstance(comment.comment, str) else None,
        action if isinstance(action, TicketAction) else None,
        role if isinstance(role, CommentRole) else None,
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
    opened, closed, expires, updated = (
        row.opened_date,
        row.closed_date,
        row.expiration_date,
        row.update_time,
    )
    amount = row.refund_amount
    return TicketData(
        ticket_id,
        row.receipt if isinstance(row.receipt, str) else None,
        row.status if isinstance(row.status, TicketStatus) else None,
        row.type if isinstance(row.type, TicketType) else None,
        _comments(row.comments),
        _moment(opened) if isinstance(opened, str) else None,
        _moment(closed) if isinstance(closed, str) else None,
        row.description if isinstance(row.description, str) else None,
        row.refund_type if isinstance(row.refund_type, RefundType) else None,
        models.read_money(amount) if isinstance(amount, str) else None,
        row.customer_first_name if isinstance(row.customer_first_name, str) else None,
        row.customer_last_name if isinstance(row.customer_last_name, str) else None,
        row.email if isinstance(row.email, str) else None,
        row.email_at_order_time if isinstance(row.email_at_order_time, str) else None,
        _moment(expires) if isinstance(expires, str) else None,
        row.locale if isinstance(row.locale, str) else None,
        row.note if isinstance(row.note, str) else None,
        row.product_item_no if isinstance(row.product_item_no, str) else None,
        _moment(updated) if isinstance(updated, str) else None,
        row.source if isinstance(row.source, TicketSource) else None,
    )
