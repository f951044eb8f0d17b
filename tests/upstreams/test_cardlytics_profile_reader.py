"""The msgspec readers of getCustomerProfile and getCustomerRewardSummary (``read_customer``,
``read_reward_summary``) against the pydantic models they replaced.

The old models are copied below, unchanged, as the reference: every answer here is read by both
from the same bytes, and both must reject it, or read it into the same values (compared field by
field, with their Python types: ``Decimal`` text, datetime offset) with the same log records. The
answers are the simulator's and a full one of each, mutated: each field removed, null, or of every
wrong type, and the tolerance rules' ids, timestamps and amounts in each field that holds one.

Where the two differ on purpose (only on input that is not the documented shape), the case is
listed in ``DIFFERENCES`` with what each does, and checked to stay that way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from pydantic import BaseModel, ValidationError

from gateway.upstreams.cardlytics.models import read_customer, read_reward_summary
from gateway.upstreams.cardlytics.models.base import Id, Timestamp, WireModel
from gateway.upstreams.cardlytics.wire import loads
from gateway.upstreams.errors import UpstreamMalformed
from tests.sandbox.cardlytics_client import CardlyticsApi, customer_id
from tests.sandbox.cardlytics_support import LINKED, UNLINKED, get
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import cardlytics_client, customer
from tests.upstreams.differential import JSON, REMOVE, Rejected, logged, mutated, paths

logger = logging.getLogger("gateway.upstreams.cardlytics")

PROFILE = "/v2/customerProfile/getCustomerProfile"
SUMMARY = "/v2/customerProfile/getCustomerRewardSummary"

# --- the reference: the pydantic models before msgspec (commit bd08d68), unchanged ---------------


class Card(WireModel):
    source_account_id: Id | None = None
    source_customer_id: Id | None = None
    last4: str | None = None
    iin: str | None = None
    card_type: str | None = None
    status: str | None = None
    network_identifier: int | None = None
    open_date: Timestamp | None = None
    close_date: Timestamp | None = None


class Account(WireModel):
    source_account_id: Id
    source_customer_ids: tuple[Id, ...] = ()
    primary_source_customer_id: Id | None = None
    status: str | None = None
    type: str | None = None
    source_portfolio_id: str | None = None
    account_open_date: Timestamp | None = None
    account_close_date: Timestamp | None = None
    cards: tuple[Card, ...] = ()


class Portfolio(WireModel):
    source_portfolio_id: str
    institution_id: Id | None = None
    institution_name: str | None = None
    portfolio_name: str | None = None
    tagline: str | None = None
    description: str | None = None
    reward_currency_unit: str | None = None
    reward_to_currency_conversion_rate: Decimal | None = None


class Customer(WireModel):
    """getCustomerProfile; the customer is the one the session token was issued for."""

    source_customer_id: Id
    institution_id: Id | None = None
    organization_id: Id | None = None
    postal_code: str | None = None
    country: str | None = None
    customer_creation_date: Timestamp | None = None
    enrollment_start_date: Timestamp | None = None
    enrollment_end_date: Timestamp | None = None
    enrollment_opt_in_status: str | None = None
    alert_opt_in_status: tuple[str, ...] = ()
    targeting_indicator: str | None = None
    portfolios: tuple[Portfolio, ...] = ()
    accounts: tuple[Account, ...] = ()
    request_id: str | None = None

    @property
    def reward_currency(self) -> str | None:
        """The currency of this customer's reward amounts, from their (first) portfolio."""
        units = [p.reward_currency_unit for p in self.portfolios if p.reward_currency_unit]
        return units[0] if units else None


class RewardTotals(WireModel):
    redemption_count: int | None = None
    redeemed_offer_count: int | None = None
    total_redeeming_transaction_amount: Decimal | None = None
    total_reward_amount: Decimal | None = None


class RewardTotalsByPeriod(WireModel):
    all_time: RewardTotals | None = None
    # pending has no redeemedOfferCount and no totalRewardAmount
    pending: RewardTotals | None = None
    year_to_date: RewardTotals | None = None
    previous_calendar_year: RewardTotals | None = None
    previous_month: RewardTotals | None = None
    previous_twelve_months: RewardTotals | None = None
    current_month: RewardTotals | None = None


class RewardSummary(WireModel):
    rewards_summary: RewardTotalsByPeriod
    request_id: str | None = None


# --- reading both ways --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    old: type[BaseModel]
    new: Callable[[bytes], Any]


PROFILE_READER = Reader(Customer, read_customer)
SUMMARY_READER = Reader(RewardSummary, read_reward_summary)


