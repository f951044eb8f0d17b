"""Currencies at fixed, made-up rates, and what a full or partial refund comes to in each.

Rates never move so refund previews are reproducible. Amounts are ``Decimal`` rounded half-up
to cents; a partial refund is computed on the customer-currency total, then scaled to the USD
and product-currency totals so that a 100 % refund equals the purchase exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gateway.sandbox.clickbank.vocab import RefundType

__all__ = ["CENT", "RATES_PER_USD", "Amounts", "cents", "convert", "refund_of"]

CENT = Decimal("0.01")

# Units of each currency one US dollar buys.
RATES_PER_USD: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CAD": Decimal("1.36"),
    "AUD": Decimal("1.52"),
}


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    return cents(amount / RATES_PER_USD[source] * RATES_PER_USD[target])


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Amounts:
    """One amount in the three currencies a PartialRefundData reports."""

    usd: Decimal
    customer: Decimal
    customer_currency: str
    product: Decimal
    product_currency: str

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.usd + other.usd,
            self.customer + other.customer,
            self.customer_currency,
            self.product + other.product,
            self.product_currency,
        )

    def scaled(self, fraction: Decimal) -> Amounts:
        return Amounts(
            cents(self.usd * fraction),
            cents(self.customer * fraction),
            self.customer_currency,
            cents(self.product * fraction),
            self.product_currency,
        )


def refund_of(total: Amounts, refund_type: RefundType, refund_amount: Decimal | None) -> Amounts:
    """What a refund of ``refund_type`` gives back from a purchase worth ``total``.

    ``refund_amount`` must already be valid for the type (see ``rules.py``).
    """
    if refund_type is RefundType.FULL or refund_amount is None:
        return total
    if refund_type is RefundType.PARTIAL_PERCENT:
        return total.scaled(refund_amount / 100)
    scaled = total.scaled(refund_amount / total.customer)
    # The customer asked for an exact amount in their currency: keep it exact.
    return Amounts(
        scaled.usd, refund_amount, total.customer_currency, scaled.product, total.product_currency
    )
