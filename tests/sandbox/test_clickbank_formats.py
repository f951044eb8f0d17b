"""ClickBank simulator: wire conventions shared by every endpoint.

XSDs and XML valid against them, JSON in Jersey's mapped style, output chosen by ``Accept``,
plain-text errors, the Content-Length rule, the rate limit, the service page and the control
endpoints (A1, A3, A5-A8, A10, A11).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.sandbox.clickbank_support import (
    API_KEY,
    BUSY_WEEK,
    CLOSED_TECH_TICKET,
    DIGITAL_OPEN_REFUND,
    FULL_REFUND,
    HTTP,
    JSON,
    ONE_OFF_EUR,
    ONE_OFF_USD,
    OPEN_TECH_TICKET,
    PARTIAL_REFUND_TICKET,
    PHYSICAL_REFUND_TICKET,
    TECH_REASON,
    XML,
    XSI_NIL,
    Schema,
    assert_plain_text_error,
    assert_valid,
    parse_schema,
    parse_xml,
    raw_http,
    tickets_api,
)
from tests.support.sandbox import Sandbox

StartSandbox = Callable[..., AbstractContextManager[Sandbox]]

TICKET_DATA_ORDER = [
    "ticketid", "receipt", "status", "type", "comments", "openedDate", "closedDate",
    "description", "refundType", "refundAmount", "customerFirstName", "customerLastName",
    "email", "emailAtOrderTime", "expirationDate", "locale", "note", "productItemNo",
    "updateTime", "source",
]  # fmt: skip


def ticket_schema(sandbox: Sandbox) -> Schema:
    return parse_schema(tickets_api(sandbox, auth=None).get("/schema").content)


def xml_of(response: httpx.Response) -> ET.Element:
    assert response.status_code in (200, 206), response.text
    assert response.headers["content-type"].startswith(XML)
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    return parse_xml(response.content)


def scalars(value: Any) -> list[Any]:
    """Every leaf of a JSON value."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in scalars(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in scalars(item)]
    return [value]


# --- the XSDs ---


def test_ticket_schema_describes_ticket_data(sandbox: Sandbox) -> None:
    # when
    response = tickets_api(sandbox, auth=None, accept=None).get("/schema")
    schema = parse_schema(response.content)
    # then
    assert response.headers["content-type"].startswith(XML)
    assert schema.roots["ticketData"] == "ticketData"
    particles = {p.name: p for p in schema.sequences["ticketData"]}
    assert list(particles) == TICKET_DATA_ORDER
    assert particles["ticketid"].min_occurs == 1
    assert all(p.min_occurs == 0 for name, p in particles.items() if name != "ticketid")
    assert all(p.nillable for p in particles.values())
    assert particles["comments"].unbounded
    assert particles["comments"].type == "ticketCommentData"
    comment = {p.name: p for p in schema.sequences["ticketCommentData"]}
    assert list(comment) == ["commentId", "date", "comment", "action", "commentRole"]
    assert not comment["commentId"].nillable
    assert {"PARTIAL_QUANTITY", "TAX"} <= schema.enums["refundType"]
    assert schema.enums["status"] == {"OPEN", "REOPENED", "CLOSED"}


def test_partial_refund_schema(sandbox: Sandbox) -> None:
    response = tickets_api(sandbox, auth=None, accept=None).get("/partialRefundDataSchema")
    schema = parse_schema(response.content)
    particles = schema.sequences["partialRefundData"]
    assert schema.roots == {"partialRefundData": "partialRefundData"}
    assert [p.name for p in particles] == [
        "usdAmount",
        "customerAmount",
        "customerCurrency",
        "productAmount",
        "productCurrency",
    ]
    assert not any(p.nillable or p.min_occurs for p in particles)


# --- XML answers, valid against the served schemas ---


