"""Account linking: the HTTP calls behind the Link SDK's status / start / delete methods.

Only the status endpoint is documented (B2); start and delete follow the simulator's documented
defaults (``POST`` / ``DELETE /v2/data/accountLink``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.ads_cache import AdsCache
from gateway.upstreams.cardlytics.models import (
    AccountLinkRequest,
    AccountLinkStarted,
    AccountLinkStatus,
    LinkProvider,
)
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.cardlytics.wire import Expect

__all__ = ["ACCOUNT_LINK", "AccountLinks"]

ACCOUNT_LINK = "/v2/data/accountLink"


def _deleted(body: Any) -> bool:
    # documented as a boolean; an acknowledgement object also means it is done
    if isinstance(body, bool):
        return body
    if isinstance(body, dict):
        return True
    raise ValueError("deleteAccountLink answered neither a boolean nor an object")


class AccountLinks:
    """``/v2/data/accountLink``: is a card linked, start linking one, unlink it."""

    def __init__(self, transport: CardlyticsTransport, ads_cache: AdsCache) -> None:
        self._transport = transport
        self._ads_cache = ads_cache

    async def status(self, customer: HashedCustomerId) -> AccountLinkStatus:
        return await self._transport.call(
            "GET",
            ACCOUNT_LINK,
            customer,
            Expect(
                "getAccountLinkStatus",
                AccountLinkStatus.model_validate,
                when_empty=AccountLinkStatus,
            ),
            idempotent=True,
        )

    async def start(
        self,
        customer: HashedCustomerId,
        redirect_uri: str,
        link_provider: LinkProvider = LinkProvider.PLAID_HOSTED,
    ) -> AccountLinkStarted:
        body = AccountLinkRequest(link_provider=link_provider, redirect_uri=redirect_uri)
        try:
            return await self._transport.call(
                "POST",
                ACCOUNT_LINK,
                customer,
                Expect("startAccountLink", AccountLinkStarted.model_validate),
                # each call opens a new linking attempt upstream: a blind repeat would open two
                idempotent=False,
                json=body.model_dump(mode="json"),
            )
        finally:
            self._ads_cache.changed(customer)  # offers may depend on a linked card

    async def delete(self, customer: HashedCustomerId, account_link_id: str) -> bool:
        if not account_link_id:
            raise ValueError("an account link id is needed")
        try:
            return await self._transport.call(
                "DELETE",
                f"{ACCOUNT_LINK}/{quote(account_link_id, safe='')}",
                customer,
                Expect("deleteAccountLink", _deleted, when_empty=lambda: True),
                # DELETE is idempotent: a repeat after a lost answer leaves the same state. It
                # may answer 404 (already gone), which reaches the caller as UpstreamNotFound.
                idempotent=True,
            )
        finally:
            self._ads_cache.changed(customer)
