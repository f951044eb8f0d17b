"""The ClickBank list page reader (``client._page``: ``plain.read_plain_page``, else the general
reader and the open rules) against the reader it replaced.

The old one is kept below as the reference: ``wire.read_ticket_list`` (unchanged) and the pydantic
``TicketData`` and ``TicketComment`` models before they became Structs (commit 4a22e46),
unchanged. Every page here is read by both from the same bytes, and both must read the same
tickets (compared field by field with their Python types, and by repr) with the same log records,
or refuse it with the same reason (the malformed-answer text ``_Reader.classify`` would log). The
pages are the simulator's, and its tickets mutated: each field removed, null, Jersey's nil in
every spelling, of every wrong type, blank-padded, an unknown enum value, odd dates; and the
shapes of a whole page the general reader accepts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import httpx
import orjson
import pytest
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gateway.upstreams.clickbank import client, models, plain, wire
from gateway.upstreams.clickbank.models import (
    Money,
    Text,
    Timestamp,
    _comments,
    _ticket_id,
    open_enum,
)
from gateway.upstreams.clickbank.vocab import (
    CommentRole,
    RefundType,
    TicketAction,
    TicketSource,
    TicketStatus,
    TicketType,
)
from tests.support.sandbox import Sandbox
from tests.upstreams.clickbank_support import API_KEY, BUSY_WEEK
from tests.upstreams.differential import REMOVE, Rejected, logged, mutated, paths

logger = logging.getLogger("gateway.upstreams.clickbank")

# --- the reference: the pydantic models before the Structs (commit 4a22e46), unchanged -----------
# (their rules, ``open_enum`` then ``_enum`` and ``read_money`` then ``_money``, are unchanged)


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_alias=True, validate_by_name=True
    )


class TicketComment(_Model):
    """One entry of a ticket's history (``ticketCommentData``)."""

    comment_id: Text = Field(default=None, validation_alias="commentId")
    date: Timestamp = None
    comment: Text = None
    action: Annotated[TicketAction | str | None, BeforeValidator(open_enum(TicketAction))] = None
    role: Annotated[CommentRole | str | None, BeforeValidator(open_enum(CommentRole))] = Field(
        default=None, validation_alias="commentRole"
    )


class TicketData(_Model):
    """A ticket as the API returns it (XSD ``ticketData``); customer details stay out of repr."""

    ticket_id: Annotated[str, BeforeValidator(_ticket_id)] = Field(validation_alias="ticketid")
    receipt: Text = None
    status: Annotated[TicketStatus | str | None, BeforeValidator(open_enum(TicketStatus))] = None
    type: Annotated[TicketType | str | None, BeforeValidator(open_enum(TicketType))] = None
    comments: Annotated[tuple[TicketComment, ...], BeforeValidator(_comments)] = ()
    opened_date: Timestamp = Field(default=None, validation_alias="openedDate")
    closed_date: Timestamp = Field(default=None, validation_alias="closedDate")
    description: Text = None
    refund_type: Annotated[RefundType | str | None, BeforeValidator(open_enum(RefundType))] = Field(
        default=None, validation_alias="refundType"
    )
    refund_amount: Money = Field(default=None, validation_alias="refundAmount")
    customer_first_name: Text = Field(
        default=None, validation_alias="customerFirstName", repr=False
    )
    customer_last_name: Text = Field(default=None, validation_alias="customerLastName", repr=False)
    email: Text = Field(default=None, repr=False)
    email_at_order_time: Text = Field(default=None, validation_alias="emailAtOrderTime", repr=False)
    expiration_date: Timestamp = Field(default=None, validation_alias="expirationDate")
    locale: Text = None
    note: Text = None
    product_item_no: Text = Field(default=None, validation_alias="productItemNo")
    update_time: Timestamp = Field(default=None, validation_alias="updateTime")
    source: Annotated[TicketSource | str | None, BeforeValidator(open_enum(TicketSource))] = None

    @property
    def refund_percent(self) -> Decimal | None:
        if self.refund_type is RefundType.PARTIAL_PERCENT:
            return self.refund_amount
        return None

    @property
    def refund_in_customer_currency(self) -> Decimal | None:
        if self.refund_type is RefundType.PARTIAL_AMOUNT:
            return self.refund_amount
        return None


def _old_page(body: bytes) -> tuple[TicketData, ...]:
    rows = wire.read_ticket_list(body, xml=False)
    return tuple(TicketData.model_validate(row) for row in rows)


# --- reading both ways --------------------------------------------------------------------------


