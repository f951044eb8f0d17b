"""The error contract end to end: every top-level error has its code and the request id, an
upstream failure nulls only what depends on it, and nothing unexpected leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import strawberry
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from gateway.app import RequestIdMiddleware, create_app
from gateway.upstreams.errors import UpstreamUnavailable
from schema.extensions import ErrorContract
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

GET_ADS = "POST /v2/ads/getAds"
TICKET_LIST = "GET /rest/1.3/tickets/list"
CUSTOMER = "customer-linked"
SECRET = "password=hunter2 at db-7.internal"

# Both upstreams and fields that need neither, for a customer.
CUSTOMER_SCREEN = """
{
  viewer { role }
  upstreams { name }
  offers(first: 3) { totalCount nodes { id } }
  rewardsSummary { allTime { redemptionCount } }
}
"""
# Both upstreams, for an agent: welcome offers beside the vendor tickets.
AGENT_SCREEN = """
{
  viewer { role }
  offers(first: 3) { totalCount }
  vendorTickets(first: 3) { totalCount nodes { id status } }
}
"""


async def _post(
    gateway: Gateway, document: str, *, token: str | None = None, request_id: str | None = None
) -> tuple[dict[str, Any], httpx.Response]:
    """Raw HTTP, because the contract is also about the response headers."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if request_id:
        headers["X-Request-Id"] = request_id
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(gateway.graphql_url, json={"query": document}, headers=headers)
    body: dict[str, Any] = response.json()
    return body, response


def _only_error(body: dict[str, Any], response: httpx.Response, code: str) -> dict[str, Any]:
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    only: dict[str, Any] = error
    return only


# --- who may ask ----------------------------------------------------------------------------


