"""The per-request GraphQL context: what resolvers may reach, built fresh for every request."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.fastapi import BaseContext

from gateway.customer_ids import CustomerIdHasher
from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.clickbank import ClickBankTicketsClient
from gateway.upstreams.http import UpstreamHTTP

__all__ = ["Context", "Upstreams"]


@dataclass(frozen=True)
class Upstreams:
    """The long-lived upstream clients, opened in the app's lifespan and shared by requests."""

    cardlytics: CardlyticsClient
    clickbank: ClickBankTicketsClient
    # The request cores underneath, for health and breaker state.
    connections: tuple[UpstreamHTTP, ...]
    customer_ids: CustomerIdHasher


class Context(BaseContext):
    def __init__(self, upstreams: Upstreams) -> None:
        super().__init__()
        self.upstreams = upstreams
