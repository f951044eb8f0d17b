"""Parameter validation: every documented rule that needs no stored data, each a 400 naming it.

Rules that need the receipt or other tickets (sku exists, amount within the purchase, a refund
already open) live in ``actions.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from gateway.sandbox.clickbank.conventions import Params
from gateway.sandbox.clickbank.errors import bad_request
from gateway.sandbox.clickbank.vocab import (
    REASONS,
    REQUEST_STATUSES,
    REQUEST_TYPES,
    RefundType,
    Status,
    TicketType,
)

__all__ = [
    "MAX_RANGE_DAYS",
    "CreateOrder",
    "DateRange",
    "Edit",
    "RefundQuery",
    "TicketFilter",
    "UpdateOrder",
    "parse_create",
    "parse_filter",
    "parse_page",
    "parse_refund_query",
    "parse_ticket_id",
    "parse_update",
]

MAX_RANGE_DAYS = 7  # "The range cannot be more than 7 days in length": to - from <= 7 days
MIN_RECEIPT_CHARS = 4
PERCENT_RANGE = (Decimal(1), Decimal(80))
MAX_INT = 2**31 - 1  # {id} is an xs:int

_NUMBER = re.compile(r"\d+(?:\.(\d*))?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class RefundQuery:
    refund_type: RefundType
    refund_amount: Decimal | None  # None for FULL
    sku: str | None


@dataclass(frozen=True)
class CreateOrder:
    type: TicketType
    reason: str
    refund: RefundQuery | None  # only for rfnd
    sku: str | None
    comment: str | None
    retain_subscription: bool


class Edit(StrEnum):
    COMMENT = "comment"  # no action given
    CHANGE = "change"
    CLOSE = "close"
    REOPEN = "reopen"


@dataclass(frozen=True)
class UpdateOrder:
    edit: Edit
    comment: str | None
    type: TicketType | None  # for change


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class TicketFilter:
    type: TicketType | None = None
    status: Status | None = None
    receipt: str | None = None
    created: DateRange | None = None
    updated: DateRange | None = None
    closed: DateRange | None = None


def parse_create(params: Params) -> CreateOrder:
    ticket_type = _ticket_type(params.required("type"))
    reason = _reason(ticket_type, params.required("reason"))
    refund = None
    if ticket_type is TicketType.REFUND:
        # Marked optional in the seed, yet rfnd needs it (C3#2).
        if params.get("refundType") is None:
            raise bad_request("The parameter refundType is required when type is rfnd")
        refund = parse_refund_query(params)
    return CreateOrder(
        type=ticket_type,
        reason=reason,
        refund=refund,
        sku=params.get("sku"),
        comment=params.get("comment"),
        retain_subscription=_boolean("retainSubscription", params.get("retainSubscription")),
    )


def parse_refund_query(params: Params) -> RefundQuery:
    raw_type = params.required("refundType")
    try:
        refund_type = RefundType(raw_type)  # case-sensitive, as documented
    except ValueError:
        raise bad_request(
            "refundType must be one of FULL, PARTIAL_PERCENT, PARTIAL_AMOUNT (case sensitive)"
        ) from None
    amount = _refund_amount(refund_type, params.get("refundAmount"))
    return RefundQuery(refund_type, amount, params.get("sku"))


def parse_update(params: Params) -> UpdateOrder:
    raw_action = params.get("action")
    try:
        edit = Edit(raw_action.lower()) if raw_action else Edit.COMMENT
    except ValueError:
        raise bad_request("action must be one of change, close, reopen") from None
    if edit is Edit.COMMENT and raw_action:
        raise bad_request("action must be one of change, close, reopen")
    comment = params.get("comment")
    if edit is Edit.REOPEN and comment is None:
        raise bad_request("A comment is required to reopen a ticket")
    if edit is Edit.COMMENT and comment is None:
        raise bad_request("The parameter comment is required when no action is given")
    ticket_type = _ticket_type(params.required("type")) if edit is Edit.CHANGE else None
    return UpdateOrder(edit, comment, ticket_type)


def parse_filter(params: Params, *, check_receipt: bool) -> TicketFilter:
    """The list/count filters; ``check_receipt`` applies the list-only receipt rule (C3#11)."""
    raw_type, raw_status, receipt = params.get("type"), params.get("status"), params.get("receipt")
    status = None
    if raw_status is not None:
        status = REQUEST_STATUSES.get(raw_status.lower())
        if status is None:
            raise bad_request("status must be one of open, reopened, closed")
    if receipt is not None and check_receipt:
        if receipt.startswith("%"):
            raise bad_request("receipt may not start with the wildcard character %")
        if len(receipt.replace("%", "")) < MIN_RECEIPT_CHARS:
            raise bad_request("receipt must be at least 4 characters long, not counting %")
    return TicketFilter(
        type=_ticket_type(raw_type) if raw_type is not None else None,
        status=status,
        receipt=receipt,
        created=_date_range(params, "createDate"),
        updated=_date_range(params, "updateDate"),
        closed=_date_range(params, "closeDate"),
    )


def parse_page(raw: str | None) -> int:
    if raw is None:
        return 1
    if not raw.strip().isdigit() or int(raw) < 1:
        raise bad_request("The Page header must be a positive integer")
    return int(raw)


def parse_ticket_id(raw: str) -> int | None:
    """The ``{id}`` path segment as an xs:int, or None when it is not one."""
    if not raw.isdigit() or int(raw) > MAX_INT:
        return None
    return int(raw)


def _ticket_type(raw: str) -> TicketType:
    ticket_type = REQUEST_TYPES.get(raw.lower())
    if ticket_type is None:
        raise bad_request("type must be one of rfnd, cncl, tech")
    return ticket_type


def _reason(ticket_type: TicketType, reason: str) -> str:
    if reason in REASONS[ticket_type]:
        return reason
    word = next(word for word, known in REQUEST_TYPES.items() if known is ticket_type)
    if any(reason in codes for codes in REASONS.values()):
        raise bad_request(f"reason {reason} does not belong to type {word}")
    raise bad_request(f"reason {reason} is not a known reason code")


def _refund_amount(refund_type: RefundType, raw: str | None) -> Decimal | None:
    if not refund_type.partial:
        return None  # a FULL refund ignores refundAmount
    if raw is None:
        raise bad_request(f"The parameter refundAmount is required for {refund_type}")
    match = _NUMBER.fullmatch(raw)
    if match is None:
        raise bad_request("refundAmount must be a positive number, for example 50.00")
    if len(match.group(1) or "") > 2:
        raise bad_request("refundAmount may have no more than two decimal places")
    amount = Decimal(raw)
    low, high = PERCENT_RANGE
    if refund_type is RefundType.PARTIAL_PERCENT and not low <= amount <= high:
        raise bad_request("refundAmount must be between 1 and 80 for PARTIAL_PERCENT")
    if amount <= 0:
        raise bad_request("refundAmount must be greater than 0")
    return amount


def _boolean(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise bad_request(f"{name} must be true or false")
    return raw.lower() == "true"


def _date(params: Params, name: str) -> date | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name} must be a date in the format yyyy-mm-dd") from None


def _date_range(params: Params, stem: str) -> DateRange | None:
    first, last = _date(params, f"{stem}From"), _date(params, f"{stem}To")
    if first is None and last is None:
        return None
    if first is None or last is None:
        raise bad_request(f"{stem}From and {stem}To must be given together")
    if last < first:
        raise bad_request(f"{stem}To must not be before {stem}From")
    if (last - first).days > MAX_RANGE_DAYS:
        raise bad_request(f"The {stem} range cannot be more than {MAX_RANGE_DAYS} days")
    return DateRange(first, last)
