"""The one way an authenticated Cardlytics call is made.

Token for the customer → send with ``Authorization: Bearer`` and ``x-source-customer-id`` → on a
401 (the token expired upstream before our cache said so) drop it, fetch a new one and try once
more; a second 401 is the caller's ``UpstreamAuthenticationFailed``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.sessions import SessionTokens, customer_header, short
from gateway.upstreams.cardlytics.wire import Expect
from gateway.upstreams.errors import UpstreamAuthenticationFailed
from gateway.upstreams.http import UpstreamHTTP

__all__ = ["CardlyticsTransport"]

logger = logging.getLogger("gateway.upstreams.cardlytics")

T = TypeVar("T")


class CardlyticsTransport:
    """Sends calls on behalf of one customer, with that customer's session token."""

    def __init__(
        self, http: UpstreamHTTP, sessions: SessionTokens, *, mock_data: bool = False
    ) -> None:
        self._http = http
        self._sessions = sessions
        self._mock_data = mock_data

    async def call(
        self,
        method: str,
        path: str,
        customer: HashedCustomerId,
        expect: Expect[T],
        *,
        idempotent: bool,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> T:
        token = await self._sessions.token(customer)
        try:
            return await self._send(method, path, customer, token, expect, idempotent, json, params)
        except UpstreamAuthenticationFailed:
            self._sessions.invalidate(customer, token)
            logger.info(
                "cardlytics refused the session token; refreshing it once",
                extra={"operation": expect.operation, "customer": short(customer)},
            )
            token = await self._sessions.token(customer)
            return await self._send(method, path, customer, token, expect, idempotent, json, params)

    async def _send(
        self,
        method: str,
        path: str,
        customer: HashedCustomerId,
        token: str,
        expect: Expect[T],
        idempotent: bool,
        json: Any,
        params: Mapping[str, Any] | None,
    ) -> T:
        headers = {
            "Authorization": f"Bearer {token}",
            "x-source-customer-id": customer_header(customer),
        }
        if self._mock_data:  # canned upstream data, for test set-ups only (C2#15)
            headers["x-mock-data"] = "true"
        await self._http.send(
            method,
            path,
            classify=expect,
            idempotent=idempotent,
            headers=headers,
            params=params,
            json=json,
        )
        return expect.value