@pytest.mark.parametrize(
    "ticket_id", [PHYSICAL_REFUND_TICKET, PARTIAL_REFUND_TICKET, CLOSED_TECH_TICKET]
)
def test_ticket_xml_is_valid_against_the_schema(sandbox: Sandbox, ticket_id: int) -> None:
    # given
    schema = ticket_schema(sandbox)
    # when
    root = xml_of(tickets_api(sandbox, accept=XML).get(f"/{ticket_id}"))
    # then
    assert root.tag == "ticketData"
    assert_valid(schema, root, "ticketData")
    assert root.findtext("ticketid") == str(ticket_id)


def test_nil_is_xsi_nil_in_xml(sandbox: Sandbox) -> None:
    root = xml_of(tickets_api(sandbox, accept=XML).get(f"/{PHYSICAL_REFUND_TICKET}"))
    closed = root.find("closedDate")
    assert closed is not None and closed.get(XSI_NIL) == "true"


def test_repeated_comments_have_no_wrapper_in_xml(sandbox: Sandbox) -> None:
    root = xml_of(tickets_api(sandbox, accept=XML).get(f"/{PARTIAL_REFUND_TICKET}"))
    comments = root.findall("comments")
    assert [c.findtext("action") for c in comments] == ["OPENED", "COMMENTED"]


def test_list_xml_is_ticket_datas_of_valid_ticket_data(sandbox: Sandbox) -> None:
    # given
    schema = ticket_schema(sandbox)
    # when
    response = tickets_api(sandbox, accept=XML).get("/list", params=BUSY_WEEK)
    root = xml_of(response)
    # then
    assert response.status_code == 206
    assert root.tag == "ticketDatas"
    assert len(root) == 100
    for child in root:
        assert child.tag == "ticketData"
        assert_valid(schema, child, "ticketData")


def test_empty_list_xml(sandbox: Sandbox) -> None:
    root = xml_of(tickets_api(sandbox, accept=XML).get("/list", params={"receipt": "NOPE2345"}))
    assert (root.tag, len(root)) == ("ticketDatas", 0)


def test_write_answers_are_valid_xml_too(sandbox: Sandbox) -> None:
    # given
    schema = ticket_schema(sandbox)
    api = tickets_api(sandbox, accept=XML)
    # when
    created = xml_of(api.create(ONE_OFF_USD, type="tech", reason=TECH_REASON, comment="<&>"))
    changed = xml_of(
        api.put(f"/{created.findtext('ticketid')}", params={"action": "change", "type": "rfnd"})
    )
    # then
    for root in (created, changed):
        assert_valid(schema, root, "ticketData")
    assert created.findtext("comments/comment") == "<&>"
    assert changed.findtext("refundType") == "FULL"


def test_partial_refund_xml_is_valid(sandbox: Sandbox) -> None:
    # given
    schema = parse_schema(tickets_api(sandbox).get("/partialRefundDataSchema").content)
    # when
    root = xml_of(
        tickets_api(sandbox, accept=XML).get(
            f"/refundAmounts/{ONE_OFF_EUR}",
            params={"refundType": "PARTIAL_PERCENT", "refundAmount": "25"},
        )
    )
    # then
    assert root.tag == "partialRefundData"
    assert_valid(schema, root, "partialRefundData")
    assert root.findtext("customerCurrency") == "EUR"


# --- JSON: Jersey's mapped notation ---


