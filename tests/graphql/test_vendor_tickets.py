"""Vendor ticket queries end to end: reads, the busy-week search, windows, counts, previews."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from tests.support.gateway import Gateway, Result
from tests.support.sandbox import Sandbox

GET = "GET /rest/1.3/tickets/{ticket_id}"
LIST = "GET /rest/1.3/tickets/list"
COUNT = "GET /rest/1.3/tickets/count"
AMOUNTS = "GET /rest/1.3/tickets/refundAmounts/{receipt}"

TICKET = """
query ($id: ID!) {
  vendorTicket(id: $id) {
    __typename id receipt type typeCode status refundType refundPercent description
    openedAt closedAt updatedAt note productItemNo source email customerFirstName
    comments { id date text action role }
  }
}
"""

THREE = """
{
  a: vendorTicket(id: "4100002") { id }
  b: vendorTicket(id: "4100002") { status }
  c: vendorTicket(id: "4100005") { id }
}
"""

SEARCH = """
query ($filter: VendorTicketFilter, $first: Int! = 100, $after: String) {
  vendorTickets(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id openedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

TOTAL = """
query ($filter: VendorTicketFilter) { vendorTickets(filter: $filter) { totalCount } }
"""

PREVIEW = """
query ($receipt: String!, $type: RefundRequestType!, $amount: Decimal, $sku: String) {
  refundPreview(receipt: $receipt, refundType: $type, refundAmount: $amount, sku: $sku) {
    usd { amount currency } customer { amount currency } product { amount currency }
  }
}
"""

BUSY_WEEK = {"createDateFrom": "2024-09-09", "createDateTo": "2024-09-15"}


async def execute(
    gateway: Gateway, document: str, variables: dict[str, Any] | None = None, *, token: str | None
) -> Result:
    """``gateway.execute`` with variables in a ``GraphQLRequest``, the form gql 4 accepts."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = HTTPXAsyncTransport(url=gateway.graphql_url, headers=headers, timeout=30)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        try:
            data = await session.execute(GraphQLRequest(document, variable_values=variables))
        except TransportQueryError as error:
            return Result(error.data, list(error.errors or []))
    return Result(data)


async def test_an_agent_reads_a_ticket_with_its_comments(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await execute(gateway, TICKET, {"id": "4100002"}, token=gateway.agent())
    assert result.errors == []
    ticket = result.data["vendorTicket"]  # type: ignore[index]
    assert ticket["__typename"] == "VendorTicket"
    assert ticket["id"] == "4100002"
    assert ticket["receipt"] == "R6YP2DV9"
    assert (ticket["type"], ticket["typeCode"], ticket["status"]) == ("REFUND", "REFUND", "OPEN")
    assert ticket["refundType"] == "PARTIAL_PERCENT"
    assert ticket["refundPercent"] == "50.00"
    assert len(ticket["comments"]) >= 2
    assert all(c["date"].endswith("+00:00") for c in ticket["comments"])  # emitted in UTC
    assert ticket["openedAt"].endswith("+00:00")
    assert sandbox.calls("clickbank") == {GET: 1}


async def test_a_ticket_that_is_not_ours_is_null(gateway: Gateway) -> None:
    result = await execute(gateway, TICKET, {"id": "4900001"}, token=gateway.agent())
    assert result.errors == []
    assert result.data == {"vendorTicket": None}


async def test_a_malformed_id_is_bad_input_and_sends_nothing(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await execute(gateway, TICKET, {"id": "41/00"}, token=gateway.agent())
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "ticketId"
    assert sandbox.calls("clickbank") == {}


async def test_ticket_loads_are_deduplicated_per_request(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await execute(gateway, THREE, token=gateway.agent())
    assert result.errors == []
    assert result.data == {"a": {"id": "4100002"}, "b": {"status": "OPEN"}, "c": {"id": "4100005"}}
    assert sandbox.calls("clickbank") == {GET: 2}


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (TICKET, {"id": "4100002"}),
        (SEARCH, {"filter": BUSY_WEEK}),
        (TOTAL, {"filter": {"type": "REFUND"}}),
        (PREVIEW, {"receipt": "E2NF6KJ8", "type": "FULL"}),
        ('{ tickets(receipt: "R6YP2DV9") { id } }', None),
    ],
)
async def test_vendor_tickets_are_for_agents_only(
    gateway: Gateway, sandbox: Sandbox, document: str, variables: dict[str, Any] | None
) -> None:
    customer = await execute(gateway, document, variables, token=gateway.customer())
    anonymous = await execute(gateway, document, variables, token=None)
    assert customer.codes == ["FORBIDDEN"]
    assert anonymous.codes == ["UNAUTHENTICATED"]
    assert sandbox.calls("clickbank") == {}


async def test_the_busy_week_pages_100_100_50_with_cursors(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    seen: list[str] = []
    after = None
    pages = []
    while True:
        variables = {"filter": BUSY_WEEK, "after": after}
        result = await execute(gateway, SEARCH, variables, token=gateway.agent())
        assert result.errors == []
        connection = result.data["vendorTickets"]  # type: ignore[index]
        edges = connection["edges"]
        pages.append(len(edges))
        seen += [edge["node"]["id"] for edge in edges]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert info["startCursor"] == edges[0]["cursor"]
        assert info["endCursor"] == edges[-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == [100, 100, 50]
    assert len(set(seen)) == 250
    # one upstream page per GraphQL page: the cursor after a page's last row starts the next
    assert sandbox.calls("clickbank") == {LIST: 3}


async def test_a_page_smaller_than_the_upstreams_resumes_mid_page(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    first = await execute(
        gateway, SEARCH, {"filter": BUSY_WEEK, "first": 30}, token=gateway.agent()
    )
    after = first.data["vendorTickets"]["pageInfo"]["endCursor"]  # type: ignore[index]
    variables = {"filter": BUSY_WEEK, "first": 80, "after": after}
    second = await execute(gateway, SEARCH, variables, token=gateway.agent())
    ids = [e["node"]["id"] for e in second.data["vendorTickets"]["edges"]]  # type: ignore[index]
    whole = await execute(gateway, SEARCH, {"filter": BUSY_WEEK}, token=gateway.agent())
    all_ids = [e["node"]["id"] for e in whole.data["vendorTickets"]["edges"]]  # type: ignore[index]
    assert ids[:70] == all_ids[30:100]  # the rest of page 1, then page 2
    assert len(ids) == 80
    assert second.data["vendorTickets"]["pageInfo"]["hasNextPage"] is True  # type: ignore[index]


async def test_total_count_is_fetched_only_when_asked(gateway: Gateway, sandbox: Sandbox) -> None:
    await execute(gateway, SEARCH, {"filter": {"type": "REFUND"}}, token=gateway.agent())
    assert COUNT not in sandbox.calls("clickbank")
    sandbox.reset_calls("clickbank")

    result = await execute(gateway, TOTAL, {"filter": {"type": "REFUND"}}, token=gateway.agent())
    assert result.errors == []
    assert result.data["vendorTickets"]["totalCount"] > 0  # type: ignore[index]
    # from the count endpoint alone: no list page is read
    assert sandbox.calls("clickbank") == {COUNT: 1}


async def test_total_count_of_a_dated_search_counts_its_pages(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    # The count endpoint takes no dates, so it cannot answer for the busy week.
    result = await execute(gateway, TOTAL, {"filter": BUSY_WEEK}, token=gateway.agent())
    assert result.data == {"vendorTickets": {"totalCount": 250}}
    assert sandbox.calls("clickbank") == {LIST: 3}


async def test_a_ten_day_range_is_two_windows_fetched_concurrently(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    ten_days = {"createDateFrom": "2024-08-30", "createDateTo": "2024-09-08"}
    week_one = {"createDateFrom": "2024-08-30", "createDateTo": "2024-09-05"}
    week_two = {"createDateFrom": "2024-09-06", "createDateTo": "2024-09-08"}
    parts = []
    for window in (week_one, week_two):
        answer = await execute(gateway, SEARCH, {"filter": window}, token=gateway.agent())
        parts += [e["node"]["id"] for e in answer.data["vendorTickets"]["edges"]]  # type: ignore[index]
    assert parts
    sandbox.reset_calls("clickbank")
    sandbox.faults(
        "clickbank", {"match": f"{LIST.split()[0]} /rest/1.3/tickets/list", "latency_ms": 400}
    )

    started = time.monotonic()
    document = SEARCH.replace("pageInfo {", "totalCount pageInfo {")
    result = await execute(gateway, document, {"filter": ten_days}, token=gateway.agent())
    elapsed = time.monotonic() - started

    assert result.errors == []
    connection = result.data["vendorTickets"]  # type: ignore[index]
    assert [e["node"]["id"] for e in connection["edges"]] == parts
    assert connection["totalCount"] == len(parts)
    assert sandbox.calls("clickbank") == {LIST: 2}
    assert elapsed < 0.75  # two 400 ms windows side by side, not one after the other


@pytest.mark.parametrize(
    ("filter", "field"),
    [
        ({"receipt": "R6%"}, "receipt"),
        ({"receipt": "%6YP2"}, "receipt"),
        ({"createDateFrom": "2024-09-09"}, "createDateTo"),
        ({"closeDateFrom": "2024-09-09", "closeDateTo": "2024-09-01"}, "closeDateTo"),
        ({"updateDateFrom": "2023-01-01", "updateDateTo": "2024-09-01"}, "updateDateTo"),
    ],
)
async def test_a_broken_filter_rule_is_bad_input_and_sends_nothing(
    gateway: Gateway, sandbox: Sandbox, filter: dict[str, str], field: str
) -> None:
    result = await execute(gateway, SEARCH, {"filter": filter}, token=gateway.agent())
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == field
    assert result.data == {"vendorTickets": None}
    assert sandbox.calls("clickbank") == {}


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("first", "after"),
    [
        (101, None),
        (-1, None),
        (10, _cursor("not-a-cursor")),
        (10, _cursor("vt:p:5")),
        (10, _cursor("vt:p:0:3")),
        (10, _cursor("vt:m:3")),  # a merged-list cursor given to a one-window search
    ],
)
async def test_bad_paging_arguments_send_nothing(
    gateway: Gateway, sandbox: Sandbox, first: int, after: str | None
) -> None:
    variables = {"filter": BUSY_WEEK, "first": first, "after": after}
    result = await execute(gateway, SEARCH, variables, token=gateway.agent())
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] in ("first", "after")
    assert sandbox.calls("clickbank") == {}


async def test_refund_preview_amounts_in_three_currencies(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    variables = {"receipt": "E2NF6KJ8", "type": "PARTIAL_PERCENT", "amount": "25"}
    result = await execute(gateway, PREVIEW, variables, token=gateway.agent())
    assert result.errors == []
    preview = result.data["refundPreview"]  # type: ignore[index]
    # 25 % of a 67.00 USD course the customer paid 61.64 EUR for; strings, never floats
    assert preview["usd"] == {"amount": "16.75", "currency": "USD"}
    assert preview["customer"] == {"amount": "15.41", "currency": "EUR"}
    assert preview["product"]["currency"] == "USD"
    assert sandbox.calls("clickbank") == {AMOUNTS: 1}


async def test_refund_preview_of_one_cart_item(gateway: Gateway) -> None:
    variables = {"receipt": "G5LB8CU3", "type": "FULL", "sku": "BOOK-01"}
    result = await execute(gateway, PREVIEW, variables, token=gateway.agent())
    assert result.errors == []
    assert result.data["refundPreview"]["customer"] == {"amount": "22.91", "currency": "GBP"}  # type: ignore[index]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"receipt": "E2NF6KJ8", "type": "PARTIAL_PERCENT", "amount": "81"}, "refundAmount"),
        ({"receipt": "E2NF6KJ8", "type": "PARTIAL_PERCENT", "amount": "2.505"}, "refundAmount"),
        ({"receipt": "E2NF6KJ8", "type": "PARTIAL_AMOUNT"}, "refundAmount"),
        ({"receipt": "E2NF6KJ8", "type": "FULL", "amount": "10"}, "refundAmount"),
        ({"receipt": "E2/NF6", "type": "FULL"}, "receipt"),
    ],
)
async def test_refund_preview_rules_are_checked_before_sending(
    gateway: Gateway, sandbox: Sandbox, variables: dict[str, str], field: str
) -> None:
    result = await execute(gateway, PREVIEW, variables, token=gateway.agent())
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == field
    assert sandbox.calls("clickbank") == {}


@pytest.mark.parametrize(
    ("variables", "field", "words"),
    [
        (
            {"receipt": "T9WC3HM6", "type": "PARTIAL_PERCENT", "amount": "10"},
            "refundType",
            "partial",
        ),
        ({"receipt": "ZZZZ9999", "type": "FULL"}, "receipt", "not found"),
        ({"receipt": "E2NF6KJ8", "type": "PARTIAL_AMOUNT", "amount": "99"}, None, ""),
    ],
)
async def test_refund_preview_refusals_are_bad_input_not_an_outage(
    gateway: Gateway, sandbox: Sandbox, variables: dict[str, str], field: str | None, words: str
) -> None:
    result = await execute(gateway, PREVIEW, variables, token=gateway.agent())
    assert result.data == {"refundPreview": None}
    [error] = result.errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"].get("field") == field
    assert words in error["message"]
    assert sandbox.calls("clickbank") == {AMOUNTS: 1}


async def test_tickets_on_a_receipt_are_vendor_tickets(gateway: Gateway) -> None:
    document = '{ tickets(receipt: "W8JS5PL4") { __typename id ... on VendorTicket { status } } }'
    result = await execute(gateway, document, token=gateway.agent())
    assert result.errors == []
    found = {(t["__typename"], t["id"], t["status"]) for t in result.data["tickets"]}  # type: ignore[index]
    assert found == {("VendorTicket", "4100004", "CLOSED"), ("VendorTicket", "4100005", "OPEN")}


async def test_clickbank_down_nulls_only_the_vendor_fields(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    sandbox.faults("clickbank", {"match": "* /rest/1.3/tickets/*", "error_status": 503})
    document = """
    { viewer { role }
      vendorTickets(filter: {type: REFUND}) { edges { node { id } } }
      vendorTicket(id: "4100002") { id } }
    """
    result = await execute(gateway, document, token=gateway.agent())
    assert result.data == {"viewer": {"role": "AGENT"}, "vendorTickets": None, "vendorTicket": None}
    assert result.codes == ["UPSTREAM_UNAVAILABLE", "UPSTREAM_UNAVAILABLE"]
    assert {e["extensions"]["upstream"] for e in result.errors} == {"clickbank"}
    assert all("503" not in e["message"] for e in result.errors)


async def test_a_long_range_pages_through_the_merged_list(gateway: Gateway) -> None:
    ten_days = {"createDateFrom": "2024-08-30", "createDateTo": "2024-09-08"}
    whole = await execute(gateway, SEARCH, {"filter": ten_days}, token=gateway.agent())
    all_ids = [e["node"]["id"] for e in whole.data["vendorTickets"]["edges"]]  # type: ignore[index]
    head = await execute(gateway, SEARCH, {"filter": ten_days, "first": 3}, token=gateway.agent())
    connection = head.data["vendorTickets"]  # type: ignore[index]
    assert connection["pageInfo"]["hasNextPage"] is True
    variables = {"filter": ten_days, "after": connection["pageInfo"]["endCursor"]}
    tail = await execute(gateway, SEARCH, variables, token=gateway.agent())
    rest = tail.data["vendorTickets"]  # type: ignore[index]
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": rest["edges"][0]["cursor"],
        "endCursor": rest["edges"][-1]["cursor"],
    }
    ids = [e["node"]["id"] for e in connection["edges"] + rest["edges"]]
    assert ids == all_ids