def view(value: Any) -> Any:
    """``value`` as comparable data, each leaf with its Python type."""
    if isinstance(value, BaseModel):
        return {name: view(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, msgspec.Struct):
        return {name: view(getattr(value, name)) for name in value.__struct_fields__}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [view(v) for v in value])
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime):
        # the zone's offset: pydantic's zones are its own TzInfo, msgspec's the stdlib's timezone
        return ("datetime", value.isoformat(), value.utcoffset())
    return (type(value).__name__, value)


def read_old(reader: Reader, content: bytes) -> Any:
    try:
        return reader.old.model_validate(loads(content))
    except ValidationError:
        return Rejected


def read_new(reader: Reader, content: bytes) -> Any:
    try:
        return reader.new(content)
    except msgspec.DecodeError:  # a ValidationError, or JSON msgspec refuses (see DIFFERENCES)
        return Rejected


def both(reader: Reader, content: bytes) -> tuple[Any, Any]:
    """What each reader makes of ``content``: the value's view and its log records."""
    with logged(logger) as old_logs:
        old = read_old(reader, content)
    with logged(logger) as new_logs:
        new = read_new(reader, content)
    if old is Rejected or new is Rejected:
        return (old is Rejected, new is Rejected)
    return (view(old), old_logs), (view(new), new_logs)


def _text(answer: Any) -> bytes:
    return answer if isinstance(answer, bytes) else JSON.encode(answer)


def assert_read_alike(reader: Reader, answer: Any) -> None:
    content = _text(answer)
    old, new = both(reader, content)
    assert old == new, content[:2000]


# --- the answers and their mutations ------------------------------------------------------------

CARD = {
    "sourceAccountId": "a1b2c3d4-0000-4000-8000-000000000001",
    "sourceCustomerId": "c0ffee",
    "last4": "0042",
    "iin": "411111",
    "cardType": "CREDIT",
    "status": "OPEN",
    "networkIdentifier": 1,
    "openDate": "2023-03-04T05:06:07Z",
    "closeDate": "2025-03-04T05:06:07Z",
}
FULL_PROFILE: dict[str, Any] = {
    "sourceCustomerId": "c0ffee",
    "institutionId": "7094",
    "organizationId": 1001,
    "postalCode": "30303",
    "country": "US",
    "customerCreationDate": "2022-01-02T03:04:05Z",
    "enrollmentStartDate": "2022-01-02T03:04:05.123+01:00",
    "enrollmentEndDate": "2026-01-02T03:04:05",
    "enrollmentOptInStatus": "ACTIVE",
    "alertOptInStatus": ["ALL", "EMAIL"],
    "targetingIndicator": "TARGET",
    "portfolios": [
        {
            "sourcePortfolioId": "SANDBOX-Standard",
            "institutionId": "7094",
            "institutionName": "Sandbox Bank",
            "portfolioName": "Standard",
            "tagline": "Cash back",
            "description": "Activate offers.",
            "rewardCurrencyUnit": "USD",
            "rewardToCurrencyConversionRate": Decimal("1.0"),
        }
    ],
    "accounts": [
        {
            "sourceAccountId": CARD["sourceAccountId"],
            "sourceCustomerIds": ["c0ffee", 42],
            "primarySourceCustomerId": "c0ffee",
            "status": "OPEN",
            "type": "CRD",
            "sourcePortfolioId": "SANDBOX-Standard",
            "accountOpenDate": "2023-03-04T05:06:07Z",
            "accountCloseDate": "2025-03-04T05:06:07Z",
            "cards": [CARD],
        }
    ],
    "requestId": "req-1",
}
TOTALS = {
    "redemptionCount": 3,
    "redeemedOfferCount": 2,
    "totalRedeemingTransactionAmount": Decimal("123.45"),
    "totalRewardAmount": Decimal("5.50"),
}
PERIODS = ("allTime", "pending", "yearToDate", "previousCalendarYear", "previousMonth")
FULL_SUMMARY: dict[str, Any] = {
    "rewardsSummary": {
        **dict.fromkeys(PERIODS, TOTALS),
        "previousTwelveMonths": TOTALS,
        "currentMonth": {"redemptionCount": 0, "totalRewardAmount": 0},
    },
    "requestId": "req-2",
}

