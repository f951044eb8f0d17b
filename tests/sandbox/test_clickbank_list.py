"""ClickBank simulator: GET /tickets/list (filters, 100-row pages, 206 and the Page header) and
GET /tickets/count (seed 002, A9, C3#7-11)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.clickbank_support import (
    BUSY_WEEK,
    CLOSED_TECH_TICKET,
    COMPLETED_CANCEL_TICKET,
    DIGITAL_OPEN_REFUND,
    OPEN_TECH_TICKET,
    PARTIAL_REFUND_TICKET,
    XML,
    TicketsApi,
    assert_plain_text_error,
    entries,
    tickets_api,
)
from tests.support.sandbox import Sandbox

BUSY_WEEK_TICKETS = 250
FIRST_FOREIGN_TICKET = 4_900_001
STEMS = ["createDate", "updateDate", "closeDate"]


def listed(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code in (200, 206), response.text
    rows: list[dict[str, Any]] = entries(response.json().get("ticketData"))
    return rows


def ids(response: httpx.Response) -> list[int]:
    return [int(row["ticketid"]) for row in listed(response)]


def all_pages(api: TicketsApi, params: dict[str, str]) -> list[int]:
    found: list[int] = []
    for page in range(1, 50):
        response = api.get("/list", params=params, headers={"Page": str(page)})
        found += ids(response)
        if response.status_code != 206:
            return found
    raise AssertionError("the list never stopped answering 206")


def count(api: TicketsApi, params: dict[str, str]) -> int:
    response = api.get("/count", params=params)
    assert response.status_code == 200, response.text
    return int(response.text)


# --- paging ---


def test_a_busy_week_pages_100_100_50_with_206_until_the_last(sandbox: Sandbox) -> None:
    # given: 250 of our tickets were opened in the busy week
    api = tickets_api(sandbox)
    # when
    pages = [api.get("/list", params=BUSY_WEEK, headers={"Page": str(n)}) for n in (1, 2, 3)]
    # then
    assert [p.status_code for p in pages] == [206, 206, 200]
    assert [len(listed(p)) for p in pages] == [100, 100, 50]
    found = [i for p in pages for i in ids(p)]
    assert len(set(found)) == BUSY_WEEK_TICKETS
    assert found == sorted(found)
    assert not any(p.headers.get("content-range") for p in pages)


def test_no_page_header_is_page_one(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    first = api.get("/list", params=BUSY_WEEK)
    explicit = api.get("/list", params=BUSY_WEEK, headers={"Page": "1"})
    assert first.status_code == 206
    assert ids(first) == ids(explicit)


def test_page_is_a_header_not_a_query_parameter(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    as_query = api.get("/list", params={**BUSY_WEEK, "Page": "3"})
    page_one = api.get("/list", params=BUSY_WEEK)
    assert ids(as_query) == ids(page_one)


def test_page_header_name_is_case_insensitive(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    lower = api.get("/list", params=BUSY_WEEK, headers={"page": "3"})
    assert lower.status_code == 200
    assert len(listed(lower)) == 50


def test_a_page_past_the_end_is_200_and_empty(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.get("/list", params=BUSY_WEEK, headers={"Page": "4"})
    assert response.status_code == 200
    assert response.json() == {}


@pytest.mark.parametrize("page", ["0", "-1", "two"])
def test_a_bad_page_header_is_400(sandbox: Sandbox, page: str) -> None:
    api = tickets_api(sandbox)
    response = api.get("/list", params=BUSY_WEEK, headers={"Page": page})
    assert_plain_text_error(response, 400, "Page")


def test_unfiltered_list_pages_through_all_our_tickets_and_matches_count(
    sandbox: Sandbox,
) -> None:
    api = tickets_api(sandbox)
    found = all_pages(api, {})
    assert len(found) == len(set(found)) == count(api, {})
    assert len(found) > 300
    assert not any(FIRST_FOREIGN_TICKET <= i < 5_000_000 for i in found)


# --- filters ---


def test_type_and_status_filters(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    rows = [
        row
        for page in (1, 2, 3, 4, 5)
        for row in listed(
            api.get(
                "/list", params={"type": "tech", "status": "closed"}, headers={"Page": str(page)}
            )
        )
    ]
    # then
    assert rows
    assert {(row["type"], row["status"]) for row in rows} == {("TECH_SUPPORT", "CLOSED")}
    assert CLOSED_TECH_TICKET in [int(row["ticketid"]) for row in rows]


def test_reopened_status_filter(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    rows = listed(api.get("/list", params={"status": "reopened"}))
    assert rows
    assert {row["status"] for row in rows} == {"REOPENED"}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        pytest.param({"type": "refund"}, "type", id="unknown type"),
        pytest.param({"status": "pending"}, "status", id="unknown status"),
    ],
)
@pytest.mark.parametrize("endpoint", ["/list", "/count"])
def test_unknown_type_or_status_is_400(
    sandbox: Sandbox, endpoint: str, params: dict[str, str], named: str
) -> None:
    api = tickets_api(sandbox)
    response = api.get(endpoint, params=params)
    assert_plain_text_error(response, 400, named)


def test_update_date_range_filters_by_last_update(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.get(
        "/list", params={"updateDateFrom": "2024-09-30", "updateDateTo": "2024-09-30"}
    )
    assert ids(response) == [OPEN_TECH_TICKET]


def test_close_date_range_finds_only_closed_tickets(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.get("/list", params={"closeDateFrom": "2024-09-23", "closeDateTo": "2024-09-30"})
    assert ids(response) == [COMPLETED_CANCEL_TICKET, CLOSED_TECH_TICKET]


def test_date_ranges_and_filters_combine(sandbox: Sandbox) -> None:
    # given: tickets opened in the busy week that were also closed within it
    api = tickets_api(sandbox)
    params = {**BUSY_WEEK, "closeDateFrom": "2024-09-09", "closeDateTo": "2024-09-15"}
    # when
    rows = [
        row
        for page in (1, 2, 3)
        for row in listed(api.get("/list", params=params, headers={"Page": str(page)}))
    ]
    # then
    assert 0 < len(rows) < BUSY_WEEK_TICKETS
    assert {row["status"] for row in rows} == {"CLOSED"}
    assert all("2024-09-09" <= row["openedDate"][:10] <= "2024-09-15" for row in rows)
    assert all("2024-09-09" <= row["closedDate"][:10] <= "2024-09-15" for row in rows)
    assert count(api, params) == len({row["ticketid"] for row in rows})


@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize("half", ["From", "To"])
@pytest.mark.parametrize("endpoint", ["/list", "/count"])
def test_half_a_date_range_is_400(sandbox: Sandbox, endpoint: str, stem: str, half: str) -> None:
    api = tickets_api(sandbox)
    response = api.get(endpoint, params={f"{stem}{half}": "2024-09-10"})
    assert_plain_text_error(response, 400, f"{stem}From and {stem}To")


@pytest.mark.parametrize("stem", STEMS)
def test_a_range_over_7_days_is_400(sandbox: Sandbox, stem: str) -> None:
    api = tickets_api(sandbox)
    response = api.get("/list", params={f"{stem}From": "2024-09-09", f"{stem}To": "2024-09-17"})
    assert_plain_text_error(response, 400, "7 days")


def test_a_range_of_exactly_7_days_is_accepted(sandbox: Sandbox) -> None:
    # given: nothing of ours was opened on 2024-09-16, so the busy week's 250 come back
    api = tickets_api(sandbox)
    params = {"createDateFrom": "2024-09-09", "createDateTo": "2024-09-16"}
    # when / then
    assert len(all_pages(api, params)) == BUSY_WEEK_TICKETS


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param("2024-9-9", "2024-09-10", id="no leading zeros"),
        pytest.param("09/09/2024", "2024-09-10", id="slashes"),
        pytest.param("2024-02-30", "2024-03-01", id="no such day"),
        pytest.param("2024-09-10", "2024-09-09", id="to before from"),
    ],
)
def test_bad_dates_are_400(sandbox: Sandbox, first: str, last: str) -> None:
    api = tickets_api(sandbox)
    response = api.get("/list", params={"createDateFrom": first, "createDateTo": last})
    assert_plain_text_error(response, 400, "createDate")


@pytest.mark.parametrize(
    "receipt",
    [
        pytest.param("%6YP2DV9", id="starts with the wildcard"),
        pytest.param("R6Y", id="three characters"),
        pytest.param("R6%Y%", id="three characters and wildcards"),
    ],
)
def test_list_receipt_needs_4_characters_not_starting_with_wildcard(
    sandbox: Sandbox, receipt: str
) -> None:
    api = tickets_api(sandbox)
    response = api.get("/list", params={"receipt": receipt})
    assert_plain_text_error(response, 400, "receipt")


@pytest.mark.parametrize("receipt", [DIGITAL_OPEN_REFUND, "R6YP%", "r6yp2dv9", "R6%DV9"])
def test_list_by_receipt_exact_or_wildcard(sandbox: Sandbox, receipt: str) -> None:
    api = tickets_api(sandbox)
    response = api.get("/list", params={"receipt": receipt})
    assert ids(response) == [PARTIAL_REFUND_TICKET]


def test_one_result_is_a_bare_object_and_none_is_an_empty_object(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    one = api.get("/list", params={"receipt": DIGITAL_OPEN_REFUND})
    none = api.get("/list", params={"receipt": "NOPE2345"})
    assert isinstance(one.json()["ticketData"], dict)
    assert (none.status_code, none.json()) == (200, {})


# --- count ---


@pytest.mark.parametrize("accept", ["application/json", XML])
def test_count_is_a_bare_integer_as_text(sandbox: Sandbox, accept: str) -> None:
    api = tickets_api(sandbox, accept=accept)
    response = api.get("/count", params=BUSY_WEEK)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == str(BUSY_WEEK_TICKETS)


def test_count_agrees_with_list_for_each_filter(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    for params in ({"type": "rfnd"}, {"status": "open"}, {"type": "cncl", "status": "closed"}):
        assert count(api, params) == len(all_pages(api, params)), params


def test_count_accepts_a_receipt_the_list_would_refuse(sandbox: Sandbox) -> None:
    # The 4-character rule is documented for list only (C3#11).
    api = tickets_api(sandbox)
    assert count(api, {"receipt": "R6Y%"}) == 1
    assert api.get("/list", params={"receipt": "R6Y%"}).status_code == 400


def test_count_sees_a_new_ticket(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    before = count(api, {"type": "tech"})
    api.create("K8XQ2ZB7", type="tech", reason="ticket.type.tech_support.9")
    assert count(api, {"type": "tech"}) == before + 1
