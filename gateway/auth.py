"""Who is asking: the viewer, from the bearer JWT the frontend sends.

No ``Authorization`` header is an anonymous viewer (welcome offers only). A header that is there
but does not verify (signature, expiry, issuer, audience, claims) is refused, never downgraded to
anonymous: a broken token is a bug or an attack, and either should be seen.

Tokens: ``sub`` is the customer's id at the bank (or the agent's), ``role`` is ``customer`` or
``agent``. In sandbox mode they are HS256 with a shared key (``rewards-gateway token`` prints one);
in live mode they are verified against the identity provider's JWKS.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
import jwt
from cachetools import TLRUCache
from pydantic import SecretStr

__all__ = [
    "AuthenticationError",
    "JwksKeys",
    "Role",
    "TokenVerifier",
    "Viewer",
    "issue_sandbox_token",
]

_CLOCK_SKEW_S = 30
_REFETCH_COOLDOWN_S = 1.0
_ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
# Verified tokens remembered, so a frontend's every request does not pay for the signature again.
_VERIFIED_TOKENS = 4096
# Even a long-lived token is verified again this often: a JWKS key withdrawn stops working soon.
_VERIFIED_FOR_S = 300.0


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    CUSTOMER = "customer"
    AGENT = "agent"


@dataclass(frozen=True)
class Viewer:
    role: Role
    # The bank's id of the customer or agent. Never logged or sent upstream as it is: Cardlytics
    # gets its HMAC (gateway.customer_ids).
    subject: str | None = field(default=None, repr=False)

    @property
    def is_agent(self) -> bool:
        return self.role is Role.AGENT

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER


ANONYMOUS_VIEWER = Viewer(Role.ANONYMOUS)


class AuthenticationError(Exception):
    """The bearer token was refused; the message is safe to show (it never echoes the token)."""


class JwksKeys:
    """Signing keys of the identity provider, fetched from its JWKS URL and cached for a while."""

    def __init__(self, url: str, http: httpx.AsyncClient, *, max_age_s: float = 300.0) -> None:
        self._url = url
        self._http = http
        self._max_age_s = max_age_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        key = self._find(kid)
        age = time.monotonic() - self._fetched_at
        # An unknown kid may be a freshly rotated key, so it may refetch; but not more than once
        # a cooldown, or forged kids would turn every request into a call to the provider.
        if age > self._max_age_s or (key is None and age > _REFETCH_COOLDOWN_S):
            await self._refresh()
            key = self._find(kid)
        if key is None:
            raise AuthenticationError("token signed with an unknown key")
        return key

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid or "")

    async def _refresh(self) -> None:
        async with self._lock:
            try:
                response = await self._http.get(self._url)
                response.raise_for_status()
                jwks = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
                raise AuthenticationError("signing keys are unavailable") from error
            self._keys = {key.key_id or "": key for key in jwks.keys}
            self._fetched_at = time.monotonic()


@dataclass(frozen=True)
class _Verified:
    viewer: Viewer
    until: float  # epoch seconds


class TokenVerifier:
    """Turns an ``Authorization`` header into a Viewer, or refuses it."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        shared_key: SecretStr | None = None,
        jwks: JwksKeys | None = None,
    ) -> None:
        if (shared_key is None) == (jwks is None):
            raise ValueError("exactly one of shared_key and jwks must be given")
        self._issuer = issuer
        self._audience = audience
        self._shared_key = shared_key
        self._jwks = jwks
        # Keyed by the whole token; an entry ends when the token expires (as jwt.decode would
        # refuse it then, leeway included) or after _VERIFIED_FOR_S, whichever comes first.
        self._verified: TLRUCache[str, _Verified] = TLRUCache(
            _VERIFIED_TOKENS, ttu=lambda _token, verified, _now: verified.until, timer=time.time
        )

    async def viewer(self, authorization: str | None) -> Viewer:
        if authorization is None or not authorization.strip():
            return ANONYMOUS_VIEWER
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        if (verified := self._verified.get(token)) is not None:
            return verified.viewer
        claims = await self._verify(token)
        viewer = _viewer_from(claims)
        # "exp" is required, so every verified token has one; a token past it is not kept.
        until = min(float(claims["exp"]) + _CLOCK_SKEW_S, time.time() + _VERIFIED_FOR_S)
        self._verified[token] = _Verified(viewer, until)
        return viewer

    async def _verify(self, token: str) -> dict[str, Any]:
        try:
            if self._shared_key is not None:
                key: Any = self._shared_key.get_secret_value()
                algorithms = ["HS256"]
            else:
                assert self._jwks is not None
                header = jwt.get_unverified_header(token)
                key = (await self._jwks.key(header.get("kid"))).key
                algorithms = _ASYMMETRIC
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=_CLOCK_SKEW_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise AuthenticationError("the token has expired") from error
        except jwt.InvalidAudienceError as error:
            raise AuthenticationError("the token is for another audience") from error
        except jwt.InvalidIssuerError as error:
            raise AuthenticationError("the token is from another issuer") from error
        except jwt.MissingRequiredClaimError as error:
            raise AuthenticationError(f"the token lacks the {error.claim!r} claim") from error
        except jwt.PyJWTError as error:
            raise AuthenticationError("the token is not valid") from error
        return claims


def _viewer_from(claims: dict[str, Any]) -> Viewer:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise AuthenticationError("the token's 'sub' claim must be a non-empty string")
    role = claims.get("role", Role.CUSTOMER.value)
    if role not in (Role.CUSTOMER.value, Role.AGENT.value):
        raise AuthenticationError("the token's 'role' claim must be 'customer' or 'agent'")
    return Viewer(Role(role), subject)


def issue_sandbox_token(
    subject: str,
    *,
    role: Role,
    shared_key: SecretStr,
    issuer: str,
    audience: str,
    lifetime_s: int = 12 * 3600,
) -> str:
    """A token the sandbox gateway accepts (``rewards-gateway token``); tests use it too."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": role.value,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime_s,
    }
    return jwt.encode(claims, shared_key.get_secret_value(), algorithm="HS256")
