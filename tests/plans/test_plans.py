"""Plans beyond the documents in ``operations/``: what a known document may contain (aliases,
fragments, directives on variables, abstract types, defaults), what is never planned, and what a
request the plan gives back to graphql-core costs upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from schema import schema
from tests.graphql.test_operations import CASES, CUSTOMER
from tests.plans.support import OPERATIONS, Differential, running_app, viewer_for
from tests.support.gateway import settings_for
from tests.support.sandbox import Sandbox

# Everything a plan must get right, on the offers.
OFFERS = """
query Offers($first: Int = 3, $withCopy: Boolean!, $skipIds: Boolean = false,
             $filter: OfferFilter = {channel: MOBILE_APP, activationStates: [NEW, ACTIVATED]}) {
  me: viewer { __typename who: role }
  viewer { isSignedIn }
  offers(first: $first, filter: $filter) {
    __typename
    totalCount
    edges {
      node {
        ...Card
        first: merchantName
        copy @include(if: $withCopy) { headline }
        ... on Offer @skip(if: $skipIds) { id rank }
      }
    }
    nodes { id }
  }
  again: offers(first: 1) { edges { cursor node { id ...Card } } }
}

fragment Card on Offer {
  __typename
  id
  merchantName
  reward { type amount }
  category { ...Category }
}

