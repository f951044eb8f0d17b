"""Upstream health as the agent console and operators see it."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.context import Context
from resolvers.status import upstream_statuses


@strawberry.enum(description="State of the gateway's circuit breaker for one upstream API.")
class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@strawberry.type(description="One upstream API and whether the gateway is currently calling it.")
class UpstreamStatus:
    name: str = strawberry.field(description="`cardlytics` or `clickbank`.")
    breaker: BreakerState = strawberry.field(
        description="OPEN means calls fail fast until the upstream recovers."
    )


def _upstreams(info: strawberry.Info[Context, None]) -> list[UpstreamStatus]:
    return [
        UpstreamStatus(name=s.name, breaker=BreakerState(s.breaker_state))
        for s in upstream_statuses(info.context)
    ]


@strawberry.type
class StatusQuery:
    upstreams: list[UpstreamStatus] = strawberry.field(
        resolver=_upstreams,
        description="Each upstream API and the state of its circuit breaker.",
    )
