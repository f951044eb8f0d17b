"""Every client operation against the ClickBank simulator, over real HTTP, in JSON and XML.

The simulator's sample data is fixed (see ``clickbank_support``); each test starts from a reset
sandbox, so tickets created here never leak into the next test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import defusedxml.ElementTree as SafeET
import httpx
import msgspec
import pytest
from pydantic import BaseModel

from gateway.upstreams.clickbank import (
    PartialRefundData,
    RefundType,
    TicketAction,
    TicketFilters,
    TicketStatus,
    TicketType,
    models,
    plain,
    split_filters,
)
from tests.support.sandbox import Sandbox
from tests.upstreams.clickbank_support import (
    API_KEY,
    BUSY_WEEK,
    BUSY_WEEK_TICKETS,
    CLOSED_TECH_TICKET,
    DEVELOPER_KEY,
    DIGITAL_RECEIPT,
    EURO_RECEIPT,
    LIST_CALL,
    OPEN_TECH_TICKET,
    PARTIAL_REFUND_TICKET,
    PHYSICAL_REFUND_TICKET,
    SUBSCRIPTION_RECEIPT,
    TWO_TICKET_RECEIPT,
    clickbank_client,
)

REFUND_REASON = "ticket.type.refund.2"
CANCEL_REASON = "ticket.type.cancel.5"
TECH_REASON = "ticket.type.tech_support.4"
BUSY_WEEK_FILTER = TicketFilters(create_date_from=BUSY_WEEK[0], create_date_to=BUSY_WEEK[1])


# --- create ---------------------------------------------------------------------------------


async def test_create_full_refund(sandbox: Sandbox) -> None:
    # given
    async with clickbank_client(sandbox.clickbank_url) as client:
        # when
        ticket = await client.create_ticket(
            DIGITAL_RECEIPT, "rfnd", REFUND_REASON, refund_type="FULL", comment="Not as described"
        )
    # then
    assert ticket.ticket_id.isdigit()
    assert (ticket.receipt, ticket.type, ticket.status) == (
        DIGITAL_RECEIPT,
        TicketType.REFUND,
        TicketStatus.OPEN,
    )
    assert ticket.refund_type is RefundType.FULL and ticket.refund_amount is None
    assert [(c.action, c.comment) for c in ticket.comments] == [
        (TicketAction.OPENED, "Not as described")
    ]
    assert ticket.opened_date is not None and ticket.opened_date.utcoffset() is not None


async def test_create_partial_percent_refund_keeps_the_amount_exact(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.create_ticket(
            EURO_RECEIPT,
            "REFUND",  # the response vocabulary is accepted and mapped to rfnd
            REFUND_REASON,
            refund_type="PARTIAL_PERCENT",
            refund_amount=Decimal("12.5"),
        )
    assert ticket.refund_type is RefundType.PARTIAL_PERCENT
    assert ticket.refund_amount == Decimal("12.50")
    assert isinstance(ticket.refund_amount, Decimal)


async def test_create_partial_amount_refund(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.create_ticket(
            DIGITAL_RECEIPT,
            "rfnd",
            REFUND_REASON,
            refund_type="PARTIAL_AMOUNT",
            refund_amount="10.00",
            retain_subscription=False,
        )
    assert (ticket.refund_type, ticket.refund_amount) == (
        RefundType.PARTIAL_AMOUNT,
        Decimal("10.00"),
    )


async def test_create_cancel_on_a_subscription(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.create_ticket(SUBSCRIPTION_RECEIPT, "cncl", CANCEL_REASON)
    assert (ticket.type, ticket.refund_type) == (TicketType.CANCEL, None)


async def test_create_tech_support(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.create_ticket(DIGITAL_RECEIPT, "tech", TECH_REASON, sku="EBOOK-01")
    assert ticket.type is TicketType.TECH_SUPPORT
    assert ticket.product_item_no == "EBOOK-01"


# --- one ticket -----------------------------------------------------------------------------


async def test_get_ticket(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.get_ticket(PARTIAL_REFUND_TICKET)
    assert ticket.ticket_id == PARTIAL_REFUND_TICKET
    assert (ticket.refund_type, ticket.refund_amount) == (
        RefundType.PARTIAL_PERCENT,
        Decimal("50.00"),
    )
    assert isinstance(ticket.comments, tuple) and len(ticket.comments) == 2
    assert ticket.closed_date is None  # {"@nil":"true"} on the wire
    assert "example.com" not in repr(ticket)  # customer details stay out of logs


async def test_comment_adds_one_entry(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.comment(OPEN_TECH_TICKET, "We sent a new download link.")
    last = ticket.comments[-1]
    assert (last.action, last.comment) == (TicketAction.COMMENTED, "We sent a new download link.")


async def test_change_to_rfnd_is_a_full_refund(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.change_type(OPEN_TECH_TICKET, "rfnd", "Customer wants a refund")
    assert (ticket.type, ticket.refund_type) == (TicketType.REFUND, RefundType.FULL)
    assert ticket.comments[-1].action is TicketAction.CHANGED


async def test_close(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.close(OPEN_TECH_TICKET, "Solved by e-mail")
    assert ticket.status is TicketStatus.CLOSED
    assert ticket.closed_date is not None


async def test_reopen(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.reopen(CLOSED_TECH_TICKET, "The problem is back")
    assert ticket.status is TicketStatus.REOPENED
    assert ticket.comments[-1].comment == "The problem is back"


async def test_mark_returned_completes_the_refund(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        await client.mark_returned(PHYSICAL_REFUND_TICKET)  # 204, empty body: no error
        ticket = await client.get_ticket(PHYSICAL_REFUND_TICKET)
    assert ticket.status is TicketStatus.CLOSED
    assert ticket.comments[-1].action is TicketAction.REFUND_ACKED


# --- refund previews and searches -----------------------------------------------------------


async def test_refund_amounts_for_a_partial_percent(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        preview = await client.refund_amounts(EURO_RECEIPT, "PARTIAL_PERCENT", Decimal("50"))
    # half of 67.00 USD, and of its fixed-rate EUR price (61.64)
    assert (preview.usd_amount, preview.product_amount, preview.product_currency) == (
        Decimal("33.50"),
        Decimal("33.50"),
        "USD",
    )
    assert (preview.customer_amount, preview.customer_currency) == (Decimal("30.82"), "EUR")


async def test_refund_amounts_for_a_full_refund_sends_no_amount(sandbox: Sandbox) -> None:
    seen: list[httpx.URL] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.url)

    async with clickbank_client(sandbox.clickbank_url, on_request=record) as client:
        preview = await client.refund_amounts(EURO_RECEIPT, "FULL")
    assert preview.usd_amount == Decimal("67.00")
    assert dict(seen[0].params) == {"refundType": "FULL"}


async def test_count(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        on_receipt = await client.count(receipt=TWO_TICKET_RECEIPT)
        open_tech = await client.count(receipt=TWO_TICKET_RECEIPT, status="open", type="tech")
    assert (on_receipt, open_tech) == (2, 1)


async def test_list_single_page(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        page = await client.list_page(TicketFilters(receipt=TWO_TICKET_RECEIPT))
    assert sorted(t.ticket_id for t in page.tickets) == [CLOSED_TECH_TICKET, OPEN_TECH_TICKET]
    assert (page.has_more, page.page) == (False, 1)
    assert sandbox.calls("clickbank") == {LIST_CALL: 1}


async def test_list_all_follows_206_across_three_pages(sandbox: Sandbox) -> None:
    # given 250 tickets opened in the busy week: pages of 100 + 100 + 50
    async with clickbank_client(sandbox.clickbank_url) as client:
        # when
        everything = await client.list_all(BUSY_WEEK_FILTER)
    # then
    assert len(everything.tickets) == BUSY_WEEK_TICKETS
    assert len({t.ticket_id for t in everything.tickets}) == BUSY_WEEK_TICKETS
    assert everything.has_more is False
    assert sandbox.calls("clickbank") == {LIST_CALL: 3}


async def test_list_page_reports_more_on_206(sandbox: Sandbox) -> None:
    pages: list[str | None] = []

    async def record(request: httpx.Request) -> None:
        pages.append(request.headers.get("Page"))

    async with clickbank_client(sandbox.clickbank_url, on_request=record) as client:
        second = await client.list_page(BUSY_WEEK_FILTER, page=2)
    assert (len(second.tickets), second.has_more) == (100, True)
    assert pages == ["2"]  # the page travels in a request header


async def test_list_all_stops_at_the_page_cap(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        capped = await client.list_all(BUSY_WEEK_FILTER, max_pages=2)
    assert (len(capped.tickets), capped.has_more) == (200, True)
    assert sandbox.calls("clickbank") == {LIST_CALL: 2}


async def test_date_filters_take_date_objects(sandbox: Sandbox) -> None:
    week = TicketFilters(
        create_date_from=date.fromisoformat(BUSY_WEEK[0]),
        create_date_to=date.fromisoformat(BUSY_WEEK[1]),
        type="tech",
    )
    async with clickbank_client(sandbox.clickbank_url) as client:
        tickets = (await client.list_all(week)).tickets
        counted = await client.count(type="TECH_SUPPORT")
    assert tickets and all(t.type is TicketType.TECH_SUPPORT for t in tickets)
    assert counted >= len(tickets)


# --- wire conventions, auth forms, output formats -------------------------------------------


async def test_post_sends_every_parameter_in_the_query_with_an_empty_body(
    sandbox: Sandbox,
) -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async with clickbank_client(sandbox.clickbank_url, on_request=record) as client:
        await client.create_ticket(SUBSCRIPTION_RECEIPT, "cncl", CANCEL_REASON, comment="Too dear")
    request = seen[0]
    assert request.headers["Authorization"] == API_KEY.get_secret_value()  # no scheme word
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Length"] == "0" and request.content == b""
    assert dict(request.url.params) == {
        "type": "cncl",
        "reason": CANCEL_REASON,
        "comment": "Too dear",
    }


async def test_legacy_developer_key_form(sandbox: Sandbox) -> None:
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.headers["Authorization"])

    async with clickbank_client(
        sandbox.clickbank_url, developer_key=DEVELOPER_KEY, on_request=record
    ) as client:
        ticket = await client.get_ticket(PARTIAL_REFUND_TICKET)
    assert ticket.ticket_id == PARTIAL_REFUND_TICKET
    assert seen == [f"{DEVELOPER_KEY.get_secret_value()}:{API_KEY.get_secret_value()}"]


@pytest.mark.parametrize("ticket_id", [PARTIAL_REFUND_TICKET, CLOSED_TECH_TICKET])
async def test_xml_and_json_read_to_the_same_ticket(sandbox: Sandbox, ticket_id: str) -> None:
    async with (
        clickbank_client(sandbox.clickbank_url, output="json") as json_client,
        clickbank_client(sandbox.clickbank_url, output="xml") as xml_client,
    ):
        from_json = await json_client.get_ticket(ticket_id)
        from_xml = await xml_client.get_ticket(ticket_id)
    assert from_xml == from_json


async def test_xml_list_pages_refund_previews_and_counts(sandbox: Sandbox) -> None:
    async with (
        clickbank_client(sandbox.clickbank_url, output="json") as json_client,
        clickbank_client(sandbox.clickbank_url, output="xml") as xml_client,
    ):
        json_page = await json_client.list_page(BUSY_WEEK_FILTER)
        xml_page = await xml_client.list_page(BUSY_WEEK_FILTER)
        json_preview = await json_client.refund_amounts(EURO_RECEIPT, "PARTIAL_AMOUNT", "20.00")
        xml_preview = await xml_client.refund_amounts(EURO_RECEIPT, "PARTIAL_AMOUNT", "20.00")
        xml_count = await xml_client.count(receipt=TWO_TICKET_RECEIPT)
    assert xml_page == json_page and xml_page.has_more
    assert xml_preview == json_preview and xml_preview.customer_amount == Decimal("20.00")
    assert xml_count == 2


async def test_xml_create_with_one_comment(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url, output="xml") as client:
        ticket = await client.create_ticket(DIGITAL_RECEIPT, "tech", TECH_REASON)
    # one <comments> element, no wrapper: still a tuple of one
    assert len(ticket.comments) == 1 and ticket.comments[0].action is TicketAction.OPENED


# --- every list filter, page sizes, ranges longer than 7 days --------------------------------


async def test_list_with_every_filter(sandbox: Sandbox) -> None:
    # given the busy week's closed refunds, and the receipt prefix of one of them
    async with clickbank_client(sandbox.clickbank_url) as client:
        week = (await client.list_all(BUSY_WEEK_FILTER)).tickets
        closed_refunds = [
            t for t in week if t.type is TicketType.REFUND and t.status is TicketStatus.CLOSED
        ]
        assert closed_refunds and closed_refunds[0].receipt
        prefix = closed_refunds[0].receipt[:4]
        sandbox.reset_calls("clickbank")
        sent: list[httpx.URL] = []

        async def record(request: httpx.Request) -> None:
            sent.append(request.url)

        # when every filter is given at once
        filters = TicketFilters(
            type="rfnd",
            status="closed",
            receipt=prefix + "%",
            create_date_from=BUSY_WEEK[0],
            create_date_to=BUSY_WEEK[1],
            update_date_from="2024-09-09",
            update_date_to="2024-09-16",
            close_date_from="2024-09-09",
            close_date_to="2024-09-15",
        )
        async with clickbank_client(sandbox.clickbank_url, on_request=record) as filtered:
            found = (await filtered.list_all(filters)).tickets
    # then each went out as its documented parameter
    assert dict(sent[0].params) == {
        "type": "rfnd",
        "status": "closed",
        "receipt": prefix + "%",
        "createDateFrom": "2024-09-09",
        "createDateTo": "2024-09-15",
        "updateDateFrom": "2024-09-09",
        "updateDateTo": "2024-09-16",
        "closeDateFrom": "2024-09-09",
        "closeDateTo": "2024-09-15",
    }
    # and the answer is exactly the week's tickets that match all of them
    expected = {
        t.ticket_id
        for t in closed_refunds
        if t.receipt
        and t.receipt.startswith(prefix)
        and t.update_time is not None
        and date(2024, 9, 9) <= t.update_time.date() <= date(2024, 9, 16)
        and t.closed_date is not None
        and date(2024, 9, 9) <= t.closed_date.date() <= date(2024, 9, 15)
    }
    assert expected and {t.ticket_id for t in found} == expected


async def test_pages_hold_at_most_100_rows(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        pages = [await client.list_page(BUSY_WEEK_FILTER, page=n) for n in (1, 2, 3)]
    assert [(len(p.tickets), p.has_more) for p in pages] == [(100, True), (100, True), (50, False)]
    ids = [t.ticket_id for p in pages for t in p.tickets]
    assert len(set(ids)) == BUSY_WEEK_TICKETS  # no row on two pages


async def test_list_range_over_four_months_is_every_ticket_once(sandbox: Sandbox) -> None:
    # given four months of sample tickets (all of ours); the API takes 7 days per search
    summer = TicketFilters(create_date_from="2024-06-01", create_date_to="2024-09-30")
    async with clickbank_client(sandbox.clickbank_url) as client:
        total = await client.count()
        # when
        merged = await client.list_range(summer, concurrency=3)
        # then it equals the weeks fetched one by one, in order, each ticket once
        one_by_one = [
            t for window in split_filters(summer) for t in (await client.list_all(window)).tickets
        ]
    assert [t.ticket_id for t in merged.tickets] == [t.ticket_id for t in one_by_one]
    assert len(merged.tickets) == len({t.ticket_id for t in merged.tickets}) == total
    assert len(split_filters(summer)) == 18 and merged.has_more is False
    assert all(
        t.opened_date is not None and date(2024, 6, 1) <= t.opened_date.date() <= date(2024, 9, 30)
        for t in merged.tickets
    )


async def test_list_range_within_7_days_is_one_search(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        ranged = await client.list_range(BUSY_WEEK_FILTER)
    assert len(ranged.tickets) == BUSY_WEEK_TICKETS
    assert sandbox.calls("clickbank") == {LIST_CALL: 3}


# --- the published schemas --------------------------------------------------------------------


def _xsd_fields(xsd: str, type_name: str) -> list[str]:
    root = SafeET.fromstring(xsd.encode())
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    complex_type = root.find(f"xs:complexType[@name='{type_name}']", ns)
    assert complex_type is not None
    return [e.attrib["name"] for e in complex_type.iterfind("xs:sequence/xs:element", ns)]


def _wire_names(model: type[BaseModel]) -> set[str]:
    return {str(f.validation_alias or name) for name, f in model.model_fields.items()}


def _decoded_names(struct: type[msgspec.Struct]) -> set[str]:
    return {f.encode_name for f in msgspec.structs.fields(struct)}


async def test_the_models_read_every_element_the_schemas_name(sandbox: Sandbox) -> None:
    headers: list[httpx.Headers] = []

    async def record(request: httpx.Request) -> None:
        headers.append(request.headers)

    async with clickbank_client(sandbox.clickbank_url, on_request=record) as client:
        tickets = await client.ticket_schema()
        refunds = await client.partial_refund_data_schema()
    # by the open rules, and by the plain page reader (which sends a page with any other
    # element to the rules)
    rules = models._Rules
    assert set(_xsd_fields(tickets, "ticketData")) <= _wire_names(rules.TicketData)
    assert set(_xsd_fields(tickets, "ticketCommentData")) <= _wire_names(rules.TicketComment)
    assert set(_xsd_fields(tickets, "ticketData")) == _decoded_names(plain._Row)
    assert set(_xsd_fields(tickets, "ticketCommentData")) == _decoded_names(plain._Comment)
    assert set(_xsd_fields(refunds, "partialRefundData")) <= _wire_names(PartialRefundData)
    # the schemas need no keys, so none are sent
    assert all("Authorization" not in h and h["Accept"] == "application/xml" for h in headers)


# --- the PUT actions and returned, in XML -----------------------------------------------------


async def test_every_ticket_action_in_xml(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url, output="xml") as client:
        commented = await client.comment(OPEN_TECH_TICKET, "Checking <logs> & more")
        changed = await client.change_type(OPEN_TECH_TICKET, "cncl")
        closed = await client.close(OPEN_TECH_TICKET)
        reopened = await client.reopen(OPEN_TECH_TICKET, "Not solved after all")
        await client.mark_returned(PHYSICAL_REFUND_TICKET)
        returned = await client.get_ticket(PHYSICAL_REFUND_TICKET)
    assert commented.comments[-1].comment == "Checking <logs> & more"
    assert changed.type is TicketType.CANCEL
    assert closed.status is TicketStatus.CLOSED
    assert reopened.status is TicketStatus.REOPENED and reopened.closed_date is None
    assert returned.comments[-1].action is TicketAction.REFUND_ACKED
