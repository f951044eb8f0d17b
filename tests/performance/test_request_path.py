"""What a request costs before its document runs: a viewer token verified once, not per request,
and never trusted past its expiry."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt
import pytest

from gateway.settings import SANDBOX_DEFAULTS
from tests.support.gateway import Gateway

VIEWER = "{ viewer { role isSignedIn } }"
LEEWAY_S = 30  # gateway.auth's clock-skew leeway


def _token(exp: float, subject: str = "alice") -> str:
    claims = {
        "sub": subject,
        "role": "customer",
        "iss": "rewards-gateway-sandbox",
        "aud": "rewards-gateway",
        "iat": int(time.time()) - 60,
        "exp": int(exp),
    }
    return jwt.encode(claims, SANDBOX_DEFAULTS.jwt_shared_key, algorithm="HS256")


async def _viewer(client: httpx.AsyncClient, gateway: Gateway, token: str) -> httpx.Response:
    return await client.post(
        gateway.graphql_url, json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_token_is_verified_once_for_many_requests(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []
    decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    alice, bob = _token(time.time() + 600, "alice"), _token(time.time() + 600, "bob")

    async with httpx.AsyncClient(timeout=30) as client:
        answers = await asyncio.gather(*(_viewer(client, gateway, t) for t in [alice, bob] * 10))

    assert [a.json()["data"]["viewer"]["role"] for a in answers] == ["CUSTOMER"] * 20
    assert sorted(set(decoded)) == sorted({alice, bob})
    assert len(decoded) <= 4  # at most the first few, concurrent, before one was remembered


async def test_a_remembered_token_is_refused_once_it_expires(gateway: Gateway) -> None:
    # Expired 27 s ago: still inside the leeway, so accepted (and remembered) now...
    token = _token(time.time() - LEEWAY_S + 3)
    async with httpx.AsyncClient(timeout=30) as client:
        accepted = await _viewer(client, gateway, token)
        assert accepted.json()["data"]["viewer"] == {"role": "CUSTOMER", "isSignedIn": True}

        await asyncio.sleep(4)
        refused = await _viewer(client, gateway, token)

    # ...and refused as soon as the leeway is over, as if it had never been seen.
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == "the token has expired"
