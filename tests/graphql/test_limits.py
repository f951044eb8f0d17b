"""Query limits end to end: a document over a limit is refused whole and nothing runs upstream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from gateway.app import create_app
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

OFFERS = "query Offers($n: Int) { offers(first: $n) { edges { node { id merchantName rank } } } }"
OFFERS_PAGE = "{{ offers(first: {n}) {{ edges {{ node {{ id merchantName rank }} }} }} }}"


@pytest.fixture
def strict(sandbox: Sandbox) -> Iterator[Gateway]:
    """A gateway with small limits, so documents near them stay readable."""
    settings = settings_for(
        sandbox,
        max_query_depth=3,
        max_query_aliases=2,
        max_query_cost=50,
        query_cost_default_list_size=20,
        max_body_bytes=2048,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url, settings)


def _refused(errors: list[dict[str, Any]], fragment: str) -> None:
    [error] = errors
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert fragment in error["message"]


def _no_upstream_calls(sandbox: Sandbox) -> None:
    assert sandbox.calls("cardlytics") == {}
    assert sandbox.calls("clickbank") == {}


async def test_depth_over_the_limit_is_refused(strict: Gateway, sandbox: Sandbox) -> None:
    # offers > edges > node > reward > purchaseRequirement: depth 5
    document = "{ offers { edges { node { reward { purchaseRequirement { purchaseTypes } } } } } }"
    result = await strict.execute(document)
    assert result.data is None
    _refused(result.errors, "depth 5 exceeds the maximum of 3")
    _no_upstream_calls(sandbox)


async def test_aliases_over_the_limit_are_refused(strict: Gateway, sandbox: Sandbox) -> None:
    result = await strict.execute("{ a: viewer { role } b: viewer { role } c: viewer { role } }")
    _refused(result.errors, "3 aliases; the maximum is 2")
    within = await strict.execute("{ a: viewer { role } b: viewer { role } }")
    assert within.data == {"a": {"role": "ANONYMOUS"}, "b": {"role": "ANONYMOUS"}}


async def test_aliases_in_a_fragment_count_at_every_spread(strict: Gateway) -> None:
    document = "{ ...Two ...Two } fragment Two on Query { a: viewer { role } b: viewer { role } }"
    result = await strict.execute(document)
    _refused(result.errors, "4 aliases")


async def test_tokens_over_the_limit_are_refused_by_the_parser(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    document = "{ viewer { role " + "__typename " * 2100 + "} }"
    result = await gateway.execute(document)
    _refused(result.errors, "more than 2000 tokens")
    _no_upstream_calls(sandbox)


async def test_cost_multiplies_by_the_page_size(strict: Gateway, sandbox: Sandbox) -> None:
    # 1 (offers) + 10 x (edges 1 + node 1 + 3 fields) = 51 > 50
    result = await strict.execute(OFFERS_PAGE.format(n=10))
    _refused(result.errors, "cost 51 exceeds the maximum of 50")
    _no_upstream_calls(sandbox)
    # 1 + 5 x 5 = 26: within the limit, and it runs.
    within = await strict.execute(OFFERS_PAGE.format(n=5), token=strict.customer())
    assert within.errors == []
    assert within.data is not None and len(within.data["offers"]["edges"]) == 5


def test_a_page_size_from_a_variable_counts_too(strict: Gateway, sandbox: Sandbox) -> None:
    # Raw HTTP: the page size arrives in "variables", not in the document.
    response = httpx.post(strict.graphql_url, json={"query": OFFERS, "variables": {"n": 10}})
    _refused(response.json()["errors"], "cost 51")
    _no_upstream_calls(sandbox)


async def test_a_page_size_variable_left_out_counts_its_default(strict: Gateway) -> None:
    result = await strict.execute(OFFERS.replace("$n: Int", "$n: Int = 10"))
    _refused(result.errors, "cost 51")


async def test_a_list_without_a_page_size_counts_the_default(strict: Gateway) -> None:
    # 1 + 20 (default) x 5 = 101
    result = await strict.execute("{ offers { edges { node { id merchantName rank } } } }")
    _refused(result.errors, "cost 101")


async def test_fragment_amplification_is_refused_quickly(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    # 2^40 copies of one field in ~1.5 kB: each fragment is priced once, not once per spread.
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)]
    document = " ".join(["{ ...F0 }", *fragments, "fragment F40 on Query { viewer { role } }"])
    started = time.perf_counter()
    result = await gateway.execute(document)
    assert time.perf_counter() - started < 1.0
    _refused(result.errors, "Query expands to")
    _no_upstream_calls(sandbox)


async def test_a_wide_fragment_spread_many_times_is_priced_per_spread(gateway: Gateway) -> None:
    fields = " ".join(f"f{i}: __typename" for i in range(25))
    spreads = " ".join(f"o{i}: offers(first: 100) {{ nodes {{ ...Wide }} }}" for i in range(5))
    result = await gateway.execute(f"{{ {spreads} }} fragment Wide on Offer {{ {fields} }}")
    # Each spread of Wide costs its 25 fields again: 5 x (1 + 100 x (1 + 25)) = 13005.
    assert result.codes == ["QUERY_TOO_COMPLEX"]


async def test_a_circular_fragment_is_refused_without_recursing(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    document = (
        "{ ...A } fragment A on Query { viewer { role } ...B } "
        "fragment B on Query { ...C } fragment C on Query { ...A }"
    )
    result = await gateway.execute(document)
    _refused(result.errors, "Fragment 'A' spreads itself (A → B → C → A)")
    _no_upstream_calls(sandbox)


async def test_an_unknown_fragment_is_a_validation_error_not_an_internal_one(
    gateway: Gateway,
) -> None:
    result = await gateway.execute("{ viewer { role } ...Missing }")
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Missing" in result.errors[0]["message"]


async def test_graphiql_introspection_fits_the_default_limits(gateway: Gateway) -> None:
    result = await gateway.execute(get_introspection_query(descriptions=True))
    assert result.errors == []
    assert result.data is not None and result.data["__schema"]["queryType"]["name"] == "Query"


def test_a_limit_error_carries_the_request_id(gateway: Gateway) -> None:
    response = httpx.post(
        gateway.graphql_url,
        json={"query": "{ ...A } fragment A on Query { ...A }"},
        headers={"X-Request-Id": "limits-1"},
    )
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "requestId": "limits-1"}


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]


def test_a_declared_body_over_the_limit_is_refused_unread(
    strict: Gateway, sandbox: Sandbox
) -> None:
    padding = " " * 3000
    response = httpx.post(strict.graphql_url, json={"query": "{ viewer { role } }" + padding})
    _assert_too_large(response)
    _no_upstream_calls(sandbox)


def test_a_chunked_body_over_the_limit_is_refused(strict: Gateway) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ viewer { role } }'
        for _ in range(8):
            sent.append(1)
            yield b" " * 512
        yield b'"}'

    # No Content-Length: httpx sends a generator as Transfer-Encoding: chunked.
    response = httpx.post(
        strict.graphql_url, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _assert_too_large(response)


def test_a_chunked_body_within_the_limit_is_served(strict: Gateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ viewer'
        yield b' { role } }"}'

    response = httpx.post(
        strict.graphql_url, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "ANONYMOUS"}}}