fragment Category on OfferCategory { id name }
"""

# Interfaces: a list of Ticket, resolved to CustomerTicket and VendorTicket.
TICKETS = """
query Tickets($customerId: ID, $receipt: String) {
  tickets(customerId: $customerId, receipt: $receipt) {
    __typename
    id
    ... on VendorTicket { receipt kind: type }
    ... on Ticket { openedAt }
  }
}
"""


@pytest.fixture
async def app(sandbox: Sandbox) -> AsyncIterator[FastAPI]:
    async with running_app(settings_for(sandbox)) as app:
        yield app


@pytest.fixture
def differential(app: FastAPI) -> Differential:
    return Differential(app)


@pytest.fixture
def known(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """OFFERS and TICKETS count as known documents for the test."""
    monkeypatch.setattr(schema.known, "texts", schema.known.texts | {OFFERS, TICKETS})
    yield


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize(
    "variables",
    [
        {"withCopy": True},
        {"withCopy": False},
        {"withCopy": True, "skipIds": True, "first": 5},
        {"withCopy": False, "filter": {"channel": "OLB", "sections": ["LANDING"]}},
        {"withCopy": True, "first": None},
    ],
)
async def test_aliases_fragments_directives_and_defaults(
    differential: Differential, variables: dict[str, Any]
) -> None:
    fast, plain = await differential.both(OFFERS, variables, viewer_for("customer"))

    assert fast.body == plain.body
    assert "errors" not in fast.json
    assert fast.answered_by_plan


@pytest.mark.usefixtures("known")
async def test_a_directive_variable_changes_the_plan_back_and_forth(
    differential: Differential,
) -> None:
    answers = []
    for with_copy in (True, False, True):
        fast, plain = await differential.both(
            OFFERS, {"withCopy": with_copy}, viewer_for("customer")
        )
        assert fast.body == plain.body
        assert fast.answered_by_plan
        answers.append(fast.json["data"]["offers"]["edges"][0]["node"])

    assert "copy" in answers[0] and "copy" not in answers[1] and answers[2] == answers[0]


@pytest.mark.usefixtures("known")
async def test_interfaces_resolve_to_their_object_types(differential: Differential) -> None:
    # given: a customer ticket for the customer, beside the vendor tickets of a receipt
    case = CASES["open_ticket.graphql"]
    opened = await differential.run(
        differential.fast,
        (OPERATIONS / "open_ticket.graphql").read_text(),
        case.variables,
        viewer_for("customer"),
    )
    assert "errors" not in opened.json

    # when
    fast, plain = await differential.both(
        TICKETS, {"customerId": CUSTOMER, "receipt": "W8JS5PL4"}, viewer_for("agent")
    )

    # then
    assert fast.body == plain.body
    assert fast.answered_by_plan
    kinds = {ticket["__typename"] for ticket in fast.json["data"]["tickets"]}
    assert kinds == {"CustomerTicket", "VendorTicket"}


async def test_a_document_not_known_exactly_is_not_planned(differential: Differential) -> None:
    # The home document with one more space is another document.
    home = (OPERATIONS / "home.graphql").read_text().replace("query Home", "query  Home")

    fast, plain = await differential.both(home, {"first": 5}, viewer_for("customer"))

    assert fast.body == plain.body
    assert not fast.answered_by_plan
    assert "errors" not in fast.json


async def test_mutations_are_never_planned(differential: Differential) -> None:
    case = CASES["record_impressions.graphql"]
    document = (OPERATIONS / "record_impressions.graphql").read_text()

    run = await differential.run(
        differential.fast, document, case.variables, viewer_for("customer")
    )

    assert "errors" not in run.json
    assert not run.answered_by_plan


async def test_a_request_given_back_to_graphql_core_costs_no_more_upstream_calls(
    sandbox: Sandbox, differential: Differential
) -> None:
    # given: session tokens warm, so only the document's own calls count
    home = (OPERATIONS / "home.graphql").read_text()
    await differential.run(differential.fast, home, {"first": 50}, viewer_for("customer"))
    calls = {}

    for which in ("fast", "plain"):
        sandbox.reset_calls("cardlytics")

        # when: a value the plan rejects (seed 1 plants some), on fresh loaders
        run = await differential.run(
            differential.fast if which == "fast" else differential.plain,
            home,
            {"first": 50},
            viewer_for("customer"),
            seed=1,
            rate=0.1,
        )
        assert "errors" in run.json
        calls[which] = sandbox.calls("cardlytics")

    # then: the plan's run and graphql-core's after it made the calls of one plain run
    assert calls["fast"] == calls["plain"]
    assert calls["fast"]["POST /v2/ads/getAds"] == 1


async def test_an_upstream_fault_costs_no_more_upstream_calls(
    sandbox: Sandbox, differential: Differential
) -> None:
    home = (OPERATIONS / "home.graphql").read_text()
    await differential.run(differential.fast, home, {"first": 50}, viewer_for("customer"))
    sandbox.faults("cardlytics", {"match": "POST /v2/ads/getAds", "error_status": 503})
    calls = {}

    for which in ("fast", "plain"):
        sandbox.reset_calls("cardlytics")
        run = await differential.run(
            differential.fast if which == "fast" else differential.plain,
            home,
            {"first": 50},
            viewer_for("customer"),
        )
        assert [e["extensions"]["code"] for e in run.json["errors"]] == ["UPSTREAM_UNAVAILABLE"] * 3
        calls[which] = sandbox.calls("cardlytics")

    assert calls["fast"] == calls["plain"]


# Each query, and the root field whose answer is spoilt so that the plan gives it back.
SPOILT = {
    "home.graphql": "offers",
    "offer_detail.graphql": "offer",
    "my_tickets.graphql": "customerTickets",
    "agent_customer_tickets.graphql": "tickets",
    "agent_ticket_search.graphql": "vendorTickets",
    "agent_ticket_detail.graphql": "vendorTicket",
}


@pytest.mark.parametrize(("name", "spoilt"), sorted(SPOILT.items()))
async def test_every_query_given_back_costs_no_more_upstream_calls(
    sandbox: Sandbox, differential: Differential, name: str, spoilt: str
) -> None:
    # given: the scene and warm session tokens, so only the document's own calls count
    case = CASES[name]
    document = (OPERATIONS / name).read_text()
    for before in case.before:
        await differential.run(
            differential.fast,
            (OPERATIONS / before.name).read_text(),
            before.variables,
            viewer_for(before.role),
        )
    await differential.run(differential.fast, document, case.variables, viewer_for(case.role))
    calls = {}
    runs = {}

    for which in ("fast", "plain"):
        for simulator in ("cardlytics", "clickbank"):
            sandbox.reset_calls(simulator)

        # when: one root field's every value planted wrong, so the plan gives the request back;
        # fresh loaders
        runs[which] = await differential.run(
            differential.fast if which == "fast" else differential.plain,
            document,
            case.variables,
            viewer_for(case.role),
            seed=7,
            rate=1.0,
            only=spoilt,
        )
        calls[which] = (sandbox.calls("cardlytics"), sandbox.calls("clickbank"))

    # then: the plan's start and graphql-core's run after it cost what graphql-core alone does
    assert not runs["fast"].answered_by_plan
    assert "errors" in runs["fast"].json
    assert calls["fast"] == calls["plain"]
    if name in ("home.graphql", "offer_detail.graphql", "agent_ticket_detail.graphql"):
        assert any(calls["fast"]), "no upstream call was made: the test proves nothing"
