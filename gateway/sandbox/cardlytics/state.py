"""The simulator's whole state, one ``Simulator`` per app, reached from routes via ``SimDep``.

A customer's data is built from the seed the first time its id is seen and then changes only by
what the API and the control endpoints do to it; ``reset`` forgets all of that, every token, the
tickets, the webhook log and the pending background work.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from gateway.sandbox.cardlytics.background import Background
from gateway.sandbox.cardlytics.catalog import build_catalog
from gateway.sandbox.cardlytics.data import build_customer, sample_unenrolled_ids
from gateway.sandbox.cardlytics.model import AccountLink, AdSpec, Customer, Redemption, Ticket
from gateway.sandbox.cardlytics.tokens import ServeTokens, SessionTokens
from gateway.sandbox.cardlytics.webhooks import Delivery, WebhookSender
from gateway.settings import SandboxSettings

__all__ = ["SimDep", "Simulator", "get_simulator"]

_FIRST_CDLX_TICKET_ID = 111340


class Simulator:
    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.background = Background()
        self.webhooks = WebhookSender(settings, self.background)
        self.sessions = SessionTokens(settings.session_token_ttl_s)
        self.serve_tokens = ServeTokens(settings.serve_token_ttl_s)
        self._start_fresh()

    def _start_fresh(self) -> None:
        self.anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.catalog = build_catalog(self.settings.seed, self.anchor)
        self.customers: dict[str, Customer] = {}
        self.unenrolled: set[str] = set(sample_unenrolled_ids())
        self.tickets: dict[str, Ticket] = {}
        self.ticket_ids = itertools.count(_FIRST_CDLX_TICKET_ID)
        # The last RTM delivery about each redemption: the next one waits for it (in order).
        self.last_rtm: dict[str, Delivery] = {}

    def customer(self, customer_id: str) -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            customer = build_customer(self.settings.seed, customer_id, self.catalog, self.anchor)
            self.customers[customer_id] = customer
        return customer

    def ad(self, ad_id: str) -> AdSpec:
        return self.catalog.ads[ad_id]

    def find_link(self, link_id: str) -> tuple[Customer, AccountLink] | None:
        for customer in self.customers.values():
            if link_id in customer.links:
                return customer, customer.links[link_id]
        return None

    def find_redemption(self, redemption_id: str) -> tuple[Customer, Redemption] | None:
        for customer in self.customers.values():
            for redemption in customer.redemptions:
                if redemption.redemption_id == redemption_id:
                    return customer, redemption
        return None

    async def reset(self) -> None:
        await self.background.cancel_all()
        self.sessions.expire_all()
        self.serve_tokens.clear()
        self.webhooks.reset()
        self._start_fresh()

    async def aclose(self) -> None:
        await self.background.cancel_all()
        await self.webhooks.aclose()


async def get_simulator(request: Request) -> Simulator:
    simulator: Simulator = request.app.state.simulator
    return simulator


SimDep = Annotated[Simulator, Depends(get_simulator)]
