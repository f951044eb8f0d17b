"""The per-request GraphQL context: what resolvers may reach, built fresh for every request."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.fastapi import BaseContext

from gateway.upstreams.http import UpstreamHTTP

__all__ = ["Context", "Upstreams"]


@dataclass(frozen=True)
class Upstreams:
    """The long-lived upstream connections, opened in the app's lifespan."""

    cardlytics: UpstreamHTTP
    clickbank: UpstreamHTTP

    def all(self) -> tuple[UpstreamHTTP, ...]:
        return (self.cardlytics, self.clickbank)


class Context(BaseContext):
    def __init__(self, upstreams: Upstreams) -> None:
        super().__init__()
        self.upstreams = upstreams