def test_json_scalars_are_all_strings(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    bodies = [
        api.get(f"/{PARTIAL_REFUND_TICKET}").json(),
        api.get("/list", params=BUSY_WEEK).json(),
        api.get(f"/refundAmounts/{ONE_OFF_USD}", params={"refundType": "FULL"}).json(),
    ]
    leaves = [leaf for body in bodies for leaf in scalars(body)]
    assert leaves
    assert all(isinstance(leaf, str) for leaf in leaves)


def test_json_ticket_is_unwrapped_and_list_is_wrapped(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    single = api.get(f"/{OPEN_TECH_TICKET}").json()
    many = api.get("/list", params=BUSY_WEEK).json()
    assert "ticketData" not in single and single["ticketid"] == str(OPEN_TECH_TICKET)
    assert list(many) == ["ticketData"] and len(many["ticketData"]) == 100


def test_json_keys_follow_the_schema_order(sandbox: Sandbox) -> None:
    ticket = tickets_api(sandbox).get(f"/{PARTIAL_REFUND_TICKET}").json()
    assert list(ticket) == TICKET_DATA_ORDER


# --- Accept ---


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param(None, XML, id="absent"),
        pytest.param("*/*", XML, id="anything"),
        pytest.param(JSON, JSON, id="json"),
        pytest.param(XML, XML, id="xml"),
        pytest.param("text/xml", XML, id="text xml"),
        pytest.param("application/json;q=0.5, application/xml", XML, id="xml preferred"),
        pytest.param("application/xml;q=0.2, application/json;q=0.9", JSON, id="json preferred"),
        pytest.param("text/html, application/json", JSON, id="one acceptable"),
    ],
)
def test_output_is_chosen_by_accept(sandbox: Sandbox, accept: str | None, expected: str) -> None:
    response = tickets_api(sandbox, accept=accept).get(f"/{OPEN_TECH_TICKET}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(expected)


def test_nothing_acceptable_is_406_plain_text(sandbox: Sandbox) -> None:
    response = tickets_api(sandbox, accept="text/html").get(f"/{OPEN_TECH_TICKET}")
    assert_plain_text_error(response, 406, "application/json")


@pytest.mark.parametrize("accept", [JSON, XML])
def test_errors_are_plain_text_whatever_accept_says(sandbox: Sandbox, accept: str) -> None:
    api = tickets_api(sandbox, accept=accept)
    bad_request = api.create(ONE_OFF_USD, type="nope", reason=TECH_REASON)
    forbidden = api.with_(auth=None).get(f"/{OPEN_TECH_TICKET}")
    assert_plain_text_error(bad_request, 400, "type")
    assert_plain_text_error(forbidden, 403)


def test_unknown_paths_and_methods_are_plain_text(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    assert_plain_text_error(api.get("/nothing/here"), 404)
    assert_plain_text_error(api.call("DELETE", f"/{OPEN_TECH_TICKET}"), 405)


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("path", ["/list", "/count", "/schema", "/partialRefundDataSchema"])
def test_literal_paths_win_over_ids_and_receipts(sandbox: Sandbox, method: str, path: str) -> None:
    # JAX-RS matches the literal segment first, then finds no such method on it.
    response = tickets_api(sandbox).call(method, path, params={"comment": "x"})
    assert_plain_text_error(response, 405)
    assert response.headers["allow"] == "GET"


# --- request conventions ---


def _head(sandbox: Sandbox, method: str, path: str, *extra: str) -> str:
    target = urlsplit(tickets_api(sandbox).base).path + path
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: {API_KEY}"]
    return "\n".join([*lines, "Accept: application/json", "Connection: close", *extra])


def test_post_without_content_length_is_400(sandbox: Sandbox) -> None:
    # given: what curl without the header sends; ClickBank answered 400 (A3)
    query = f"type=tech&reason={TECH_REASON}"
    # when
    status, reply = raw_http(sandbox.url, _head(sandbox, "POST", f"/{ONE_OFF_USD}?{query}"))
    # then
    assert status == 400
    assert b"Content-Length" in reply
    assert tickets_api(sandbox).get("/count", params={"receipt": ONE_OFF_USD}).text == "0"


def test_put_without_content_length_is_400(sandbox: Sandbox) -> None:
    head = _head(sandbox, "PUT", f"/{OPEN_TECH_TICKET}?comment=hi")
    status, _ = raw_http(sandbox.url, head)
    assert status == 400


def test_negative_content_length_is_400(sandbox: Sandbox) -> None:
    # curl once sent "Content-Length: -1" here and ClickBank answered 400 (A3).
    head = _head(sandbox, "POST", f"/{ONE_OFF_USD}?type=tech", "Content-Length: -1")
    status, _ = raw_http(sandbox.url, head)
    assert status == 400


def test_post_with_content_length_0_is_accepted(sandbox: Sandbox) -> None:
    query = f"type=tech&reason={TECH_REASON}"
    head = _head(sandbox, "POST", f"/{ONE_OFF_USD}?{query}", "Content-Length: 0")
    status, _ = raw_http(sandbox.url, head)
    assert status == 200


def test_receipt_in_the_path_is_case_insensitive(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.create(DIGITAL_OPEN_REFUND.lower(), type="tech", reason=TECH_REASON)
    assert response.json()["receipt"] == DIGITAL_OPEN_REFUND


def test_service_description_is_html(sandbox: Sandbox) -> None:
    response = tickets_api(sandbox, auth=None, accept=None).get("")
    assert response.headers["content-type"].startswith("text/html")
    assert "Tickets Service Description" in response.text
    assert "/1.3/tickets/refundAmounts/{receipt}" in response.text


# --- rate limit ---


def test_rate_limit_is_403_without_retry_after(start_sandbox: StartSandbox) -> None:
    with start_sandbox(clickbank_rate_limit_per_s=1) as sandbox:
        # given
        api = tickets_api(sandbox)
        # when: a burst far faster than one a second
        burst = [api.get(f"/{OPEN_TECH_TICKET}") for _ in range(5)]
        time.sleep(1.1)
        later = api.get(f"/{OPEN_TECH_TICKET}")
        # then: 403, not 429, and the limit lifts once the bucket refills
        assert burst[0].status_code == 200
        limited = [r for r in burst if r.status_code != 200]
        assert limited
        for response in limited:
            assert_plain_text_error(response, 403, "Rate limit exceeded")
            assert "retry-after" not in response.headers
        assert later.status_code == 200


def test_rate_limit_applies_before_authentication(start_sandbox: StartSandbox) -> None:
    with start_sandbox(clickbank_rate_limit_per_s=1) as sandbox:
        api = tickets_api(sandbox, auth=None)
        texts = {api.get("/list").text for _ in range(5)}
        assert "Rate limit exceeded" in texts


def test_no_rate_limit_by_default(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    statuses = {api.get(f"/{OPEN_TECH_TICKET}").status_code for _ in range(30)}
    assert statuses == {200}


# --- control endpoints ---


def test_injected_fault_is_plain_text_like_clickbank(sandbox: Sandbox) -> None:
    # given
    sandbox.faults("clickbank", {"match": "GET /rest/1.3/tickets/list", "error_status": 503})
    # when
    response = tickets_api(sandbox).get("/list")
    # then
    assert_plain_text_error(response, 503, "Service Unavailable")


def test_stats_count_calls_per_route(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    api.get(f"/{OPEN_TECH_TICKET}")
    api.get(f"/{CLOSED_TECH_TICKET}")
    api.get("/count")
    calls = sandbox.calls("clickbank")
    assert calls == {
        "GET /rest/1.3/tickets/{ticket_id}": 2,
        "GET /rest/1.3/tickets/count": 1,
    }


def test_reset_restores_the_sample_data(sandbox: Sandbox) -> None:
    # given: a new ticket and a closed sample ticket
    api = tickets_api(sandbox)
    created = api.create(ONE_OFF_USD, **FULL_REFUND).json()
    api.put(f"/{OPEN_TECH_TICKET}", params={"action": "close"})
    # when
    HTTP.post(f"{sandbox.url}/clickbank/_sandbox/reset").raise_for_status()
    # then
    assert api.get(f"/{created['ticketid']}").status_code == 403
    assert api.ticket(OPEN_TECH_TICKET)["status"] == "OPEN"
    again = api.create(ONE_OFF_USD, **FULL_REFUND).json()
    assert again["ticketid"] == created["ticketid"]
