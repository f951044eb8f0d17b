"""Live-mode viewer tokens: RS256 tokens verified with the identity provider's JWKS.

The identity provider is a small local app serving a JWKS over real HTTP; the gateway fetches it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from gateway.app import create_app
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

VIEWER = "{ viewer { role isSignedIn } }"


@dataclass
class IdentityProvider:
    """Publishes its current keys; ``rotate`` adds a new one, as a real provider does."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    fetches: int = 0

    def rotate(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, object]:
        self.fetches += 1
        entries = []
        for kid, key in self.keys.items():
            entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            entries.append({**entry, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": entries}

    def token(self, kid: str, **claims: object) -> str:
        now = int(time.time())
        payload = {
            "sub": "alice",
            "role": "customer",
            "iss": "https://idp.bank.example",
            "aud": "rewards-gateway",
            "iat": now,
            "exp": now + 600,
            **claims,
        }
        return jwt.encode(payload, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def idp() -> Iterator[tuple[IdentityProvider, str]]:
    provider = IdentityProvider()
    provider.rotate("k1")
    app = FastAPI()
    app.get("/.well-known/jwks.json")(provider.jwks)
    with serve_in_thread(app) as url:
        yield provider, f"{url}/.well-known/jwks.json"


@pytest.fixture
def gateway(sandbox: Sandbox, idp: tuple[IdentityProvider, str]) -> Iterator[Gateway]:
    settings = settings_for(sandbox, jwt_jwks_url=idp[1], jwt_issuer="https://idp.bank.example")
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url, settings)


def _ask(gateway: Gateway, token: str) -> httpx.Response:
    return httpx.post(
        gateway.graphql_url, json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_token_signed_by_a_published_key_is_accepted(
    gateway: Gateway, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    answer = _ask(gateway, provider.token("k1", role="agent"))
    assert answer.json() == {"data": {"viewer": {"role": "AGENT", "isSignedIn": True}}}
    _ask(gateway, provider.token("k1"))
    assert provider.fetches == 1  # keys are cached, not fetched per request


def test_a_rotated_key_is_fetched_when_first_seen(
    gateway: Gateway, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    assert _ask(gateway, provider.token("k1")).status_code == 200
    provider.rotate("k2")
    time.sleep(1.1)  # past the refetch cooldown
    answer = _ask(gateway, provider.token("k2"))
    assert answer.status_code == 200
    assert provider.fetches == 2


def test_forged_key_ids_do_not_make_a_fetch_per_request(
    gateway: Gateway, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    _ask(gateway, provider.token("k1"))
    forger = IdentityProvider()
    for n in range(5):
        forger.rotate(f"forged-{n}")
        assert _ask(gateway, forger.token(f"forged-{n}")).status_code == 401
    assert provider.fetches == 1


def test_shared_key_tokens_are_refused_once_a_jwks_is_configured(gateway: Gateway) -> None:
    # An HS256 token signed with the sandbox key must not pass in JWKS mode (algorithm confusion).
    answer = _ask(gateway, gateway.customer())
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_key_the_provider_never_published_is_refused(gateway: Gateway) -> None:
    stranger = IdentityProvider()
    stranger.rotate("k1")  # the provider's kid, another key
    stranger.rotate("k9")  # a kid the provider never published
    for kid, reason in (("k1", "not valid"), ("k9", "unknown key")):
        answer = _ask(gateway, stranger.token(kid))
        assert answer.status_code == 401
        assert reason in answer.json()["errors"][0]["message"]


def test_an_unreachable_jwks_refuses_tokens_without_a_stack_trace(
    sandbox: Sandbox, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    settings = settings_for(
        sandbox, jwt_jwks_url="http://127.0.0.1:9/jwks.json", jwt_issuer="https://idp.bank.example"
    )
    with serve_in_thread(create_app(settings)) as url:
        answer = httpx.post(
            f"{url}/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {provider.token('k1')}"},
        )
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["message"] == "signing keys are unavailable"
