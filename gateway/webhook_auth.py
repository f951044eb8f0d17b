"""Who may deliver to the Cardlytics webhook (upstreams.md B4).

Every delivery carries ``Authorization: Bearer <JWT>`` signed by Cardlytics with its private key
(RS256). We verify it with the configured public key and require ``iss="cardlytics"``, an
``exp`` no more than five minutes away (a longer-lived token would let a stolen one be replayed
for longer), and ``sub`` equal to the hex SHA-256 of the exact body bytes, which binds the
signature to this body. Optionally the peer address must fall in an allow-list of networks
(Cardlytics' "IP whitelisting").
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

__all__ = ["ISSUER", "MAX_LIFETIME_S", "WebhookAuthenticator", "WebhookUnauthorized"]

ISSUER = "cardlytics"
MAX_LIFETIME_S = 300
# Clock difference tolerated between Cardlytics and us.
LEEWAY_S = 30

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebhookUnauthorized(Exception):
    """The delivery is not proven to come from Cardlytics; the message says why (no secrets)."""


@dataclass(frozen=True)
class WebhookAuthenticator:
    public_key: PublicKeyTypes | None
    allowed_networks: Sequence[Network] = field(default_factory=tuple)

    @classmethod
    def from_pem(
        cls, pem: str | None, allowed_networks: Sequence[Network] = ()
    ) -> WebhookAuthenticator:
        key = serialization.load_pem_public_key(pem.encode()) if pem else None
        return cls(key, tuple(allowed_networks))

    def verify(self, authorization: str | None, body: bytes, peer: str | None) -> None:
        """Return when the delivery is authentic; raise ``WebhookUnauthorized`` otherwise."""
        self._check_peer(peer)
        if self.public_key is None:
            raise WebhookUnauthorized("no webhook public key is configured")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise WebhookUnauthorized("missing bearer token")
        try:
            claims = jwt.decode(
                token.strip(),
                self.public_key,  # type: ignore[arg-type]
                algorithms=["RS256"],
                issuer=ISSUER,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise WebhookUnauthorized("token expired") from None
        except jwt.InvalidTokenError as error:
            raise WebhookUnauthorized(f"invalid token: {type(error).__name__}") from None
        if claims["exp"] > time.time() + MAX_LIFETIME_S + LEEWAY_S:
            raise WebhookUnauthorized("token lives longer than five minutes")
        digest = hashlib.sha256(body).hexdigest()
        if not isinstance(claims["sub"], str) or not hmac.compare_digest(claims["sub"], digest):
            raise WebhookUnauthorized("token is not for this body")

    def _check_peer(self, peer: str | None) -> None:
        if not self.allowed_networks:
            return
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            raise WebhookUnauthorized("sender address unknown") from None
        if not any(address in network for network in self.allowed_networks):
            raise WebhookUnauthorized("sender address not allowed")
