"""How the upstreams look from here: each one's circuit breaker."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.context import Context


@dataclass(frozen=True)
class UpstreamStatusData:
    name: str
    breaker_state: str


def upstream_statuses(context: Context) -> list[UpstreamStatusData]:
    return [
        UpstreamStatusData(name=http.name, breaker_state=http.breaker.state.value)
        for http in context.upstreams.connections
    ]