def view(value: Any) -> Any:
    """``value`` as comparable data, each leaf with its Python type."""
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        extra = ("refund_percent", "refund_in_customer_currency")
    elif isinstance(value, models.TicketData | models.TicketComment):
        fields = {name: getattr(value, name) for name in value.__struct_fields__}
        extra = ("refund_percent", "refund_in_customer_currency")
    elif isinstance(value, tuple):
        return [view(item) for item in value]
    elif isinstance(value, Enum):
        return (type(value).__name__, value.value)
    elif isinstance(value, datetime):
        return ("datetime", repr(value), value.utcoffset())
    else:
        return (type(value).__name__, repr(value))
    seen = {name: view(v) for name, v in fields.items()}
    if "ticket_id" in fields:
        seen |= {name: view(getattr(value, name)) for name in extra}
    return (type(value).__name__, repr(value), seen)


def _refusal(error: Exception) -> Any:
    # what ``_Reader.classify`` makes of it (the text of its log line and error)
    if isinstance(error, wire.WireError):
        return ("wire", str(error))
    assert isinstance(error, ValidationError)
    fields = sorted({".".join(map(str, e["loc"])) for e in error.errors(include_input=False)})
    details = [(e["type"], e["loc"], e["msg"]) for e in error.errors(include_input=False)]
    return ("fields", fields, details)


def read_old(body: bytes) -> Any:
    try:
        return view(_old_page(body))
    except (wire.WireError, ValidationError) as error:
        return (Rejected, _refusal(error))


def read_new(body: bytes) -> Any:
    answer = httpx.Response(206, content=body, headers={"content-type": "application/json"})
    try:
        tickets, more = client._page(answer)
    except (wire.WireError, ValidationError) as error:
        return (Rejected, _refusal(error))
    assert more
    return view(tickets)


def both(body: bytes) -> tuple[Any, Any]:
    """What each reader makes of ``body``, with its log records; each starts from the same
    "a date without a zone was seen" state, which decides a record's level."""
    seen = models._naive_dates_seen
    with logged(logger) as old_logs:
        old = read_old(body)
    models._naive_dates_seen = seen
    with logged(logger) as new_logs:
        new = read_new(body)
    return (old, old_logs), (new, new_logs)


def assert_read_alike(page: Any) -> None:
    body = page if isinstance(page, bytes) else orjson.dumps(page)
    old, new = both(body)
    assert old == new, body[:3000]


# --- pages and mutations -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox_pages(shared_sandbox: Sandbox) -> list[bytes]:
    """List pages of the simulator: the busy week's three, and every ticket's pages."""
    headers = {"Accept": "application/json", "Authorization": client._authorization(API_KEY, None)}
    week = {"createDateFrom": BUSY_WEEK[0], "createDateTo": BUSY_WEEK[1]}
    pages = []
    with httpx.Client(base_url=shared_sandbox.clickbank_url, headers=headers) as http:
        for params in (week, {}, {"status": "closed"}, {"receipt": "W8JS5PL4"}):
            for number in range(1, 6):
                response = http.get("/tickets/list", params=params, headers={"Page": str(number)})
                assert response.status_code in (200, 206)
                pages.append(response.content)
                if response.status_code == 200:
                    break
    return pages


NILS: tuple[Any, ...] = (
    {"@nil": "true"},
    {"@nil": "TRUE"},
    {"@xsi.nil": "true"},
    {"@xsi:nil": "true"},
    {"@nil": "false"},
    {"@nil": True},
    {"@nil": "true", "@xmlns": "x"},
    {"$": "x"},
    {"$": "OPEN", "@type": "y"},
    {"@nil": "true", "$": "x"},
)
WRONG: tuple[Any, ...] = (
    *(0, 1, 7, -3, 2**40, 1.5, 10.0, True, False),
    *("", " ", "x", "true", "1", "12", "1.50", "NaN", "-Infinity", "1e3", "١٢", "²"),
    *([], {}, ["x"], [1], {"a": 1}, [{"@nil": "true"}], [None]),
    *("OPEN", "open", "REFUND", "SOMETHING_NEW", " CLOSED", "CLOSED ", "FULL", "API"),
    *("2024-09-09T00:15:53", "2024-09-09T00:15:53Z", "2024-09-09T00:15:53.1234567+02:00"),
    *("2024-09-09", "2024-09-09 00:15:53-07:00", " 2024-09-09T00:15:53Z", "2024-09-09T00:15:53Z "),
    *("2024-02-30T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"),
    *("2024-09-09T24:00:00Z", "2024-09-09T00:15:53+25:00", "20240909T001553Z"),
)
# each mutated value also blank-padded and upper / lower cased where it is a text
COMMENT = {"commentId": "9", "date": "2024-09-09T00:15:53-07:00", "comment": "c"}

