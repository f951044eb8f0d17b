"""The documents the frontends send (``operations/``): valid against the schema, and each one runs.

Every ``operations/*.graphql`` is validated against the code's schema and the committed SDL
(what clients generate types from), then run end to end against the sandbox with the sample
variables below, as the role its screen belongs to: no errors, and data in every root field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    parse,
    validate,
)

from schema import schema
from tests.support.gateway import Gateway, Result
from tests.support.sandbox import Sandbox

ROOT = Path(__file__).parents[2]
OPERATIONS = ROOT / "operations"
SDL = ROOT / "schema" / "schema.graphql"
FILES = sorted(path.name for path in OPERATIONS.glob("*.graphql"))

# Enrolled, a linked card, offers in every state, purchases (the Cardlytics sandbox's README).
CUSTOMER = "customer-linked"
NEW_OFFER = "1000051388"  # NEW and VISIBLE for CUSTOMER
OPEN_TICKET = {
    "offerId": "1000055124",
    "transactionIds": ["1484308150"],
    "description": "I bought lunch on the 3rd and got no cash back.",
}
GET_ADS = "POST /v2/ads/getAds"

Role = Literal["customer", "agent"]


@dataclass(frozen=True)
class Case:
    """How to run one operation: as whom, with what, after which other operations."""

    role: Role
    variables: dict[str, Any] = field(default_factory=dict)
    before: tuple[Before, ...] = ()


@dataclass(frozen=True)
class Before:
    """An operation that sets the scene, run first as ``role``."""

    name: str
    variables: dict[str, Any]
    role: Role = "customer"


# ClickBank sample receipts and tickets: see gateway/sandbox/clickbank/README.md.
CASES: dict[str, Case] = {
    "home.graphql": Case("customer", {"first": 5}),
    "offer_detail.graphql": Case("customer", {"id": NEW_OFFER}),
    "activate_offer.graphql": Case("customer", {"offerId": NEW_OFFER}),
    "record_impressions.graphql": Case(
        "customer",
        {
            "events": [
                {"offerId": NEW_OFFER, "type": "IMPRESSION", "displayPosition": 0},
                {"offerId": "1000053130", "type": "IMPRESSION", "displayPosition": 1},
            ]
        },
    ),
    "link_card.graphql": Case("customer", {"redirectUri": "https://bank.example/cards/linked"}),
    "open_ticket.graphql": Case("customer", OPEN_TICKET),
    "my_tickets.graphql": Case("customer", before=(Before("open_ticket.graphql", OPEN_TICKET),)),
    "agent_customer_tickets.graphql": Case(
        "agent",
        {"customerId": CUSTOMER, "receipt": "W8JS5PL4"},
        before=(Before("open_ticket.graphql", OPEN_TICKET),),
    ),
    "agent_ticket_search.graphql": Case(
        "agent",
        # a 14-day range: two 7-day windows upstream
        {"filter": {"createDateFrom": "2024-09-02", "createDateTo": "2024-09-15"}, "first": 10},
    ),
    "agent_ticket_detail.graphql": Case(
        "agent",
        {
            "id": "4100002",
            "receipt": "E2NF6KJ8",
            "refundType": "PARTIAL_PERCENT",
            "refundAmount": "25",
        },
    ),
    "refund.graphql": Case(
        "agent",
        {
            "receipt": "E2NF6KJ8",
            "reason": "REFUND_NOT_SATISFIED",
            "refundType": "PARTIAL_PERCENT",
            "refundAmount": "25",
            "comment": "Offered a quarter back.",
        },
    ),
    "cancel.graphql": Case("agent", {"receipt": "M3RV9TQ2", "reason": "CANCEL_CANNOT_AFFORD"}),
    "close_ticket.graphql": Case("agent", {"ticketId": "4100005", "comment": "Solved by phone."}),
    "reopen_ticket.graphql": Case("agent", {"ticketId": "4100004", "comment": "Still broken."}),
    "comment_on_ticket.graphql": Case("agent", {"ticketId": "4100005", "comment": "Try again."}),
    "mark_returned.graphql": Case("agent", {"ticketId": "4100001"}),
}


def _document(name: str) -> str:
    return (OPERATIONS / name).read_text()


def test_every_operation_has_a_case_and_a_unique_name() -> None:
    assert FILES == sorted(CASES)
    names = []
    for name in FILES:
        operations = [
            node
            for node in parse(_document(name)).definitions
            if isinstance(node, OperationDefinitionNode)
        ]
        assert len(operations) == 1, f"{name}: one operation per file"
        assert operations[0].name is not None, f"{name}: the operation needs a name"
        names.append(operations[0].name.value)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("against", ["code", "sdl"])
def test_operation_is_valid(name: str, against: str) -> None:
    target: GraphQLSchema = schema._schema if against == "code" else build_schema(SDL.read_text())
    errors = validate(target, parse(_document(name)))
    assert [error.message for error in errors] == []


@pytest.mark.parametrize("name", FILES)
async def test_operation_runs(gateway: Gateway, name: str) -> None:
    # given
    case = CASES[name]
    for before in case.before:
        setup = await gateway.execute(
            _document(before.name), before.variables, token=_token(gateway, before.role)
        )
        _assert_answered(setup)

    # when
    token = _token(gateway, case.role)
    result = await gateway.execute(_document(name), case.variables, token=token)

    # then
    _assert_answered(result)


async def test_home_is_one_get_ads_call(gateway: Gateway, sandbox: Sandbox) -> None:
    # given
    token = gateway.customer(CUSTOMER)
    sandbox.reset_calls("cardlytics")

    # when
    result = await gateway.execute(_document("home.graphql"), token=token)

    # then
    _assert_answered(result)
    assert sandbox.calls("cardlytics").get(GET_ADS) == 1
    assert result.data is not None
    assert result.data["offers"]["edges"]
    assert result.data["rankings"]
    assert result.data["categories"]


def test_readme_shows_the_home_document_as_it_is() -> None:
    section = (ROOT / "README.md").read_text().split("## The home-screen query", 1)[1]
    assert f"```graphql\n{_document('home.graphql')}```" in section


def _token(gateway: Gateway, role: Role) -> str:
    return gateway.customer(CUSTOMER) if role == "customer" else gateway.agent()


def _assert_answered(result: Result) -> None:
    """No errors anywhere (top level or in a payload) and every root field has data."""
    assert result.errors == []
    assert result.data
    for root, value in result.data.items():
        assert value not in (None, [], {}), f"{root} is empty"
        if isinstance(value, dict) and "errors" in value:
            assert value["errors"] == [], f"{root}: {value['errors']}"
