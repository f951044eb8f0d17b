"""What every ticket has, whichever API keeps it: lists of both kinds use ``Ticket``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import strawberry

__all__ = ["Ticket", "described", "described_mutation", "utc"]

F = TypeVar("F", bound=Callable[..., Any])


# strawberry.field(description=...) is untyped to mypy; these keep the method's own signature.
def described(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.field(description=description))


def described_mutation(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.mutation(description=description))


@strawberry.interface(
    description="A support ticket: a `CustomerTicket` (Cardlytics, about a missing reward) or a "
    "`VendorTicket` (ClickBank, a refund, cancel or tech-support request on an order receipt)."
)
class Ticket:
    # Each kind reads these from its own upstream data, so they are resolvers, not attributes.
    @described(
        "`sourceTicketId` of a CustomerTicket, the ClickBank ticket number of a VendorTicket."
    )
    def id(self) -> strawberry.ID:
        raise NotImplementedError

    @described("What the ticket is about.")
    def description(self) -> str | None:
        raise NotImplementedError

    @described("When the ticket was opened.")
    def opened_at(self) -> datetime | None:
        raise NotImplementedError

    @described("When it was closed, if it is.")
    async def closed_at(self, info: strawberry.Info) -> datetime | None:
        raise NotImplementedError


def utc(moment: datetime | None) -> datetime | None:
    """Timestamps leave the gateway in UTC, whatever zone the upstream wrote."""
    return moment.astimezone(UTC) if moment is not None else None