PAGE_SHAPES: dict[str, Any] = {
    "empty object": {},
    "null": None,
    "empty text": "",
    "empty list": [],
    "ticketData null": {"ticketData": None},
    "ticketData empty": {"ticketData": []},
    "ticketData empty object": {"ticketData": {}},
    "one ticket bare": {"ticketData": {"ticketid": "1", "receipt": "R"}},
    "a list": [{"ticketid": "1"}, {"ticketid": "2"}],
    "rooted": {"ticketDatas": {"ticketData": [{"ticketid": "1"}, {"ticketid": "2"}]}},
    "rooted otherwise": {"tickets": [{"ticketid": "1"}]},
    "a lone ticket": {"ticketid": "1", "receipt": "R"},
    "an extra key": {"ticketData": [{"ticketid": "1"}], "total": "1"},
    "an attribute": {"@xmlns": "x", "ticketData": [{"ticketid": "1"}]},
    "a row of nil": {"ticketData": [{"ticketid": "1"}, {"@nil": "true"}]},
    "a row null": {"ticketData": [{"ticketid": "1"}, None]},
    "a row of text": {"ticketData": [{"ticketid": "1"}, "2"]},
    "a row with an attribute": {"ticketData": [{"ticketid": "1", "@a": "b"}]},
    "a row with a key holding @": {"ticketData": [{"ticketid": "1", "e@mail": "b"}]},
    "a row with a text node": {"ticketData": [{"ticketid": "1", "$": "b"}]},
    "a row with a new field": {"ticketData": [{"ticketid": "1", "priority": "HIGH"}]},
    "comments one bare": {"ticketData": [{"ticketid": "1", "comments": COMMENT}]},
    "comments empty object": {"ticketData": [{"ticketid": "1", "comments": {}}]},
    "comments empty list": {"ticketData": [{"ticketid": "1", "comments": []}]},
    "comments of an empty object": {"ticketData": [{"ticketid": "1", "comments": [{}]}]},
    "comments nil": {"ticketData": [{"ticketid": "1", "comments": {"@nil": "true"}}]},
    "comments text": {"ticketData": [{"ticketid": "1", "comments": ""}]},
    "comment of one nil": {"ticketData": [{"ticketid": "1", "comments": {"date": NILS[0]}}]},
    "comment of one null": {"ticketData": [{"ticketid": "1", "comments": {"date": None}}]},
    "comment with a new field": {
        "ticketData": [{"ticketid": "1", "comments": [{**COMMENT, "x": "y"}]}]
    },
}
BODIES: dict[str, bytes] = {
    "blank": b"  \n",
    "empty": b"",
    "not JSON": b"<ticketDatas/>",
    "trailing text": b'{"ticketData": [{"ticketid": "1"}]} x',
    "duplicate fields": b'{"ticketData": [{"ticketid": "1", "receipt": "A", "receipt": "B"}]}',
    "duplicate ids": b'{"ticketData": [{"ticketid": "1", "ticketid": "2"}]}',
    "duplicate lists": b'{"ticketData": [{"ticketid": "1"}], "ticketData": [{"ticketid": "2"}]}',
    "a byte order mark": b'\xef\xbb\xbf{"ticketData": [{"ticketid": "1"}]}',
    "not UTF-8": b'{"ticketData": [{"ticketid": "1", "receipt": "\xff"}]}',
    "an encoded surrogate": b'{"ticketData": [{"ticketid": "1", "receipt": "\xed\xa0\x80"}]}',
    "a lone surrogate escape": b'{"ticketData": [{"ticketid": "1", "receipt": "\\ud800"}]}',
    "a surrogate pair escape": b'{"ticketData": [{"ticketid": "1", "note": "\\ud83d\\ude00"}]}',
    "escapes": b'{"ticketData": [{"ticketid": "\\u0031", "receipt": "a\\"b\\\\c\\n"}]}',
    "a fractional amount": b'{"ticketData": [{"ticketid": "1", "refundAmount": 12.50}]}',
    "a whole amount": b'{"ticketData": [{"ticketid": "1", "refundAmount": 12}]}',
    "a huge exponent": b'{"ticketData": [{"ticketid": "1", "refundAmount": 1e400}]}',
    "NaN": b'{"ticketData": [{"ticketid": "1", "refundAmount": NaN}]}',
    "a big integer id": b'{"ticketData": [{"ticketid": ' + b"9" * 40 + b"}]}",
    "a NUL in a text": b'{"ticketData": [{"ticketid": "1", "receipt": "a\x00"}]}',
    "an escaped NUL": b'{"ticketData": [{"ticketid": "1", "receipt": "a\\u0000"}]}',
}


