"""The simulator's domain: vendors, receipts (orders) with line items, tickets and their comments.

A receipt's state (refund pending, subscription canceled) is never stored: it follows from the
tickets on it (``Ticket.refunds_sale`` / ``cancels_billing`` while the ticket is in effect), so
closing, reopening or changing a ticket can never leave the receipt out of step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from gateway.sandbox.clickbank.money import Amounts, convert
from gateway.sandbox.clickbank.vocab import (
    Action,
    RefundType,
    Resolution,
    Role,
    Source,
    Status,
    TicketType,
)

__all__ = ["Comment", "Customer", "LineItem", "Receipt", "Ticket", "Vendor"]


@dataclass(frozen=True)
class Vendor:
    """A vendor nickname; every nickname belongs to one ClickBank account (what a key can see)."""

    nickname: str
    account: str
    partial_refunds: bool


@dataclass(frozen=True)
class Customer:
    first_name: str
    last_name: str
    email: str
    email_at_order_time: str
    locale: str


@dataclass(frozen=True)
class LineItem:
    sku: str
    title: str
    price: Decimal  # in the receipt's product currency


@dataclass(frozen=True)
class Receipt:
    receipt: str
    vendor: Vendor
    customer: Customer
    items: tuple[LineItem, ...]
    ordered: datetime
    recurring: bool
    physical: bool
    customer_currency: str
    product_currency: str

    def item(self, sku: str) -> LineItem | None:
        return next((item for item in self.items if item.sku == sku), None)

    def amounts(self, skus: tuple[str, ...]) -> Amounts:
        """What the given line items cost, in USD, the customer's and the product's currency."""
        total = Amounts(
            Decimal("0"), Decimal("0"), self.customer_currency, Decimal("0"), self.product_currency
        )
        for item in self.items:
            if item.sku in skus:
                total += Amounts(
                    convert(item.price, self.product_currency, "USD"),
                    convert(item.price, self.product_currency, self.customer_currency),
                    self.customer_currency,
                    item.price,
                    self.product_currency,
                )
        return total

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(item.sku for item in self.items)


@dataclass
class Comment:
    comment_id: int
    date: datetime
    comment: str | None
    action: Action
    role: Role


@dataclass
class Ticket:
    ticket_id: int
    receipt: Receipt
    type: TicketType
    status: Status
    reason: str
    skus: tuple[str, ...]  # the line items the ticket is about (all of them when no sku was given)
    opened: datetime
    updated: datetime
    source: Source
    comments: list[Comment] = field(default_factory=list)
    refund_type: RefundType | None = None
    refund_amount: Decimal | None = None
    retain_subscription: bool = False
    closed: datetime | None = None
    resolution: Resolution | None = None
    expiration: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status is not Status.CLOSED

    @property
    def in_effect(self) -> bool:
        """Open (its request pending) or closed because it was carried out."""
        return self.is_open or self.resolution is Resolution.COMPLETED

    @property
    def refunds_sale(self) -> bool:
        # Seed: on a non-recurring receipt both rfnd and cncl refund the sale.
        return self.type is TicketType.REFUND or (
            self.type is TicketType.CANCEL and not self.receipt.recurring
        )

    @property
    def cancels_billing(self) -> bool:
        # Seed: on a recurring receipt rfnd refunds AND cancels billing; cncl only cancels it.
        if not self.receipt.recurring:
            return False
        return self.type is TicketType.CANCEL or (
            self.type is TicketType.REFUND and not self.retain_subscription
        )

    def overlaps(self, skus: tuple[str, ...]) -> bool:
        return not set(self.skus).isdisjoint(skus)
