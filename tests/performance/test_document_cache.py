"""Each distinct document is prepared once (parsed, validated, checked against the limits), in a
cache that stays within GATEWAY_DOCUMENT_CACHE_SIZE, and a remembered document is held to the
limits for every request's variables."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from schema.documents import DocumentCache
from tests.performance.support import client, post
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

OFFERS = "query Offers($n: Int) { offers(first: $n) { edges { node { id merchantName rank } } } }"


async def test_a_flood_of_distinct_documents_stays_within_the_cache_size(
    sandbox: Sandbox,
) -> None:
    settings = settings_for(sandbox, document_cache_size=5)
    app = create_app(settings)
    with serve_in_thread(app) as url:
        gateway = Gateway(url, settings)
        async with client() as http:
            for n in range(40):
                body = await post(
                    http, gateway, f"{{ viewer {{ role }} alias{n}: viewer {{ role }} }}"
                )
                assert body["data"][f"alias{n}"] == {"role": "ANONYMOUS"}
    documents: DocumentCache = app.state.documents
    assert len(documents) == 5


async def test_a_remembered_document_is_still_priced_by_its_variables(sandbox: Sandbox) -> None:
    settings = settings_for(sandbox, max_query_cost=50)
    with serve_in_thread(create_app(settings)) as url:
        gateway = Gateway(url, settings)
        async with httpx.AsyncClient(timeout=30) as http:
            answers = [
                (
                    await http.post(gateway.graphql_url, json={"query": OFFERS, "variables": v})
                ).json()
                for v in ({"n": 2}, {"n": 20}, {"n": 2}, {"n": 20}, {})
            ]

    within, over, within_again, over_again, default = answers
    assert "errors" not in within and "errors" not in within_again
    for refused in (over, over_again, default):  # 1 + 20 x 5 = 101; no n: the default 20
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["message"] == "Query cost 101 exceeds the maximum of 50."


async def test_a_remembered_document_with_a_mistake_fails_every_time(gateway: Gateway) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        answers = [
            (await http.post(gateway.graphql_url, json={"query": "{ viewer { nope } }"})).json()
            for _ in range(3)
        ]
    assert [a["errors"][0]["extensions"]["code"] for a in answers] == [
        "GRAPHQL_VALIDATION_FAILED"
    ] * 3
