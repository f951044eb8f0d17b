"""Answers are compact UTF-8 JSON with the shape GraphQL clients read, whatever encodes them."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.gateway import Gateway

HOME_PAGE = """
{
  viewer { role isSignedIn }
  offers(first: 3) { totalCount edges { cursor node { id merchantName reward { amount } } } }
}
"""


async def _post(gateway: Gateway, document: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(gateway.graphql_url, json={"query": document}, headers=headers)


def _compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def test_an_answer_is_compact_json_in_selection_order(gateway: Gateway) -> None:
    response = await _post(gateway, HOME_PAGE, gateway.customer("customer-linked"))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert response.content == _compact(body)
    assert list(body) == ["data"]
    assert list(body["data"]) == ["viewer", "offers"]
    assert list(body["data"]["offers"]["edges"][0]["node"]) == ["id", "merchantName", "reward"]
    assert body["data"]["viewer"] == {"role": "CUSTOMER", "isSignedIn": True}


async def test_an_error_answer_keeps_its_shape(gateway: Gateway) -> None:
    response = await _post(gateway, "{ viewer { nope } }")

    body = response.json()
    assert response.content == _compact(body)
    [error] = body["errors"]
    assert list(error) == ["message", "locations", "extensions"]
    assert error["locations"] == [{"line": 1, "column": 12}]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