async def test_unauthenticated_nulls_the_field_and_calls_nothing(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body, response = await _post(gateway, "{ viewer { role } accountLink { isLinked } }")
    error = _only_error(body, response, "UNAUTHENTICATED")
    assert error["path"] == ["accountLink"]
    assert body["data"] == {"viewer": {"role": "ANONYMOUS"}, "accountLink": None}
    assert sandbox.calls("cardlytics") == {}


async def test_a_customer_asking_for_agent_data_is_forbidden(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body, response = await _post(gateway, AGENT_SCREEN, token=gateway.customer(CUSTOMER))
    error = _only_error(body, response, "FORBIDDEN")
    assert error["path"] == ["vendorTickets"]
    assert body["data"]["vendorTickets"] is None
    assert body["data"]["offers"]["totalCount"] > 0  # the customer's own part is there
    assert sandbox.calls("clickbank") == {}


async def test_an_agent_asking_for_a_customers_link_is_forbidden(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body, response = await _post(gateway, "{ accountLink { isLinked } }", token=gateway.agent())
    _only_error(body, response, "FORBIDDEN")
    assert body["data"] == {"accountLink": None}
    assert sandbox.calls("cardlytics") == {}


# --- upstream failures ----------------------------------------------------------------------


async def test_cardlytics_down_nulls_only_the_offer_fields(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": 503})

    body, response = await _post(gateway, CUSTOMER_SCREEN, token=gateway.customer(CUSTOMER))

    error = _only_error(body, response, "UPSTREAM_UNAVAILABLE")
    assert error["path"] == ["offers"]
    assert error["extensions"]["upstream"] == "cardlytics"
    assert error["message"] == "cardlytics is unavailable"
    data = body["data"]
    assert data["offers"] is None
    assert data["viewer"] == {"role": "CUSTOMER"}
    assert [u["name"] for u in data["upstreams"]] == ["cardlytics", "clickbank"]
    assert data["rewardsSummary"]["allTime"]["redemptionCount"] >= 0


async def test_clickbank_down_leaves_the_cardlytics_half(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    sandbox.faults("clickbank", {"match": TICKET_LIST, "error_status": 503})

    body, response = await _post(gateway, AGENT_SCREEN, token=gateway.agent())

    errors = body["errors"]
    # The count endpoint still answers; the list under vendorTickets is what fails.
    assert {e["path"][0] for e in errors} == {"vendorTickets"}
    assert {e["extensions"]["code"] for e in errors} == {"UPSTREAM_UNAVAILABLE"}
    assert {e["extensions"]["upstream"] for e in errors} == {"clickbank"}
    assert all(e["extensions"]["requestId"] == response.headers["x-request-id"] for e in errors)
    assert body["data"]["vendorTickets"] is None
    assert body["data"]["offers"]["totalCount"] > 0


async def test_cardlytics_down_leaves_the_clickbank_half(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": 503})

    body, response = await _post(gateway, AGENT_SCREEN, token=gateway.agent())

    error = _only_error(body, response, "UPSTREAM_UNAVAILABLE")
    assert error["path"] == ["offers"]
    assert body["data"]["offers"] is None
    assert body["data"]["vendorTickets"]["totalCount"] > 0


async def test_an_upstream_hanging_past_its_read_timeout_is_upstream_timeout(
    sandbox: Sandbox,
) -> None:
    settings = settings_for(sandbox, cardlytics_read_timeout_s=0.3)
    sandbox.faults("cardlytics", {"match": GET_ADS, "hang_s": 2})
    with serve_in_thread(create_app(settings)) as url:
        gateway = Gateway(url, settings)
        body, response = await _post(gateway, CUSTOMER_SCREEN, token=gateway.customer(CUSTOMER))

    error = _only_error(body, response, "UPSTREAM_TIMEOUT")
    assert error["path"] == ["offers"]
    assert error["message"] == "cardlytics did not answer in time"
    assert body["data"]["offers"] is None
    assert body["data"]["rewardsSummary"] is not None


async def test_an_upstream_error_body_never_reaches_the_client(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    # The simulator's 500 body is Cardlytics' problem document ("type": "InternalServerError",
    # "title": "Internal Server Error", its own requestId); a malformed answer is a truncated
    # body. Neither is the client's business.
    sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": 500})
    failed, _ = await _post(gateway, CUSTOMER_SCREEN, token=gateway.customer(CUSTOMER))
    sandbox.faults("cardlytics", {"match": GET_ADS, "malformed": True})
    garbled, _ = await _post(gateway, CUSTOMER_SCREEN, token=gateway.customer(CUSTOMER))

    for body in (failed, garbled):
        [error] = body["errors"]
        assert error["message"] == "cardlytics is unavailable"
        assert set(error["extensions"]) == {"code", "upstream", "requestId"}
        text = str(body)
        for leak in ("InternalServerError", "Internal Server Error", "Traceback", "getAds"):
            assert leak not in text
        assert body["data"]["rewardsSummary"] is not None


# --- limits ---------------------------------------------------------------------------------


async def test_a_document_over_a_limit_is_query_too_complex(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body, response = await _post(
        gateway, "{ ...A } fragment A on Query { offers { totalCount } ...A }", request_id="r-42"
    )
    error = _only_error(body, response, "QUERY_TOO_COMPLEX")
    assert error["extensions"]["requestId"] == "r-42"
    assert body["data"] is None
    assert sandbox.calls("cardlytics") == {}


async def test_a_variable_of_the_wrong_type_is_bad_user_input(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    document = "query Offers($first: Int) { offers(first: $first) { totalCount } }"
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            gateway.graphql_url,
            json={"query": document, "variables": {"first": "ten"}},
            headers={"Authorization": f"Bearer {gateway.customer(CUSTOMER)}"},
        )
    body = response.json()
    error = _only_error(body, response, "BAD_USER_INPUT")
    assert error["message"] == (
        "Variable '$first' has invalid value: Int cannot represent non-integer value: 'ten'"
    )
    assert "data" not in body or body["data"] is None
    assert sandbox.calls("cardlytics") == {}


# --- masking --------------------------------------------------------------------------------


@strawberry.type
class _BrokenQuery:
    @strawberry.field
    def fine(self) -> str:
        return "still here"

    @strawberry.field
    def broken(self) -> str | None:
        raise RuntimeError(f"upstream said: {SECRET}")

    @strawberry.field
    def key_error(self) -> str | None:
        return {"a": "b"}[SECRET]

    @strawberry.field
    def upstream(self) -> str | None:
        raise UpstreamUnavailable("cardlytics", f"connection refused by {SECRET}")


@pytest.fixture
def broken_gateway() -> Iterator[str]:
    """A test-only schema with the gateway's ErrorContract, behind its request-id middleware."""
    schema = strawberry.Schema(query=_BrokenQuery, extensions=[ErrorContract])
    app = FastAPI()
    app.add_middleware(RequestIdMiddleware)
    app.include_router(GraphQLRouter(schema), prefix="/graphql")
    with serve_in_thread(app) as url:
        yield f"{url}/graphql"


async def test_unexpected_errors_are_masked_and_logged_under_the_request_id(
    broken_gateway: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.graphql")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            broken_gateway,
            json={"query": "{ fine broken keyError upstream }"},
            headers={"X-Request-Id": "mask-1"},
        )

    body = response.json()
    assert body["data"] == {
        "fine": "still here",
        "broken": None,
        "keyError": None,
        "upstream": None,
    }
    by_path = {error["path"][0]: error for error in body["errors"]}
    for field in ("broken", "keyError"):
        assert by_path[field]["message"] == "Unexpected error."
        assert by_path[field]["extensions"] == {
            "code": "INTERNAL_SERVER_ERROR",
            "requestId": "mask-1",
        }
    assert by_path["upstream"]["message"] == "cardlytics is unavailable"
    assert by_path["upstream"]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert response.headers["x-request-id"] == "mask-1"
    assert SECRET not in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    # The operator still gets the whole story.
    assert SECRET in caplog.text and "RuntimeError" in caplog.text


async def test_a_generated_request_id_matches_the_header(gateway: Gateway) -> None:
    body, response = await _post(gateway, "{ accountLink { isLinked } }")
    error = _only_error(body, response, "UNAUTHENTICATED")
    assert len(error["extensions"]["requestId"]) >= 16
