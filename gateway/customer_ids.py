"""Customer ids as Cardlytics must see them: HMAC-SHA-256 of ours, never the raw value."""

from __future__ import annotations

import hashlib
import hmac
from typing import NewType

__all__ = ["ANONYMOUS", "CustomerIdHasher", "HashedCustomerId"]

#: x-source-customer-id of viewers without a linked card: they get welcome-basket offers.
HashedCustomerId = NewType("HashedCustomerId", str)
ANONYMOUS = HashedCustomerId("no-user-available")


class CustomerIdHasher:
    """Lowercase-hex HMAC-SHA-256 of a raw customer id with a server-side key."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the customer id HMAC key must not be empty")
        self._key = key

    def __call__(self, raw_customer_id: str | None) -> HashedCustomerId:
        if raw_customer_id is None:
            return ANONYMOUS
        if not raw_customer_id:
            raise ValueError("a customer id must not be empty")
        digest = hmac.new(self._key, raw_customer_id.encode(), hashlib.sha256).hexdigest()
        return HashedCustomerId(digest)

    def __repr__(self) -> str:
        return "CustomerIdHasher(key=**********)"
