"""Vendor ticket mutations end to end: each action, every rule before sending, typed refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graphql.test_vendor_tickets import execute
from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox

CREATE_CALL = "POST /rest/1.3/tickets/{receipt}"
PUT = "PUT /rest/1.3/tickets/{ticket_id}"
RETURNED = "POST /rest/1.3/tickets/{ticket_id}/returned"
GET = "GET /rest/1.3/tickets/{ticket_id}"

FIELDS = """
ticket { id receipt type status refundType refundPercent refundAmountInCustomerCurrency note
         productItemNo comments { text action } }
errors { __typename message
         ... on ValidationError { field }
         ... on RejectedError { upstream } }
"""

CREATE = f"""
mutation ($input: CreateVendorTicketInput!) {{ createVendorTicket(input: $input) {{ {FIELDS} }} }}
"""


def _mutation(name: str, input_type: str) -> str:
    return f"""
    mutation ($input: {input_type}!) {{ {name}(input: $input) {{ {FIELDS} }} }}
    """


CHANGE = _mutation("changeVendorTicketType", "ChangeVendorTicketTypeInput")
COMMENT = _mutation("commentOnVendorTicket", "CommentOnVendorTicketInput")
CLOSE = _mutation("closeVendorTicket", "CloseVendorTicketInput")
REOPEN = _mutation("reopenVendorTicket", "ReopenVendorTicketInput")
RETURN = _mutation("markVendorTicketReturned", "MarkVendorTicketReturnedInput")


async def _run(gateway: Gateway, document: str, input: dict[str, Any]) -> dict[str, Any]:
    result = await execute(gateway, document, {"input": input}, token=gateway.agent())
    assert result.errors == []
    assert result.data is not None
    [payload] = result.data.values()
    assert isinstance(payload, dict)
    return payload


async def test_a_full_refund(gateway: Gateway, sandbox: Sandbox) -> None:
    payload = await _run(
        gateway,
        CREATE,
        {
            "receipt": "K8XQ2ZB7",
            "type": "REFUND",
            "reason": "REFUND_NOT_SATISFIED",
            "refundType": "FULL",
            "comment": "Customer asked by phone",
        },
    )
    assert payload["errors"] == []
    ticket = payload["ticket"]
    assert (ticket["receipt"], ticket["type"], ticket["status"]) == ("K8XQ2ZB7", "REFUND", "OPEN")
    assert ticket["refundType"] == "FULL"
    assert int(ticket["id"]) >= 5000001
    assert sandbox.calls("clickbank") == {CREATE_CALL: 1}


async def test_a_partial_refund_by_percent_and_by_amount(gateway: Gateway) -> None:
    by_percent = await _run(
        gateway,
        CREATE,
        {
            "receipt": "E2NF6KJ8",
            "type": "REFUND",
            "reason": "REFUND_NOT_SATISFIED",
            "refundType": "PARTIAL_PERCENT",
            "refundAmount": "25",
        },
    )
    assert by_percent["errors"] == []
    assert by_percent["ticket"]["refundPercent"] == "25.00"
    by_amount = await _run(
        gateway,
        CREATE,
        {
            "receipt": "G5LB8CU3",
            "type": "REFUND",
            "reason": "REFUND_NEVER_RECEIVED",
            "refundType": "PARTIAL_AMOUNT",
            "refundAmount": "10.50",
            "sku": "BOOK-01",
        },
    )
    assert by_amount["errors"] == []
    assert by_amount["ticket"]["refundAmountInCustomerCurrency"] == "10.50"
    assert by_amount["ticket"]["productItemNo"] == "BOOK-01"


async def test_a_cancel_and_a_tech_support_ticket(gateway: Gateway) -> None:
    cancel = await _run(
        gateway, CREATE, {"receipt": "M3RV9TQ2", "type": "CANCEL", "reason": "CANCEL_CANNOT_AFFORD"}
    )
    assert cancel["errors"] == []
    assert cancel["ticket"]["type"] == "CANCEL"
    tech = await _run(
        gateway, CREATE, {"receipt": "K8XQ2ZB7", "type": "TECH_SUPPORT", "reason": "TECH_OTHER"}
    )
    assert tech["errors"] == []
    assert tech["ticket"]["type"] == "TECH_SUPPORT"


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"type": "REFUND", "reason": "CANCEL_OTHER", "refundType": "FULL"}, "reason"),
        ({"type": "CANCEL", "reason": "REFUND_OTHER"}, "reason"),
        ({"type": "REFUND", "reason": "REFUND_OTHER"}, "refundType"),
        (
            {"type": "REFUND", "reason": "REFUND_OTHER", "refundType": "PARTIAL_PERCENT"},
            "refundAmount",
        ),
        (
            {
                "type": "REFUND",
                "reason": "REFUND_OTHER",
                "refundType": "PARTIAL_PERCENT",
                "refundAmount": "80.01",
            },
            "refundAmount",
        ),
        (
            {
                "type": "REFUND",
                "reason": "REFUND_OTHER",
                "refundType": "PARTIAL_AMOUNT",
                "refundAmount": "1.005",
            },
            "refundAmount",
        ),
        ({"type": "TECH_SUPPORT", "reason": "TECH_OTHER", "refundType": "FULL"}, "refundType"),
        (
            {"type": "CANCEL", "reason": "CANCEL_OTHER", "retainSubscription": True},
            "retainSubscription",
        ),
        ({"type": "TECH_SUPPORT", "reason": "TECH_OTHER", "receipt": "K8X/Q2"}, "receipt"),
    ],
)
async def test_every_create_rule_is_checked_before_sending(
    gateway: Gateway, sandbox: Sandbox, input: dict[str, Any], field: str
) -> None:
    payload = await _run(gateway, CREATE, {"receipt": "K8XQ2ZB7", **input})
    assert payload["ticket"] is None
    [error] = payload["errors"]
    assert error["__typename"] == "ValidationError"
    assert error["field"] == ["input", field]
    assert sandbox.calls("clickbank") == {}


async def test_a_second_refund_is_rejected_with_clickbanks_words(gateway: Gateway) -> None:
    payload = await _run(
        gateway,
        CREATE,
        {"receipt": "P7HD4WX5", "type": "REFUND", "reason": "REFUND_OTHER", "refundType": "FULL"},
    )
    assert payload["ticket"] is None
    assert payload["errors"] == [
        {
            "__typename": "RejectedError",
            "message": "Refund ticket already open",
            "upstream": "clickbank",
        }
    ]


async def test_a_partial_refund_for_a_vendor_without_them_is_not_allowed(
    gateway: Gateway,
) -> None:
    payload = await _run(
        gateway,
        CREATE,
        {
            "receipt": "T9WC3HM6",
            "type": "REFUND",
            "reason": "REFUND_OTHER",
            "refundType": "PARTIAL_PERCENT",
            "refundAmount": "10",
        },
    )
    assert payload["ticket"] is None
    assert [e["__typename"] for e in payload["errors"]] == ["NotAllowedError"]


async def test_change_type_to_refund_makes_it_full(gateway: Gateway, sandbox: Sandbox) -> None:
    payload = await _run(gateway, CHANGE, {"ticketId": "4100002", "type": "REFUND"})
    assert payload["errors"] == []
    assert (payload["ticket"]["type"], payload["ticket"]["refundType"]) == ("REFUND", "FULL")
    assert sandbox.calls("clickbank") == {PUT: 1}


async def test_comment_close_and_reopen(gateway: Gateway, sandbox: Sandbox) -> None:
    commented = await _run(gateway, COMMENT, {"ticketId": "4100005", "comment": "Try again"})
    assert commented["ticket"]["comments"][-1]["text"] == "Try again"
    closed = await _run(gateway, CLOSE, {"ticketId": "4100005", "comment": "Solved"})
    assert closed["ticket"]["status"] == "CLOSED"
    reopened = await _run(gateway, REOPEN, {"ticketId": "4100005", "comment": "Broken again"})
    assert reopened["errors"] == []
    assert reopened["ticket"]["status"] == "REOPENED"
    assert sandbox.calls("clickbank") == {PUT: 3}


async def test_reopening_an_open_ticket_is_rejected(gateway: Gateway) -> None:
    payload = await _run(gateway, REOPEN, {"ticketId": "4100005", "comment": "Why not"})
    assert payload["ticket"] is None
    [error] = payload["errors"]
    assert error["__typename"] == "RejectedError"
    assert error["message"]


@pytest.mark.parametrize(
    ("document", "input", "field"),
    [
        (REOPEN, {"ticketId": "4100004", "comment": "   "}, "comment"),
        (COMMENT, {"ticketId": "4100005", "comment": ""}, "comment"),
        (CLOSE, {"ticketId": "41000x5"}, "ticketId"),
        (RETURN, {"ticketId": "-1"}, "ticketId"),
    ],
)
async def test_ticket_action_rules_are_checked_before_sending(
    gateway: Gateway, sandbox: Sandbox, document: str, input: dict[str, Any], field: str
) -> None:
    payload = await _run(gateway, document, input)
    assert payload["ticket"] is None
    assert payload["errors"][0]["field"] == ["input", field]
    assert sandbox.calls("clickbank") == {}


async def test_another_accounts_ticket_is_not_allowed(gateway: Gateway) -> None:
    payload = await _run(gateway, COMMENT, {"ticketId": "4900001", "comment": "Hello"})
    assert payload["ticket"] is None
    assert [e["__typename"] for e in payload["errors"]] == ["NotAllowedError"]


async def test_mark_returned(gateway: Gateway, sandbox: Sandbox) -> None:
    payload = await _run(gateway, RETURN, {"ticketId": "4100001"})
    assert payload["errors"] == []
    assert payload["ticket"]["id"] == "4100001"
    # 204 carries no ticket: it is read back once
    assert sandbox.calls("clickbank") == {RETURNED: 1, GET: 1}


async def test_mark_returned_of_an_unknown_ticket_is_not_found(gateway: Gateway) -> None:
    payload = await _run(gateway, RETURN, {"ticketId": "4999999"})
    assert payload["ticket"] is None
    assert [e["__typename"] for e in payload["errors"]] == ["NotFoundError"]


async def test_mark_returned_of_a_digital_purchase_is_rejected(gateway: Gateway) -> None:
    payload = await _run(gateway, RETURN, {"ticketId": "4100002"})
    assert [e["__typename"] for e in payload["errors"]] == ["RejectedError"]


@pytest.mark.parametrize(
    ("document", "input"),
    [
        (CREATE, {"receipt": "K8XQ2ZB7", "type": "TECH_SUPPORT", "reason": "TECH_OTHER"}),
        (CHANGE, {"ticketId": "4100002", "type": "REFUND"}),
        (COMMENT, {"ticketId": "4100005", "comment": "Hi"}),
        (CLOSE, {"ticketId": "4100005"}),
        (REOPEN, {"ticketId": "4100004", "comment": "Again"}),
        (RETURN, {"ticketId": "4100001"}),
    ],
)
async def test_only_agents_change_vendor_tickets(
    gateway: Gateway, sandbox: Sandbox, document: str, input: dict[str, Any]
) -> None:
    customer = await execute(gateway, document, {"input": input}, token=gateway.customer())
    assert customer.codes == ["FORBIDDEN"]
    assert customer.data is not None and list(customer.data.values()) == [None]
    anonymous = await execute(gateway, document, {"input": input}, token=None)
    assert anonymous.codes == ["UNAUTHENTICATED"]
    assert sandbox.calls("clickbank") == {}
