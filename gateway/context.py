"""The per-request GraphQL context: what resolvers may reach, built fresh for every request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.fastapi import BaseContext

from gateway.auth import Viewer
from gateway.customer_ids import ANONYMOUS, CustomerIdHasher, HashedCustomerId
from gateway.pubsub import PubSub
from gateway.store.db import Database
from gateway.store.ticket_index import TicketIndex
from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.clickbank import ClickBankTicketsClient
from gateway.upstreams.http import UpstreamHTTP

__all__ = ["Context", "Upstreams"]

T = TypeVar("T")


@dataclass(frozen=True)
class Upstreams:
    """The long-lived upstream clients, opened in the app's lifespan and shared by requests."""

    cardlytics: CardlyticsClient
    clickbank: ClickBankTicketsClient
    # The request cores underneath, for health and breaker state.
    connections: tuple[UpstreamHTTP, ...]
    customer_ids: CustomerIdHasher


class Context(BaseContext):
    def __init__(
        self,
        upstreams: Upstreams,
        viewer: Viewer,
        *,
        ticket_index: TicketIndex,
        database: Database,
        pubsub: PubSub,
    ) -> None:
        super().__init__()
        self.upstreams = upstreams
        self.viewer = viewer
        # app-lifetime: the customer tickets opened through the gateway (CSA cannot list them)
        self.ticket_index = ticket_index
        self.database = database
        self.pubsub = pubsub
        self._per_request: dict[Callable[..., Any], Any] = {}
        self._hashed_for: Viewer | None = None
        self._hashed = ANONYMOUS

    @property
    def customer_id(self) -> HashedCustomerId:
        """The viewer as Cardlytics knows them: the HMAC of their id, or ``no-user-available``."""
        viewer = self.viewer
        if not viewer.is_customer:
            return ANONYMOUS
        # An HMAC per read added up: every loader and upstream call of a request asks. Kept
        # for the viewer it was made for (a WebSocket's context gets its viewer later).
        if self._hashed_for is not viewer:
            self._hashed = self.upstreams.customer_ids(viewer.subject)
            self._hashed_for = viewer
        return self._hashed

    def loader(self, factory: Callable[[Context], T]) -> T:
        """The request's one instance of what ``factory`` builds (a DataLoader, typically).

        Loaders live exactly as long as the request, so nothing one viewer loaded can reach
        another; each domain keeps its factories next to its resolvers.
        """
        if factory not in self._per_request:
            self._per_request[factory] = factory(self)
        instance: T = self._per_request[factory]
        return instance

    def forget_loaded(self) -> None:
        """Start afresh, as a new request would: a subscription's context lives as long as its
        connection, and each event it sends must not be answered from an earlier one's loads."""
        self._per_request.clear()
