"""The ``Authorization`` header (A2): one header, no scheme word, and 403 for every failure.

Accepted forms: ``API-<key>`` (current) and ``DEV-<devkey>:API-<clerkkey>`` (legacy). The
read+write clerk key grants ``api_order_read`` and ``api_order_write``, the read-only key only
``api_order_read``; the legacy form adds ``HAS_DEVELOPER_KEY``, which no endpoint requires any
more (ClickBank dropped developer keys), but a wrong developer key still fails.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Request

from gateway.sandbox.clickbank.errors import forbidden
from gateway.settings import SandboxSettings

__all__ = ["Keyring", "Role", "authorize"]


class Role(StrEnum):
    READ = "api_order_read"
    WRITE = "api_order_write"
    DEVELOPER = "HAS_DEVELOPER_KEY"


@dataclass(frozen=True)
class Keyring:
    api_key: str
    read_only_key: str
    developer_key: str

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> Keyring:
        return cls(
            settings.clickbank_api_key.get_secret_value(),
            settings.clickbank_read_only_key.get_secret_value(),
            settings.clickbank_developer_key.get_secret_value(),
        )

    def roles(self, credential: str) -> frozenset[Role] | None:
        """The roles ``credential`` (the header's value) grants, or None when it is not valid."""
        developer, colon, clerk = credential.rpartition(":")
        if colon and not _same(developer, self.developer_key):
            return None
        clerk_roles = self._clerk_roles(clerk)
        if clerk_roles is None:
            return None
        return clerk_roles | {Role.DEVELOPER} if colon else clerk_roles

    def _clerk_roles(self, key: str) -> frozenset[Role] | None:
        if _same(key, self.api_key):
            return frozenset({Role.READ, Role.WRITE})
        if _same(key, self.read_only_key):
            return frozenset({Role.READ})
        return None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def authorize(request: Request, keyring: Keyring, *needed: Role) -> None:
    """Raise 403 unless the request carries one valid credential holding every ``needed`` role."""
    values = request.headers.getlist("authorization")
    if not values:
        raise forbidden("Missing Authorization header")
    if len(values) > 1:
        raise forbidden("Send exactly one Authorization header")
    roles = keyring.roles(values[0].strip())
    if roles is None:
        raise forbidden("Invalid credentials")
    missing = [role.value for role in needed if role not in roles]
    if missing:
        raise forbidden(f"Access denied: the key lacks the role {', '.join(missing)}")
