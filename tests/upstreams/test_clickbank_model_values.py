"""Each value the models read takes its quick way (as the API writes it) or its careful way
(blanks around it, another spelling, the wrong kind); both give the same meaning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from gateway.upstreams.clickbank import TicketData, TicketStatus

PDT = timezone(timedelta(hours=-7))


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("2024-09-01T08:00:00-07:00", datetime(2024, 9, 1, 8, 0, tzinfo=PDT)),
        (" 2024-09-01T08:00:00-07:00\n", datetime(2024, 9, 1, 8, 0, tzinfo=PDT)),
        ("2024-09-01T15:00:00 ", datetime(2024, 9, 1, 15, 0, tzinfo=UTC)),  # no zone: UTC
        ("   ", None),
        ("", None),
        (None, None),
    ],
)
def test_date_times_with_and_without_blanks(written: str | None, moment: datetime | None) -> None:
    parsed = TicketData.read({"ticketid": "1", "openedDate": written})
    assert parsed.opened_date == moment
    if moment is not None:
        assert parsed.opened_date is not None
        assert parsed.opened_date.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("OPEN", TicketStatus.OPEN),
        (" OPEN ", TicketStatus.OPEN),
        ("PAUSED", "PAUSED"),  # drift: kept as written
        ("  ", None),
        (None, None),
    ],
)
def test_enum_values(written: str | None, status: TicketStatus | str | None) -> None:
    parsed = TicketData.read({"ticketid": "1", "status": written})
    assert parsed.status == status and type(parsed.status) is type(status)


@pytest.mark.parametrize(
    "row",
    [
        {"ticketid": "1", "receipt": 12345678},  # text is text, never a number's digits
        {"ticketid": "1", "email": ["a@example.com"]},
        {"ticketid": "1", "status": 3},
        {"ticketid": "1", "openedDate": "2024-13-01T00:00:00Z"},
        {"ticketid": "1", "openedDate": 1725177600},
    ],
)
def test_wrong_kinds_are_refused_naming_the_field(row: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as refused:
        TicketData.read(row)
    [field] = {error["loc"][0] for error in refused.value.errors()}
    assert field in row and field != "ticketid"
