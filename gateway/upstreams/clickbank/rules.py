"""Every documented request rule, checked before anything is sent (seed 002, upstreams.md C3).

Each function validates one operation's arguments and returns its query parameters (the API
takes parameters only in the query string, upstreams.md A3). A broken rule raises
``TicketRequestInvalid`` naming the argument, so the caller can point at the input field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from gateway.upstreams.clickbank.models import TicketFilters
from gateway.upstreams.clickbank.vocab import (
    REASONS,
    REQUEST_REFUND_TYPES,
    RefundType,
    RequestType,
    request_status,
    request_type,
)

__all__ = [
    "DATE_FIELD_PAIRS",
    "MAX_DATE_RANGE",
    "MAX_URL_LENGTH",
    "Amount",
    "Params",
    "TicketRequestInvalid",
    "change_params",
    "check_url_length",
    "close_params",
    "comment_params",
    "count_params",
    "create_params",
    "list_params",
    "order_receipt",
    "parse_date",
    "refund_amounts_params",
    "reopen_params",
    "ticket_id",
]

Params = dict[str, str]
Amount = Decimal | int | str

MAX_DATE_RANGE = timedelta(days=7)
MAX_URL_LENGTH = 2000  # API-Specifications article: URLs stay at or under 2,000 characters
MAX_PERCENT = Decimal(80)
MIN_PERCENT = Decimal(1)
CENT = Decimal("0.01")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TICKET_ID = re.compile(r"[0-9]{1,19}")
_UNSAFE_IN_RECEIPT = re.compile(r"[\s/?#%\\]")
DATE_FIELD_PAIRS = (
    ("create_date_from", "create_date_to", "createDateFrom", "createDateTo"),
    ("update_date_from", "update_date_to", "updateDateFrom", "updateDateTo"),
    ("close_date_from", "close_date_to", "closeDateFrom", "closeDateTo"),
)


class TicketRequestInvalid(ValueError):
    """A request the API would refuse, caught before sending; ``field`` names the argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- identifiers --------------------------------------------------------------------------


def ticket_id(value: str) -> str:
    # xs:int on the wire; checking it also keeps anything but digits out of the URL path
    text = str(value).strip()
    if not _TICKET_ID.fullmatch(text):
        raise TicketRequestInvalid("ticket_id", "must be a ticket number (digits only)")
    return text


# A receipt naming one order (create, refund previews): no wildcard, no path characters.
def order_receipt(value: str) -> str:
    text = value.strip()
    if not text or len(text) > 64 or _UNSAFE_IN_RECEIPT.search(text):
        raise TicketRequestInvalid("receipt", "must be an order receipt number")
    return text


def _search_receipt(value: str) -> str:
    # Seed, list: 4+ characters not counting '%', not starting with '%'; C3#11: count too.
    text = value.strip()
    if text.startswith("%"):
        raise TicketRequestInvalid("receipt", "may not start with the wildcard '%'")
    if len(text.replace("%", "")) < 4:
        raise TicketRequestInvalid("receipt", "needs 4 or more characters besides '%'")
    return text


# --- vocabularies -------------------------------------------------------------------------


def _type(value: str, field: str = "type") -> RequestType:
    kind = request_type(value)
    if kind is None:
        raise TicketRequestInvalid(field, "must be rfnd, cncl or tech")
    return kind


def _status(value: str) -> str:
    status = request_status(value)
    if status is None:
        raise TicketRequestInvalid("status", "must be open, reopened or closed")
    return status.value


def _refund_type(value: str) -> RefundType:
    if value not in REQUEST_REFUND_TYPES:  # case-sensitive upstream; response-only values too
        raise TicketRequestInvalid("refund_type", "must be FULL, PARTIAL_PERCENT or PARTIAL_AMOUNT")
    return RefundType(value)


def _reason(kind: RequestType, value: str) -> str:
    if value not in REASONS[kind]:
        raise TicketRequestInvalid("reason", f"is not a reason code for {kind.value} tickets")
    return value


# --- money --------------------------------------------------------------------------------


def _amount(value: Amount) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TicketRequestInvalid("refund_amount", "must be a decimal number (not a float)")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise TicketRequestInvalid("refund_amount", "must be a decimal number") from None
    if not amount.is_finite():
        raise TicketRequestInvalid("refund_amount", "must be a decimal number")
    return amount


