"""Date ranges longer than 7 days, cut into windows the API accepts, and searched as one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.upstreams.clickbank import (
    TicketFilters,
    TicketRequestInvalid,
    date_windows,
    split_filters,
)
from gateway.upstreams.clickbank.rules import list_params
from gateway.upstreams.errors import UpstreamUnavailable
from tests.support.sandbox import Sandbox
from tests.upstreams.clickbank_support import LIST_CALL, NO_RETRIES, clickbank_client

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 9, 9), date(2024, 9, 9)),  # one day
        (date(2024, 9, 9), date(2024, 9, 15)),  # exactly one window
        (date(2024, 9, 9), date(2024, 9, 16)),  # one day over
        (date(2024, 2, 20), date(2024, 3, 10)),  # across a leap day
        (date(2023, 12, 1), date(2024, 11, 30)),  # a year
    ],
)
def test_windows_cover_the_range_exactly_once(start: date, end: date) -> None:
    windows = date_windows(start, end)
    days = [first + n * DAY for first, last in windows for n in range((last - first).days + 1)]
    assert days == [start + n * DAY for n in range((end - start).days + 1)]  # no gap, no overlap
    assert all((last - first).days <= 6 for first, last in windows)  # 7 calendar days at most
    assert len(windows) == -(-len(days) // 7)  # and no more windows than needed


def test_backwards_range_names_the_end() -> None:
    with pytest.raises(TicketRequestInvalid) as caught:
        date_windows(date(2024, 9, 9), date(2024, 9, 1), field="close_date_to")
    assert caught.value.field == "close_date_to"


def test_short_ranges_are_one_unchanged_search() -> None:
    week = TicketFilters(type="rfnd", create_date_from="2024-09-09", create_date_to="2024-09-15")
    assert split_filters(week) == (
        TicketFilters(
            type="rfnd", create_date_from=date(2024, 9, 9), create_date_to=date(2024, 9, 15)
        ),
    )
    assert split_filters(TicketFilters(status="open")) == (TicketFilters(status="open"),)


def test_every_window_is_a_valid_search_keeping_the_other_filters() -> None:
    month = TicketFilters(
        type="cncl", receipt="K8XQ%", update_date_from="2024-09-01", update_date_to="2024-09-30"
    )
    searches = split_filters(month)
    assert len(searches) == 5
    for search in searches:
        params = list_params(search)  # raises if a window broke a rule
        assert (params["type"], params["receipt"]) == ("cncl", "K8XQ%")
    assert (searches[0].update_date_from, searches[-1].update_date_to) == (
        date(2024, 9, 1),
        date(2024, 9, 30),
    )


def test_two_long_ranges_are_every_combination_of_their_windows() -> None:
    both = TicketFilters(
        create_date_from="2024-09-01",
        create_date_to="2024-09-14",  # 2 windows
        close_date_from="2024-09-01",
        close_date_to="2024-09-21",  # 3 windows
    )
    searches = split_filters(both)
    pairs = {(s.create_date_from, s.close_date_from) for s in searches}
    assert len(searches) == len(pairs) == 6


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (TicketFilters(create_date_from="2024-09-01"), "create_date_to"),
        (TicketFilters(update_date_to="2024-09-01"), "update_date_from"),
        (TicketFilters(close_date_from="2024-09-30", close_date_to="2024-09-01"), "close_date_to"),
        (
            TicketFilters(create_date_from="2024/09/01", create_date_to="2024-10-01"),
            "create_date_from",
        ),
        # 60 weekly searches: more than a search, narrow it instead
        (
            TicketFilters(create_date_from="2023-01-01", create_date_to="2024-02-20"),
            "create_date_to",
        ),
    ],
)
def test_broken_or_huge_ranges_are_refused(filters: TicketFilters, field: str) -> None:
    with pytest.raises(TicketRequestInvalid) as caught:
        split_filters(filters)
    assert caught.value.field == field


# --- through the client, against the simulator -----------------------------------------------


async def test_a_broken_long_range_sends_nothing(sandbox: Sandbox) -> None:
    # the receipt rule fails in every window: found before the first window goes out
    bad = TicketFilters(receipt="%K8", create_date_from="2024-06-01", create_date_to="2024-09-30")
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(TicketRequestInvalid) as caught:
            await client.list_range(bad)
    assert caught.value.field == "receipt"
    assert sandbox.calls("clickbank") == {}


async def test_one_failing_window_fails_the_whole_search(sandbox: Sandbox) -> None:
    # a partial merge would read as "these are all the tickets", so it is an error instead
    sandbox.faults("clickbank", {"match": LIST_CALL, "error_status": 503, "times": 1})
    month = TicketFilters(create_date_from="2024-08-01", create_date_to="2024-08-31")
    async with clickbank_client(sandbox.clickbank_url, retry=NO_RETRIES) as client:
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.list_range(month, concurrency=1)
    assert caught.value.status == 503


async def test_a_retried_window_still_completes_the_search(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": LIST_CALL, "error_status": 503, "times": 2})
    month = TicketFilters(create_date_from="2024-08-01", create_date_to="2024-08-31")
    async with clickbank_client(sandbox.clickbank_url) as client:
        merged = await client.list_range(month)
        windows = [t for w in split_filters(month) for t in (await client.list_all(w)).tickets]
    assert [t.ticket_id for t in merged.tickets] == [t.ticket_id for t in windows]
    assert merged.tickets
