"""VendorTicket is built at once from a ticket: every field an attribute, none of them failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from gateway.upstreams.clickbank import TicketData
from schema.vendor_tickets import VendorTicket, VendorTicketStatus, VendorTicketType

ROW = {
    "ticketid": "4100001",
    "status": "OPEN",
    "type": "SOMETHING_NEW",
    "openedDate": "2024-09-26T10:15:00-07:00",
    "comments": {"commentId": "1", "date": "2024-09-26T10:15:00-07:00", "comment": "x"},
    "customerFirstName": "Hedy",
    "email": "hedy.lamarr@example.com",
}


def test_fields_are_read_off_the_ticket_in_utc() -> None:
    ticket = VendorTicket(data=TicketData.read(ROW))
    assert ticket.id == "4100001"
    assert ticket.opened_at == datetime(2024, 9, 26, 17, 15, tzinfo=UTC)
    assert ticket.opened_at is not None and ticket.opened_at.utcoffset() == timedelta(0)
    assert (ticket.status, ticket.type, ticket.type_code) == (
        VendorTicketStatus.OPEN,
        VendorTicketType.OTHER,
        "SOMETHING_NEW",
    )


def test_a_moment_with_no_utc_form_is_kept_as_written() -> None:
    # 00:30 on 1 January of year 1 at +01:00 is in year 0 in UTC, which datetime cannot hold
    row = {**ROW, "closedDate": "0001-01-01T00:30:00+01:00"}
    ticket = VendorTicket(data=TicketData.read(row))
    assert ticket.closed_at == datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert ticket.id == "4100001"


def test_repr_leaves_out_the_customer() -> None:
    text = repr(VendorTicket(data=TicketData.read(ROW)))
    assert "4100001" in text and "Hedy" not in text and "example.com" not in text
