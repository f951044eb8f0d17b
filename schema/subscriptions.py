"""Subscriptions (graphql-transport-ws on /graphql): what changes for the signed-in customer."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TypeVar, cast

import strawberry

from gateway.context import Context
from resolvers import subscriptions as resolve
from schema.customer_tickets import CustomerTicket
from schema.rewards import Reward

__all__ = ["Subscription"]

Info = strawberry.Info[Context, None]
F = TypeVar("F", bound=Callable[..., object])


def described_subscription(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.subscription(description=description))


@strawberry.type
class Subscription:
    @described_subscription(
        "The signed-in customer's tickets, each time Cardlytics reports progress on "
        "one (its new status comes with it); only `sourceTicketId` when given. Customers only: "
        "the connection is authenticated in `connection_init`."
    )
    async def customer_ticket_updated(
        self, info: Info, source_ticket_id: strawberry.ID | None = None
    ) -> AsyncGenerator[CustomerTicket, None]:
        wanted = str(source_ticket_id) if source_ticket_id is not None else None
        async for tracked in resolve.ticket_updates(info.context, wanted):
            yield CustomerTicket(tracked=tracked)

    @described_subscription(
        "Each reward (or reversal) Cardlytics reports for the signed-in customer, "
        "as it is reported. Customers only."
    )
    async def reward_earned(self, info: Info) -> AsyncGenerator[Reward, None]:
        async for earned in resolve.reward_events(info.context):
            redemption = earned.redemption
            yield Reward.from_upstream(redemption, resolve.no_ads(redemption), earned.currency)