WRONG: tuple[Any, ...] = (
    *(0, 1, 7, -3, 2**40, 2**70, Decimal("1.5"), Decimal("10.0"), Decimal("1E+2"), True, False),
    *("", "x", "true", "false", "1", "12", "12.0", "1.50", "NaN", "Infinity", "1e3"),
    *([], {}, ["x"], [1], {"a": 1}),
    *("2024-06-13T23:00:00", "2024-06-13", "2024-06-13 23:00:00Z", 1718319600),
)
TIMESTAMPS: tuple[Any, ...] = (
    *("2024-06-13T23:00:00", "2024-06-13T23:00:00Z", "2024-06-13T23:00:00+01:00"),
    *("2024-06-13T23:00:00-05:30", "2024-06-13T23:00:00.123Z", "2024-06-13T23:00:00.123456Z"),
    *("2024-06-13T23:00:00.1234567Z", "2024-06-13T23:00Z", "2024-06-13t23:00:00z"),
    *("2024-06-13 23:00:00", "2024-06-13T23:00:00+0100", "2024-06-13T23:00:00+01"),
    *("2024-06-13T24:00:00Z", "2024-02-30T00:00:00Z", "2024-06-13T23:00:00.Z", "20240613T230000Z"),
    *(Decimal("1718319600.5"), 1718319600000),
)
MONEY: tuple[Any, ...] = (
    *(Decimal("10.0"), Decimal("1.50"), Decimal("0"), Decimal("-0.0"), Decimal("5"), 5, 0),
    *(Decimal("1E+2"), Decimal("1.5E-3"), Decimal("12345678901234567890"), 10**25),
    *(Decimal("1234567890.1234567890"), Decimal("0.00000000000000000001"), Decimal("1E+400")),
    *("1.50", "10", "1e2", " 1.5", "NaN", "-Infinity", "abc", ""),
)
IDS: tuple[Any, ...] = (
    *("1756524", 1756524, Decimal("1756524.0"), Decimal("1.756524E+6"), Decimal("1756524.5")),
    *("", " ", "0", 0, -1, True, None, ["1"], {"id": "1"}, Decimal("1E+400"), 10**30),
)


def _mutations(answer: Any, path: tuple[Any, ...]) -> Iterator[Any]:
    """``answer`` with the field at ``path`` removed, null, of each wrong type and, by its kind,
    each of the tolerance rules' ids, timestamps or amounts."""
    name = str(path[-1])
    extra: tuple[Any, ...] = ()
    if name.endswith(("Date", "date")):
        extra = TIMESTAMPS
    elif name.endswith(("Id", "Ids")) or isinstance(path[-1], int):
        extra = IDS
    elif name.endswith(("Amount", "Rate")):
        extra = MONEY
    for value in (REMOVE, None, *WRONG, *extra):
        if value is REMOVE and isinstance(path[-1], int):
            continue
        if _documented(path, value):
            continue
        yield mutated(answer, path, value)


# --- where they differ, on purpose --------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    why: str
    reader: Reader
    answer: bytes
    old_reads: bool
    new_reads: bool


def _profile(path: tuple[Any, ...], value: Any) -> bytes:
    return _text(mutated(FULL_PROFILE, path, value))


def _summary(path: tuple[Any, ...], value: Any) -> bytes:
    return _text(mutated(FULL_SUMMARY, path, value))


_COUNT = ("rewardsSummary", "allTime", "redemptionCount")
_NETWORK = ("accounts", 0, "cards", 0, "networkIdentifier")

DIFFERENCES = {
    # None of these is the documented shape; each is a choice, written down here (the first
    # three as getAds' reader made them).
    "count true": Difference(
        "a boolean is no count: msgspec refuses it, pydantic read true as 1",
        SUMMARY_READER,
        _summary(_COUNT, True),
        old_reads=True,
        new_reads=False,
    ),
    "card network false": Difference(
        "a boolean is no number: msgspec refuses it, pydantic read false as 0",
        PROFILE_READER,
        _profile(_NETWORK, False),
        old_reads=True,
        new_reads=False,
    ),
    "count in exponent text": Difference(
        'msgspec (lax) reads the text "1e3" as 1000, pydantic refused it',
        SUMMARY_READER,
        _summary(_COUNT, "1e3"),
        old_reads=False,
        new_reads=True,
    ),
    "lone surrogate": Difference(
        "msgspec refuses a \\u escape that is half a surrogate pair (no Unicode text); "
        "json.loads kept it",
        PROFILE_READER,
        b'{"sourceCustomerId": "1", "postalCode": "\\ud83d"}',
        old_reads=True,
        new_reads=False,
    ),
    "snake_case names": Difference(
        "only the wire's camelCase names are read; pydantic also took the Python names "
        "(validate_by_name), so an answer naming its id source_customer_id was read",
        PROFILE_READER,
        b'{"source_customer_id": "1"}',
        old_reads=True,
        new_reads=False,
    ),
}


