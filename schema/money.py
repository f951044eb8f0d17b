"""Money, shared by rewards and vendor tickets: never a float."""

from __future__ import annotations

from decimal import Decimal

import strawberry

__all__ = ["Money"]


@strawberry.type(
    description='An amount in one currency. `amount` is a decimal string, e.g. "12.50".'
)
class Money:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")
