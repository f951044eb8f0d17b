"""Every documented request rule is checked by the client: the error names the argument, and
nothing reaches the simulator (its call counter stays empty)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from gateway.upstreams.clickbank import ClickBankTicketsClient, TicketFilters, TicketRequestInvalid
from tests.support.sandbox import Sandbox
from tests.upstreams.clickbank_support import (
    DIGITAL_RECEIPT,
    OPEN_TECH_TICKET,
    clickbank_client,
)

Call = Callable[[ClickBankTicketsClient], Awaitable[Any]]

RFND = "ticket.type.refund.2"
CNCL = "ticket.type.cancel.1"
LONG_COMMENT = "x" * 2000


def create(**overrides: Any) -> Call:
    args: dict[str, Any] = {
        "receipt": DIGITAL_RECEIPT,
        "type": "rfnd",
        "reason": RFND,
        "refund_type": "FULL",
    } | overrides
    return lambda client: client.create_ticket(**args)


def listing(**filters: Any) -> Call:
    return lambda client: client.list_page(TicketFilters(**filters))


def week(start: Any, end: Any) -> dict[str, Any]:
    return {"create_date_from": start, "create_date_to": end}


INVALID: dict[str, tuple[Call, str]] = {
    # create: type, reason, refund rules
    "unknown type": (create(type="refund-please"), "type"),
    "reason of another type": (create(reason=CNCL), "reason"),
    "unknown reason": (create(reason="ticket.type.refund.99"), "reason"),
    "rfnd without refund type": (create(refund_type=None), "refund_type"),
    "lower-case refund type": (create(refund_type="full"), "refund_type"),
    "response-only refund type": (create(refund_type="PARTIAL_QUANTITY"), "refund_type"),
    "tax refund type": (create(refund_type="TAX"), "refund_type"),
    "full refund with an amount": (create(refund_amount=Decimal(5)), "refund_amount"),
    "percent without amount": (create(refund_type="PARTIAL_PERCENT"), "refund_amount"),
    "amount without amount": (create(refund_type="PARTIAL_AMOUNT"), "refund_amount"),
    "percent below 1": (
        create(refund_type="PARTIAL_PERCENT", refund_amount=Decimal("0.99")),
        "refund_amount",
    ),
    "percent above 80": (
        create(refund_type="PARTIAL_PERCENT", refund_amount=Decimal("80.01")),
        "refund_amount",
    ),
    "percent with 3 decimals": (
        create(refund_type="PARTIAL_PERCENT", refund_amount=Decimal("12.345")),
        "refund_amount",
    ),
    "amount of zero": (create(refund_type="PARTIAL_AMOUNT", refund_amount="0"), "refund_amount"),
    "negative amount": (create(refund_type="PARTIAL_AMOUNT", refund_amount="-5"), "refund_amount"),
    "amount as a float": (
        create(refund_type="PARTIAL_AMOUNT", refund_amount=9.99),
        "refund_amount",
    ),
    "amount not a number": (
        create(refund_type="PARTIAL_AMOUNT", refund_amount="ten"),
        "refund_amount",
    ),
    "amount not finite": (
        create(refund_type="PARTIAL_AMOUNT", refund_amount="NaN"),
        "refund_amount",
    ),
    "refund type on a cancel": (create(type="cncl", reason=CNCL), "refund_type"),
    "retain subscription on a cancel": (
        create(type="cncl", reason=CNCL, refund_type=None, retain_subscription=True),
        "retain_subscription",
    ),
    "wildcard receipt on create": (create(receipt="K8XQ%"), "receipt"),
    "blank receipt": (create(receipt="  "), "receipt"),
    "receipt with a slash": (create(receipt="K8XQ/../list"), "receipt"),
    "comment too long for a URL": (create(comment=LONG_COMMENT), "comment"),
    # one ticket: id, comments, change
    "ticket id not a number": (lambda c: c.get_ticket("list"), "ticket_id"),
    "ticket id with a path": (lambda c: c.get_ticket("4100001/returned"), "ticket_id"),
    "returned on a bad id": (lambda c: c.mark_returned("12a"), "ticket_id"),
    "empty comment": (lambda c: c.comment(OPEN_TECH_TICKET, "   "), "comment"),
    "reopen without comment": (lambda c: c.reopen(OPEN_TECH_TICKET, ""), "comment"),
    "change to an unknown type": (lambda c: c.change_type(OPEN_TECH_TICKET, "escl"), "type"),
    "change to a response-only type": (
        lambda c: c.change_type(OPEN_TECH_TICKET, "PRODUCT_CHANGE"),
        "type",
    ),
    # refund previews
    "preview without amount": (
        lambda c: c.refund_amounts(DIGITAL_RECEIPT, "PARTIAL_PERCENT"),
        "refund_amount",
    ),
    "preview of a full refund with an amount": (
        lambda c: c.refund_amounts(DIGITAL_RECEIPT, "FULL", Decimal(10)),
        "refund_amount",
    ),
    "preview of an unknown refund type": (
        lambda c: c.refund_amounts(DIGITAL_RECEIPT, "HALF"),
        "refund_type",
    ),
    # list and count
    "unknown status": (listing(status="pending"), "status"),
    "unknown list type": (listing(type="refund"), "type"),
    "receipt too short": (listing(receipt="K8X"), "receipt"),
    "receipt short but for wildcards": (listing(receipt="K8%%%%"), "receipt"),
    "receipt starting with a wildcard": (listing(receipt="%8XQ2ZB7"), "receipt"),
    "count receipt too short": (lambda c: c.count(receipt="K8%"), "receipt"),
    "count receipt starting with a wildcard": (lambda c: c.count(receipt="%K8XQ"), "receipt"),
    "count unknown status": (lambda c: c.count(status="OPENED"), "status"),
    "only a start date": (listing(create_date_from="2024-09-09"), "create_date_to"),
    "only an end date": (listing(close_date_to="2024-09-09"), "close_date_from"),
    "date in another format": (listing(**week("09/09/2024", "2024-09-15")), "create_date_from"),
    "date with a time": (listing(**week("2024-09-09T00:00", "2024-09-15")), "create_date_from"),
    "impossible date": (listing(**week("2024-09-09", "2024-09-31")), "create_date_to"),
    "range of 8 days": (listing(**week("2024-09-01", "2024-09-09")), "create_date_to"),
    "range backwards": (listing(**week("2024-09-15", "2024-09-09")), "create_date_to"),
    "update range too long": (
        listing(update_date_from=date(2024, 1, 1), update_date_to=date(2024, 2, 1)),
        "update_date_to",
    ),
    "page zero": (lambda c: c.list_page(page=0), "page"),
}


@pytest.mark.parametrize(("call", "field"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_request_is_refused_before_sending(
    sandbox: Sandbox, call: Call, field: str
) -> None:
    # given
    async with clickbank_client(sandbox.clickbank_url) as client:
        # when
        with pytest.raises(TicketRequestInvalid) as caught:
            await call(client)
    # then
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert sandbox.calls("clickbank") == {}


VALID_EDGES: dict[str, tuple[Call, str]] = {
    "percent of exactly 80": (
        lambda c: c.refund_amounts(DIGITAL_RECEIPT, "PARTIAL_PERCENT", "80"),
        "GET /rest/1.3/tickets/refundAmounts/{receipt}",
    ),
    "percent of exactly 1.00": (
        lambda c: c.refund_amounts(DIGITAL_RECEIPT, "PARTIAL_PERCENT", Decimal("1.00")),
        "GET /rest/1.3/tickets/refundAmounts/{receipt}",
    ),
    "range of exactly 7 days": (
        listing(**week("2024-09-09", "2024-09-16")),
        "GET /rest/1.3/tickets/list",
    ),
    "one-day range from datetimes": (
        listing(**week(datetime(2024, 9, 9, 8), datetime(2024, 9, 9, 20))),
        "GET /rest/1.3/tickets/list",
    ),
    "receipt of 4 characters and wildcards": (
        listing(receipt="K8XQ%"),
        "GET /rest/1.3/tickets/list",
    ),
    "status in the response vocabulary": (
        lambda c: c.count(status="REOPENED"),
        "GET /rest/1.3/tickets/count",
    ),
}


@pytest.mark.parametrize(("call", "route"), VALID_EDGES.values(), ids=VALID_EDGES.keys())
async def test_edge_of_each_rule_is_sent(sandbox: Sandbox, call: Call, route: str) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        await call(client)
    assert sandbox.calls("clickbank") == {route: 1}