def _documented(path: tuple[Any, ...], value: Any) -> bool:
    """A mutation that is one of DIFFERENCES."""
    counts = ("redemptionCount", "redeemedOfferCount", "networkIdentifier")
    return path[-1] in counts and (isinstance(value, bool) or value == "1e3")


@pytest.mark.parametrize("name", DIFFERENCES)
def test_differences_from_the_pydantic_models_are_the_documented_ones(name: str) -> None:
    difference = DIFFERENCES[name]
    reader, answer = difference.reader, difference.answer
    assert (read_old(reader, answer) is not Rejected) is difference.old_reads
    assert (read_new(reader, answer) is not Rejected) is difference.new_reads
    if difference.old_reads and difference.new_reads:
        assert both(reader, answer)[0] != both(reader, answer)[1]


# --- alike everywhere else ----------------------------------------------------------------------

CASES: dict[str, tuple[Reader, Any]] = {
    "full profile": (PROFILE_READER, FULL_PROFILE),
    "full summary": (SUMMARY_READER, FULL_SUMMARY),
    "profile: the least": (PROFILE_READER, {"sourceCustomerId": "1"}),
    "profile: empty object": (PROFILE_READER, {}),
    "profile: not an object": (PROFILE_READER, [FULL_PROFILE]),
    "profile: null": (PROFILE_READER, b"null"),
    "profile: extra keys everywhere": (
        PROFILE_READER,
        FULL_PROFILE
        | {"extra": {"x": 1}, "portfolios": [FULL_PROFILE["portfolios"][0] | {"x": [1]}]},
    ),
    "profile: no currency": (
        PROFILE_READER,
        FULL_PROFILE | {"portfolios": [{"sourcePortfolioId": "P", "rewardCurrencyUnit": ""}]},
    ),
    "profile: second portfolio's currency": (
        PROFILE_READER,
        FULL_PROFILE
        | {
            "portfolios": [
                {"sourcePortfolioId": "P"},
                {"sourcePortfolioId": "Q", "rewardCurrencyUnit": "GBP"},
            ]
        },
    ),
    "profile: duplicate fields": (
        PROFILE_READER,
        b'{"sourceCustomerId": "1", "sourceCustomerId": "2", "country": "US", "country": "GB"}',
    ),
    "profile: unicode escapes": (
        PROFILE_READER,
        b'{"sourceCustomerId": "\\u0031", "postalCode": "caf\\u00e9 \\ud83d\\ude00"}',
    ),
    "profile: huge exponent rate": (
        PROFILE_READER,
        b'{"sourceCustomerId": "1", "portfolios": [{"sourcePortfolioId": "P",'
        b' "rewardToCurrencyConversionRate": 1e400}]}',
    ),
    "summary: empty periods": (SUMMARY_READER, {"rewardsSummary": {}}),
    "summary: empty object": (SUMMARY_READER, {}),
    "summary: not an object": (SUMMARY_READER, [FULL_SUMMARY]),
    "summary: big integer amount": (
        SUMMARY_READER,
        b'{"rewardsSummary": {"allTime": {"totalRewardAmount": ' + b"9" * 40 + b"}}}",
    ),
    "summary: big integer count": (
        SUMMARY_READER,
        b'{"rewardsSummary": {"allTime": {"redemptionCount": ' + b"9" * 40 + b"}}}",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_cases_of_the_tolerance_rules_read_alike(name: str) -> None:
    reader, answer = CASES[name]
    assert_read_alike(reader, answer)


@pytest.mark.parametrize(
    ("reader", "answer", "path"),
    [
        pytest.param(reader, answer, path, id=f"{kind}:{'.'.join(map(str, path))}")
        for kind, reader, answer in (
            ("profile", PROFILE_READER, FULL_PROFILE),
            ("summary", SUMMARY_READER, FULL_SUMMARY),
        )
        for path in paths(answer)
    ],
)
def test_each_field_removed_null_or_of_a_wrong_type_reads_alike(
    reader: Reader, answer: Any, path: tuple[Any, ...]
) -> None:
    for changed in _mutations(answer, path):
        assert_read_alike(reader, changed)


@pytest.fixture(scope="module")
def sandbox_answers(shared_sandbox: Sandbox) -> list[tuple[Reader, bytes]]:
    """Profiles and reward summaries of the simulator: linked (with cards and rewards) and
    unlinked customers."""
    api = CardlyticsApi(shared_sandbox.cardlytics_url)
    answers = []
    for who in (LINKED, UNLINKED, *(customer_id(n) for n in range(1, 7))):
        session = api.session(who)
        for reader, path in ((PROFILE_READER, PROFILE), (SUMMARY_READER, SUMMARY)):
            response = get(session, path)
            assert response.status_code == 200
            answers.append((reader, response.content))
    return answers


def test_sandbox_answers_read_alike(sandbox_answers: list[tuple[Reader, bytes]]) -> None:
    for reader, answer in sandbox_answers:
        old, new = both(reader, answer)
        assert old == new
        assert old[0]["request_id"][1]  # a real answer, not two rejections


def test_sandbox_answers_mutated_field_by_field_read_alike(
    sandbox_answers: list[tuple[Reader, bytes]],
) -> None:
    # a linked customer's: accounts, cards, rewards in several periods
    for reader, content in sandbox_answers[:2]:
        answer = loads(content)
        for path in paths(answer):
            for changed in _mutations(answer, path):
                assert_read_alike(reader, changed)


# --- through the client: what the transport makes of an answer ----------------------------------

ME = customer("profile-reader")
_SECRET = "customer@example.com"


def _answering(body: bytes) -> httpx.MockTransport:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/startSession"):
            return httpx.Response(200, json={"sessionToken": "opaque"})
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(route)


async def _read(operation: str, body: bytes) -> Any:
    async with cardlytics_client("http://cardlytics.test", transport=_answering(body)) as client:
        read = client.profile.customer if operation == "profile" else client.profile.reward_summary
        return await read(ME)


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("profile", b"<html/>", "getCustomerProfile: not JSON"),
        ("profile", b'{"sourceCustomerId": NaN}', "getCustomerProfile: not JSON"),
        ("profile", b"   ", "getCustomerProfile: empty answer"),
        ("profile", b"null", "getCustomerProfile: unexpected shape"),
        ("profile", b'{"portfolios": []}', "getCustomerProfile: unexpected shape"),
        ("profile", b'{"sourceCustomerId": "1", "postalCode": "\\ud83d"}', "unexpected shape"),
        ("summary", b'{"rewardsSummary": null}', "getCustomerRewardSummary: unexpected shape"),
        ("summary", b"[]", "getCustomerRewardSummary: unexpected shape"),
        ("summary", b'{"rewardsSummary": {"allTime": {"totalRewardAmount": "NaN"}}}', "shape"),
    ],
)
async def test_answers_that_do_not_match_are_malformed(
    operation: str, body: bytes, message: str
) -> None:
    with pytest.raises(UpstreamMalformed, match=message):
        await _read(operation, body)


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("profile", {"sourceCustomerId": _SECRET, "customerCreationDate": _SECRET}),
        ("profile", {"sourceCustomerId": [_SECRET]}),
        ("profile", {"sourceCustomerId": "1", "accounts": [{"sourceAccountId": {_SECRET: 1}}]}),
        ("profile", {"sourceCustomerId": "1", "portfolios": [{"sourcePortfolioId": 1}]}),
        ("summary", {"rewardsSummary": {"pending": {"redemptionCount": _SECRET}}}),
        ("summary", {"rewardsSummary": {"allTime": {"totalRewardAmount": _SECRET}}}),
    ],
)
async def test_a_value_the_readers_refuse_is_not_logged(
    caplog: pytest.LogCaptureFixture, operation: str, body: Any
) -> None:
    # given: refused by msgspec itself or by a Struct's __post_init__
    with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamMalformed, match="shape"):
        # when
        await _read(operation, JSON.encode(body))

    # then: logged by location and rule only
    (record,) = [r for r in caplog.records if "documented shape" in r.getMessage()]
    assert record.problems  # type: ignore[attr-defined]
    assert _SECRET not in caplog.text + str([vars(r) for r in caplog.records])


async def test_a_profile_read_through_the_client_keeps_money_exact_and_ids_as_text() -> None:
    profile = await _read("profile", JSON.encode(FULL_PROFILE))
    summary = await _read("summary", JSON.encode(FULL_SUMMARY))

    assert profile.reward_currency == "USD"
    assert profile.organization_id == "1001"
    assert profile.accounts[0].source_customer_ids == ("c0ffee", "42")
    assert summary.rewards_summary.all_time.total_reward_amount == Decimal("5.50")
    assert str(summary.rewards_summary.all_time.total_redeeming_transaction_amount) == "123.45"
