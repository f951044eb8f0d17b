"""Fields that do not depend on each other run concurrently: a document touching both upstreams
costs the slower call, not the sum."""

from __future__ import annotations

import time

from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.httpx import HTTPXAsyncTransport

from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox

LATENCY_S = 0.1
GET_ADS = "POST /v2/ads/getAds"
# Welcome offers beside a page of vendor tickets and their count: one getAds, one list, one count.
BOTH_UPSTREAMS = GraphQLRequest("""
{
  offers(first: 3) { totalCount nodes { id merchantName } }
  vendorTickets(first: 3) { totalCount nodes { id status } }
}
""")


async def _timed(session: AsyncClientSession) -> float:
    started = time.perf_counter()
    data = await session.execute(BOTH_UPSTREAMS)  # raises on any error
    elapsed = time.perf_counter() - started
    assert data["offers"]["totalCount"] > 0
    assert data["vendorTickets"]["totalCount"] > 0
    return elapsed


async def test_both_upstreams_cost_the_slower_call_not_the_sum(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    # One gql session for every run, so what is timed is the document, not connection set-up.
    transport = HTTPXAsyncTransport(
        url=gateway.graphql_url, headers={"Authorization": f"Bearer {gateway.agent()}"}
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        # Warm up: the session token for welcome offers and the gateway's upstream connections.
        await _timed(session)
        latency_ms = LATENCY_S * 1000
        sandbox.faults("cardlytics", {"match": GET_ADS, "latency_ms": latency_ms})
        sandbox.faults("clickbank", {"match": "*", "latency_ms": latency_ms})
        sandbox.reset_calls("cardlytics")
        sandbox.reset_calls("clickbank")

        # Best of five, so a scheduling hiccup on a busy machine does not decide the result.
        timings = [await _timed(session) for _ in range(5)]

    # Every run waited on all three slowed calls...
    assert sandbox.calls("cardlytics") == {GET_ADS: 5}
    assert sorted(sandbox.calls("clickbank").values()) == [5, 5]  # list and count
    assert min(timings) >= LATENCY_S
    # ...and took about one latency: one after another would be at least two (0.2 s).
    assert min(timings) < 0.17, f"timings {[round(t, 3) for t in timings]}"