def _refund(refund_type: str, refund_amount: Amount | None) -> Params:
    kind = _refund_type(refund_type)
    if kind is RefundType.FULL:
        if refund_amount is not None:
            raise TicketRequestInvalid("refund_amount", "is only for partial refunds")
        return {"refundType": kind.value}
    if refund_amount is None:
        raise TicketRequestInvalid("refund_amount", f"is required for {kind.value}")
    amount = _amount(refund_amount)
    if kind is RefundType.PARTIAL_PERCENT and not MIN_PERCENT <= amount <= MAX_PERCENT:
        raise TicketRequestInvalid("refund_amount", "must be a percentage from 1 to 80")
    if amount <= 0:
        raise TicketRequestInvalid("refund_amount", "must be more than zero")
    # The seed allows two decimals for a percentage; amounts are in the customer's currency,
    # and every currency ClickBank sells in has cents, so two decimals hold for both.
    if amount != amount.quantize(CENT):
        raise TicketRequestInvalid("refund_amount", "may have at most 2 decimals")
    return {"refundType": kind.value, "refundAmount": str(amount.quantize(CENT))}


# --- comments -----------------------------------------------------------------------------


def _required_comment(value: str | None, why: str) -> str:
    if value is None or not value.strip():
        raise TicketRequestInvalid("comment", why)
    return value.strip()


def _optional_comment(value: str | None) -> Params:
    return {"comment": value.strip()} if value is not None and value.strip() else {}


def check_url_length(length: int, field: str = "comment") -> None:
    if length > MAX_URL_LENGTH:
        raise TicketRequestInvalid(
            field, "is too long: the request URL would pass 2,000 characters"
        )


# --- operations ---------------------------------------------------------------------------


def create_params(
    type: str,
    reason: str,
    *,
    sku: str | None,
    comment: str | None,
    refund_type: str | None,
    refund_amount: Amount | None,
    retain_subscription: bool | None,
) -> Params:
    kind = _type(type)
    params: Params = {"type": kind.value, "reason": _reason(kind, reason)}
    if kind is RequestType.RFND:
        if refund_type is None:  # C3#2: documented as optional, but rfnd needs it
            raise TicketRequestInvalid("refund_type", "is required for rfnd tickets")
        params |= _refund(refund_type, refund_amount)
    else:
        _refund_only(refund_type, refund_amount, retain_subscription)
    if retain_subscription is not None:
        params["retainSubscription"] = "true" if retain_subscription else "false"
    if sku is not None and sku.strip():
        params["sku"] = sku.strip()
    return params | _optional_comment(comment)


def _refund_only(
    refund_type: str | None, refund_amount: Amount | None, retain_subscription: bool | None
) -> None:
    for field, value in (
        ("refund_type", refund_type),
        ("refund_amount", refund_amount),
        ("retain_subscription", retain_subscription),
    ):
        if value is not None:
            raise TicketRequestInvalid(field, "applies to rfnd tickets only")


def refund_amounts_params(
    refund_type: str, refund_amount: Amount | None, sku: str | None
) -> Params:
    # C3#3: refundAmount is marked required but only means something for the partial types
    params = _refund(refund_type, refund_amount)
    if sku is not None and sku.strip():
        params["sku"] = sku.strip()
    return params


def comment_params(text: str) -> Params:
    return {"comment": _required_comment(text, "a comment needs some text")}


def change_params(type: str, comment: str | None) -> Params:
    # Changing to rfnd always makes a full refund: the API takes no refund parameters here.
    return {"action": "change", "type": _type(type).value} | _optional_comment(comment)


def close_params(comment: str | None) -> Params:
    return {"action": "close"} | _optional_comment(comment)


def reopen_params(comment: str) -> Params:
    return {"action": "reopen", "comment": _required_comment(comment, "reopening needs a comment")}


def count_params(type: str | None, status: str | None, receipt: str | None) -> Params:
    params: Params = {}
    if type is not None:
        params["type"] = _type(type).value
    if status is not None:
        params["status"] = _status(status)
    if receipt is not None:
        params["receipt"] = _search_receipt(receipt)
    return params


def list_params(filters: TicketFilters) -> Params:
    params = count_params(filters.type, filters.status, filters.receipt)
    for from_field, to_field, from_param, to_param in DATE_FIELD_PAIRS:
        start, end = getattr(filters, from_field), getattr(filters, to_field)
        if start is None and end is None:
            continue
        if start is None or end is None:
            missing = from_field if start is None else to_field
            raise TicketRequestInvalid(missing, "date ranges need both ends")
        first, last = parse_date(start, from_field), parse_date(end, to_field)
        if last < first:
            raise TicketRequestInvalid(to_field, "is before the start of the range")
        if last - first > MAX_DATE_RANGE:
            raise TicketRequestInvalid(to_field, "date ranges may span at most 7 days")
        params[from_param], params[to_param] = first.isoformat(), last.isoformat()
    return params


# A filter date: a ``date`` (a ``datetime`` counts by its day) or ``yyyy-mm-dd`` text.
def parse_date(value: date | str, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not _DATE.fullmatch(value):
        raise TicketRequestInvalid(field, "must be a date written yyyy-mm-dd")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TicketRequestInvalid(field, "is not a calendar date") from None
