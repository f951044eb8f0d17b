"""Through the real router (parse and validation caches, extensions, JSON over HTTP), the known
documents are answered by their plans. The client here (gql) parses each document and sends it
as graphql-core prints it, not as the file has it: that form is known too."""

from __future__ import annotations

from schema import schema
from tests.graphql.test_operations import CASES, CUSTOMER
from tests.plans.support import OPERATIONS
from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox

QUERIES = ["home.graphql", "offer_detail.graphql", "agent_ticket_search.graphql"]


async def test_known_queries_are_answered_by_their_plans(gateway: Gateway) -> None:
    for name in QUERIES:
        # given
        case = CASES[name]
        token = gateway.customer(CUSTOMER) if case.role == "customer" else gateway.agent()
        before = (schema.known.answered, schema.known.fell_back)

        # when: twice, the second time from the router's caches
        first = await gateway.execute((OPERATIONS / name).read_text(), case.variables, token=token)
        second = await gateway.execute((OPERATIONS / name).read_text(), case.variables, token=token)

        # then
        assert first.errors == [] and second.errors == []
        assert first.data == second.data
        assert (schema.known.answered, schema.known.fell_back) == (before[0] + 2, before[1])


async def test_an_upstream_fault_over_http_is_graphql_cores_answer(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    # given
    sandbox.faults("cardlytics", {"match": "POST /v2/ads/getAds", "error_status": 503})
    before = schema.known.fell_back

    # when
    result = await gateway.execute(
        (OPERATIONS / "home.graphql").read_text(), {"first": 5}, token=gateway.customer(CUSTOMER)
    )

    # then: the offer fields are null with UPSTREAM_UNAVAILABLE, the rest answered
    assert result.codes == ["UPSTREAM_UNAVAILABLE"] * 3
    assert result.data is not None
    assert result.data["offers"] is None and result.data["viewer"] is not None
    assert result.data["rewardsSummary"] is not None
    assert schema.known.fell_back == before + 1
