"""The payload models: tolerant of how a value is written, strict about what it means.

The fixtures in ``tests/fixtures/clickbank`` are the document's payloads (upstreams.md A8's
illustrative ticket) and the shapes the simulator answers with, written as strict JSON / XML.
Shapes the simulator never sends (drifted enums, bare one-item lists, other date forms) are fed
through the whole client with an ``httpx.MockTransport``, as a real answer would be.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import defusedxml.ElementTree as SafeET
import httpx
import pytest
from pydantic import SecretStr, ValidationError

from gateway.upstreams.clickbank import (
    ClickBankTicketsClient,
    CommentRole,
    MoneyAmount,
    PartialRefundData,
    RefundType,
    TicketAction,
    TicketData,
    TicketSource,
    TicketStatus,
    TicketType,
    wire,
)
from gateway.upstreams.errors import UpstreamMalformed
from gateway.upstreams.http import UpstreamHTTP
from gateway.upstreams.resilience import CircuitBreaker, RetryPolicy

FIXTURES = Path(__file__).parents[1] / "fixtures" / "clickbank"
ALL_FIXTURES = sorted(p.name for p in FIXTURES.iterdir())
PDT = timezone(timedelta(hours=-7))
Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ticket(name: str) -> TicketData:
    raw = wire.read_object(fixture(name), xml=name.endswith(".xml"), root=wire.TICKET)
    return TicketData.read(raw)


def ticket_list(name: str) -> list[TicketData]:
    rows = wire.read_ticket_list(fixture(name), xml=name.endswith(".xml"))
    return [TicketData.read(row) for row in rows]


@asynccontextmanager
async def mock_client(handler: Handler) -> AsyncIterator[ClickBankTicketsClient]:
    async with httpx.AsyncClient(
        base_url="http://127.0.0.1:9/rest/1.3", transport=httpx.MockTransport(handler)
    ) as client:
        http = UpstreamHTTP(
            "clickbank", client, retry=RetryPolicy(attempts=1), breaker=CircuitBreaker(1000)
        )
        yield ClickBankTicketsClient(http, api_key=SecretStr("API-" + "AB" * 20))


def answer(body: str | bytes, status: int = 200, content_type: str = "application/json") -> Handler:
    content = body.encode() if isinstance(body, str) else body
    return lambda _: httpx.Response(status, content=content, headers={"content-type": content_type})


# --- every fixture is strict JSON or XML ----------------------------------------------------


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fixture_is_strict(name: str) -> None:
    body = fixture(name)
    if name.endswith(".json"):
        json.loads(body)  # strict: no trailing commas, no comments
    else:
        assert name.endswith(".xml")
        SafeET.fromstring(body)


def test_the_documents_illustrative_ticket_parses() -> None:
    # upstreams.md A8: one comment as a bare object, nils as {"@nil":"true"}
    sample = ticket("ticket_a8_sample.json")
    assert sample.ticket_id == "4184421" and isinstance(sample.ticket_id, str)
    assert (sample.status, sample.type, sample.refund_type, sample.source) == (
        TicketStatus.OPEN,
        TicketType.REFUND,
        RefundType.FULL,
        TicketSource.API,
    )
    assert len(sample.comments) == 1
    comment = sample.comments[0]
    assert (comment.comment_id, comment.action, comment.role) == (
        "1",
        TicketAction.OPENED,
        CommentRole.VENDOR,
    )
    assert sample.opened_date == datetime(2024, 5, 2, 10, 11, 12, tzinfo=PDT)
    assert sample.closed_date is None and sample.refund_amount is None


def test_json_and_xml_of_the_same_ticket_are_equal() -> None:
    from_json = ticket("ticket_every_field.json")
    from_xml = ticket("ticket_every_field.xml")
    assert from_json == from_xml
    assert from_xml.refund_amount == Decimal("50.00") and isinstance(
        from_xml.refund_amount, Decimal
    )
    assert from_xml.refund_percent == Decimal("50.00")
    assert from_xml.refund_in_customer_currency is None
    assert [c.comment_id for c in from_xml.comments] == ["2", "3"]
    assert from_xml.closed_date is None  # xsi:nil
    assert from_xml.expiration_date == datetime(2024, 10, 11, 20, 30, tzinfo=PDT)


def test_a_wrapped_single_ticket_is_unwrapped() -> None:
    assert ticket("ticket_wrapped.json").ticket_id == "4100005"


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("ticket_list_two.json", ["4100004", "4100005"]),
        ("ticket_list_two.xml", ["4100004", "4100005"]),
        ("ticket_list_one.json", ["4100005"]),
        ("ticket_list_empty.json", []),
        ("ticket_list_empty.xml", []),
    ],
)
def test_list_shapes(name: str, ids: list[str]) -> None:
    assert [t.ticket_id for t in ticket_list(name)] == ids


def test_json_and_xml_lists_are_equal() -> None:
    assert ticket_list("ticket_list_two.json") == ticket_list("ticket_list_two.xml")


@pytest.mark.parametrize("name", ["partial_refund_data.json", "partial_refund_data.xml"])
def test_partial_refund_data_pairs_amounts_with_currencies(name: str) -> None:
    raw = wire.read_object(fixture(name), xml=name.endswith(".xml"), root="partialRefundData")
    preview = PartialRefundData.model_validate(raw)
    assert preview.usd == MoneyAmount(amount=Decimal("33.50"), currency="USD")
    assert preview.customer == MoneyAmount(amount=Decimal("30.82"), currency="EUR")
    assert preview.product == MoneyAmount(amount=Decimal("33.50"), currency="USD")


def test_partial_refund_amount_without_its_currency_is_not_paired() -> None:
    preview = PartialRefundData.model_validate({"customerAmount": "5.00"})
    assert preview.customer is None and preview.customer_amount == Decimal("5.00")


# --- tolerant of representation ---------------------------------------------------------------


def test_enum_drift_is_kept_not_failed() -> None:
    drifted = ticket("ticket_drifted_enums.json")
    assert (drifted.status, drifted.type, drifted.source) == (
        "ESCALATED_TO_CSR",
        "APPROVAL_SOMETHING_NEW",
        "SOME_NEW_CHANNEL",
    )
    assert drifted.refund_type is RefundType.TAX  # response-only value
    assert (drifted.comments[0].action, drifted.comments[0].role) == ("AUTO_CLOSED", "ROBOT")
    assert drifted.comments[0].comment is None


def test_any_iso_8601_form_is_read_as_an_aware_moment() -> None:
    drifted = ticket("ticket_drifted_enums.json")
    assert drifted.comments[0].date == datetime(2024, 9, 1, 8, 0, 0, 123000, tzinfo=UTC)
    assert drifted.opened_date == datetime(2024, 9, 1, 8, 0, tzinfo=UTC)
    # no zone: read as UTC (upstreams.md A12)
    assert drifted.closed_date == datetime(2024, 9, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("2024-09-01T08:00:00-07:00", datetime(2024, 9, 1, 15, 0, tzinfo=UTC)),
        ("2024-09-01T15:00:00Z", datetime(2024, 9, 1, 15, 0, tzinfo=UTC)),
        ("2024-09-01T15:00:00+0000", datetime(2024, 9, 1, 15, 0, tzinfo=UTC)),
        ("2024-09-01T15:00:00.5+00:00", datetime(2024, 9, 1, 15, 0, 0, 500000, tzinfo=UTC)),
        ("20240901T080000-0700", datetime(2024, 9, 1, 15, 0, tzinfo=UTC)),  # basic format
        ("2024-09-01T15:00:00", datetime(2024, 9, 1, 15, 0, tzinfo=UTC)),  # no zone: UTC
    ],
)
def test_date_time_forms(written: str, moment: datetime) -> None:
    parsed = TicketData.read({"ticketid": "1", "updateTime": written})
    assert parsed.update_time == moment and parsed.update_time.tzinfo is not None


def test_json_numbers_and_booleans_are_read_as_their_text() -> None:
    # Jersey sends strings; a number that slips through must not turn money into a float
    raw = wire.read_object(
        b'{"ticketid": 4100001, "refundAmount": 19.95, "refundType": "PARTIAL_AMOUNT"}',
        xml=False,
        root=wire.TICKET,
    )
    parsed = TicketData.read(raw)
    assert parsed.ticket_id == "4100001"
    assert parsed.refund_in_customer_currency == Decimal("19.95")


@pytest.mark.parametrize(
    "nil",
    ['{"@nil":"true"}', '{"@xsi.nil":"true"}', '{"@xsi:nil":"true"}', "null", '""'],
)
def test_every_way_of_writing_nil(nil: str) -> None:
    body = f'{{"ticketid":"1","closedDate":{nil},"refundAmount":{nil},"status":{nil}}}'
    parsed = TicketData.read(wire.read_object(body.encode(), xml=False, root="x"))
    assert (parsed.closed_date, parsed.refund_amount, parsed.status) == (None, None, None)


@pytest.mark.parametrize("body", ["12", '"12"', '{"count":"12"}', "<count>12</count>"])
def test_count_forms(body: str) -> None:
    assert wire.read_count(body.encode()) == 12


# --- strict on meaning ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"receipt":"K8XQ2ZB7"}',  # no ticketid
        '{"ticketid":{"@nil":"true"}}',
        '{"ticketid":"T-41"}',  # xs:int
        '{"ticketid":"1","refundAmount":"ten"}',
        '{"ticketid":"1","openedDate":"last Tuesday"}',
        '{"ticketid":"1","comments":"not a comment"}',
    ],
)
def test_wrong_meaning_is_refused(body: str) -> None:
    with pytest.raises(ValidationError):
        TicketData.read(wire.read_object(body.encode(), xml=False, root="x"))


def test_currency_must_be_a_code() -> None:
    with pytest.raises(ValidationError):
        PartialRefundData.model_validate({"customerAmount": "1.00", "customerCurrency": "Euro"})


# --- the same through the whole client --------------------------------------------------------


async def test_client_reads_a_one_item_list_written_as_a_bare_object() -> None:
    async with mock_client(answer(fixture("ticket_list_one.json"))) as client:
        page = await client.list_page()
    assert [t.ticket_id for t in page.tickets] == ["4100005"] and not page.has_more


@pytest.mark.parametrize("body", ["", "null", "{}", '{"ticketData":[]}'])
async def test_client_reads_every_empty_list(body: str) -> None:
    async with mock_client(answer(body)) as client:
        page = await client.list_page()
    assert page.tickets == ()


async def test_client_reads_xml_without_a_content_type() -> None:
    async with mock_client(answer(fixture("ticket_every_field.xml"), content_type="")) as client:
        read = await client.get_ticket("4100002")
    assert read == ticket("ticket_every_field.json")


async def test_client_keeps_drifted_enums() -> None:
    async with mock_client(answer(fixture("ticket_drifted_enums.json"))) as client:
        read = await client.get_ticket("4200001")
    assert read.type == "APPROVAL_SOMETHING_NEW"


async def test_returned_answered_200_with_a_body_is_still_a_success() -> None:
    requests: list[httpx.Request] = []

    def ship_notice(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer("<shipNotice/>", content_type="application/xml")(request)

    async with mock_client(ship_notice) as client:
        await client.mark_returned("4100001")  # C3#4: no error, body ignored
    assert [r.url.path for r in requests] == ["/rest/1.3/tickets/4100001/returned"]


async def test_client_refuses_a_ticket_without_its_id() -> None:
    async with mock_client(answer('{"receipt":"K8XQ2ZB7"}')) as client:
        with pytest.raises(UpstreamMalformed, match="ticketid"):
            await client.get_ticket("4100002")