def _variants(value: Any) -> Iterator[Any]:
    yield from (REMOVE, None, *NILS, *WRONG)
    if isinstance(value, str):
        yield from (f" {value}", f"{value} ", f"\t{value}\n", value.lower(), value.upper())


def _first_rows(page: bytes, count: int = 3) -> dict[str, Any]:
    document = orjson.loads(page)
    return {"ticketData": document["ticketData"][:count]}


# --- alike everywhere ----------------------------------------------------------------------------


def test_sandbox_pages_read_alike(sandbox_pages: list[bytes]) -> None:
    for page in sandbox_pages:
        old, new = both(page)
        assert old == new
        assert old[0][0] is not Rejected


def test_sandbox_pages_are_read_the_plain_way(sandbox_pages: list[bytes]) -> None:
    # the faster reading, which the usual page must not miss (a miss costs a second decode)
    for page in sandbox_pages:
        assert plain.read_plain_page(page) is not None


@pytest.mark.parametrize("name", PAGE_SHAPES)
def test_page_shapes_read_alike(name: str) -> None:
    assert_read_alike(PAGE_SHAPES[name])


@pytest.mark.parametrize("name", BODIES)
def test_odd_bodies_read_alike(name: str) -> None:
    assert_read_alike(BODIES[name])


def test_each_field_removed_null_nil_or_wrong_reads_alike(sandbox_pages: list[bytes]) -> None:
    # the first tickets of the week's first page: comments as a list and as a bare entry
    page = _first_rows(sandbox_pages[0])
    compared = 0
    for path in paths(page):
        if path == ("ticketData",):
            continue
        at = page
        for key in path:
            at = at[key]
        for value in _variants(at):
            if value is REMOVE and isinstance(path[-1], int) and len(path) < 4:
                continue
            assert_read_alike(mutated(page, path, value))
            compared += 1
    assert compared > 3000


def test_each_field_of_a_later_ticket_mutated_reads_alike(sandbox_pages: list[bytes]) -> None:
    # a page that is plain until its last ticket: the whole page is read again by the rules
    page = orjson.loads(sandbox_pages[0])
    last = len(page["ticketData"]) - 1
    for name in page["ticketData"][last]:
        for value in (REMOVE, None, NILS[1], 5, "", "2024-09-09T00:15:53", "NEW"):
            assert_read_alike(mutated(page, ("ticketData", last, name), value))


def test_a_date_without_a_zone_is_logged_as_before(sandbox_pages: list[bytes]) -> None:
    # given: a plain page but for one date without a zone, and no such date seen yet
    page = mutated(_first_rows(sandbox_pages[0]), ("ticketData", 1, "openedDate"), "2024-09-09")
    models._naive_dates_seen = False

    # when: read twice
    with logged(logger) as logs:
        first = read_new(orjson.dumps(page))
        read_new(orjson.dumps(page))

    # then: warned once, then at debug level, as the rules always did; the date read as UTC
    assert first[0] is not Rejected
    assert list(logs.items()) == [
        (("WARNING", "clickbank date-time without a zone, read as UTC"), 1),
        (("DEBUG", "clickbank date-time without a zone, read as UTC"), 1),
    ]


def test_a_date_read_again_is_the_same_datetime_as_read_first(sandbox_pages: list[bytes]) -> None:
    # given: a page whose first ticket was opened at a moment no earlier test used
    text = "2031-02-03T04:05:06.789+05:30"
    page = orjson.dumps(
        mutated(_first_rows(sandbox_pages[0]), ("ticketData", 0, "openedDate"), text)
    )

    # when: read twice
    first = plain.read_plain_page(page)
    again = plain.read_plain_page(page)

    # then: the rules' reading, kept (the same object), offset and all
    reference = _old_page(page)[0].opened_date
    assert first is not None and again is not None and reference is not None
    assert again[0].opened_date is first[0].opened_date
    assert view(first[0].opened_date) == view(reference)


def test_the_dates_kept_stay_within_their_bound() -> None:
    # given: more distinct date texts than are kept
    kept = plain.MOMENTS_KEPT
    for second in range(kept + 10):
        page = {
            "ticketData": [{"ticketid": "1", "updateTime": f"2032-01-01T00:00:00.{second:06d}Z"}]
        }
        assert plain.read_plain_page(orjson.dumps(page)) is not None

        # then
        assert len(plain._MOMENTS) <= kept
