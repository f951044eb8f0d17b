"""Raw GraphQL over HTTP for the performance tests: the home document with variables, as the
frontends send it, and many requests at once on one connection pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.gateway import Gateway

HOME = (Path(__file__).parents[2] / "operations" / "home.graphql").read_text()
GET_ADS = "POST /v2/ads/getAds"
START_SESSION = "POST /v2/session/startSession"


async def post(
    client: httpx.AsyncClient,
    gateway: Gateway,
    document: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """One request; the body, asserting it has no errors."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        gateway.graphql_url, json={"query": document, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    return body


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50))
