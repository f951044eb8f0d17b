"""Time as the simulated ClickBank sees it: a fixed -07:00 offset, whole seconds.

ClickBank is in Boise (Mountain time). A fixed offset instead of the real zone keeps sample dates
free of daylight-saving jumps; every ``xs:dateTime`` still carries an explicit offset (A12).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

__all__ = ["TZ", "local_date", "now", "xs_datetime"]

TZ = timezone(timedelta(hours=-7))


def now() -> datetime:
    return datetime.now(TZ).replace(microsecond=0)


def xs_datetime(value: datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ssXXX``, e.g. ``2024-09-10T08:15:00-07:00``."""
    return value.astimezone(TZ).isoformat(timespec="seconds")


def local_date(value: datetime) -> date:
    """The calendar day the date filters (``createDateFrom``...) compare against."""
    return value.astimezone(TZ).date()
