"""Viewer tokens end to end: who the gateway thinks is asking, and which tokens it refuses."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from gateway.auth import Role
from gateway.settings import SANDBOX_DEFAULTS
from tests.support.gateway import Gateway

VIEWER = "{ viewer { role isSignedIn } }"


async def test_no_token_is_an_anonymous_viewer(gateway: Gateway) -> None:
    result = await gateway.execute(VIEWER)
    assert result.data == {"viewer": {"role": "ANONYMOUS", "isSignedIn": False}}


@pytest.mark.parametrize(("role", "expected"), [(Role.CUSTOMER, "CUSTOMER"), (Role.AGENT, "AGENT")])
async def test_a_signed_token_gives_its_role(gateway: Gateway, role: Role, expected: str) -> None:
    result = await gateway.execute(VIEWER, token=gateway.token("alice", role))
    assert result.data == {"viewer": {"role": expected, "isSignedIn": True}}


def _token(**claims: object) -> str:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "alice",
        "role": "customer",
        "iss": "rewards-gateway-sandbox",
        "aud": "rewards-gateway",
        "iat": now,
        "exp": now + 600,
    }
    key = str(claims.pop("key", SANDBOX_DEFAULTS.jwt_shared_key))
    payload = {k: v for k, v in {**base, **claims}.items() if v is not None}
    return jwt.encode(payload, key, algorithm="HS256")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (f"Bearer {_token(exp=int(time.time()) - 3600)}", "expired"),
        (f"Bearer {_token(key='another-key-of-sufficient-length-32b')}", "not valid"),
        (f"Bearer {_token(aud='someone-else')}", "audience"),
        (f"Bearer {_token(iss='someone-else')}", "issuer"),
        (f"Bearer {_token(sub=None)}", "sub"),
        (f"Bearer {_token(role='admin')}", "role"),
        ("Bearer not-a-jwt", "not valid"),
        (f"Basic {_token()}", "Bearer"),
        (f"Bearer {jwt.encode({'sub': 'alice'}, '', algorithm='none')}", "not valid"),
    ],
)
def test_a_bad_token_is_refused_never_downgraded(
    gateway: Gateway, header: str, reason: str
) -> None:
    response = httpx.post(
        gateway.graphql_url, json={"query": VIEWER}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"]
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    token = header.partition(" ")[2]
    assert token not in response.text
