"""Date ranges longer than the API's 7 days, cut into windows it accepts (seed 002, C3#9).

``list`` refuses a createDate / updateDate / closeDate range of more than 7 days. A longer range
is the union of consecutive windows, each sent as its own search; the caller fetches them
(concurrently if it likes) and merges, keeping each ticket once. Windows span 7 calendar days
at most, first and last day included (``to - from`` of 6 days), which passes whether the
upstream counts the 7 days inclusively or as ``to - from``.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from gateway.upstreams.clickbank.models import TicketFilters
from gateway.upstreams.clickbank.rules import DATE_FIELD_PAIRS, TicketRequestInvalid, parse_date

__all__ = ["MAX_WINDOWS", "WINDOW_DAYS", "date_windows", "split_filters"]

WINDOW_DAYS = 7
# A year of weekly windows. More would be a crawl through the API's daily quota (25,000 calls
# per account, A11), not a search; the caller should narrow the range instead.
MAX_WINDOWS = 53


def date_windows(
    start: date, end: date, days: int = WINDOW_DAYS, *, field: str = "date_to"
) -> tuple[tuple[date, date], ...]:
    """Consecutive ``(first, last)`` day pairs, both inclusive, covering ``start..end`` exactly."""
    if days < 1:
        raise ValueError("windows need at least one day")
    if end < start:
        raise TicketRequestInvalid(field, "is before the start of the range")
    step = timedelta(days=days)
    windows: list[tuple[date, date]] = []
    first = start
    while first <= end:
        windows.append((first, min(first + step - timedelta(days=1), end)))
        first += step
    return tuple(windows)


def split_filters(
    filters: TicketFilters, *, max_windows: int = MAX_WINDOWS
) -> tuple[TicketFilters, ...]:
    """The searches whose results together are exactly ``filters``' results.

    Each date pair is cut into windows; when several pairs are given, every combination of their
    windows is one search (a ticket matches all pairs at once, so it lies in exactly one
    combination). Filters without a long range come back unchanged, as the only search. Broken
    ranges (one end missing, a bad date, backwards) raise ``TicketRequestInvalid``, like
    ``list`` does, before anything is sent.
    """
    choices: list[list[dict[str, Any]]] = []
    for from_field, to_field, _, _ in DATE_FIELD_PAIRS:
        start, end = getattr(filters, from_field), getattr(filters, to_field)
        if start is None and end is None:
            continue
        if start is None or end is None:
            missing = from_field if start is None else to_field
            raise TicketRequestInvalid(missing, "date ranges need both ends")
        first, last = parse_date(start, from_field), parse_date(end, to_field)
        windows = date_windows(first, last, field=to_field)
        choices.append([{from_field: a, to_field: b} for a, b in windows])
    searches = 1
    for options in choices:
        searches *= len(options)
    if searches > max_windows:
        raise TicketRequestInvalid(
            _widest(filters), f"the date range needs {searches} searches; at most {max_windows}"
        )
    return tuple(
        replace(filters, **{k: v for part in combination for k, v in part.items()})
        for combination in itertools.product(*choices)
    )


def _widest(filters: TicketFilters) -> str:
    spans: list[tuple[int, str]] = []
    for from_field, to_field, _, _ in DATE_FIELD_PAIRS:
        start, end = getattr(filters, from_field), getattr(filters, to_field)
        if start is not None and end is not None:
            span = parse_date(end, to_field) - parse_date(start, from_field)
            spans.append((span.days, to_field))
    return max(spans)[1]
