"""The simulator's records: catalog ads (fixed), and each customer's mutable state around them.

Money is ``Decimal`` in major units and becomes a JSON number only on the way out; dates are UTC
``datetime``s written as RFC 3339 with ``Z``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gateway.sandbox.cardlytics.vocab import ANONYMOUS, VISIBLE

__all__ = [
    "Account",
    "AccountLink",
    "AdSpec",
    "AdState",
    "Category",
    "Customer",
    "Redemption",
    "Reward",
    "Ticket",
    "Transaction",
    "cents",
    "iso",
    "number",
]

CENT = Decimal("0.01")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def number(amount: Decimal) -> float:
    """A JSON number like the seed's ``5.0``: at most two decimals, never an exponent."""
    return float(cents(amount))


@dataclass(frozen=True)
class Category:
    id: str
    name: str


@dataclass(frozen=True)
class Reward:
    reward_type: str
    amount: Decimal  # a percentage for PERCENT_AMOUNT_PURCHASE, money otherwise
    max_amount: Decimal
    multi_redemption: bool
    min_spend: Decimal  # for METERED: the cumulative spend that earns the reward
    channels: tuple[str, ...]
    purchase_types: tuple[str, ...]
    url_click_required: bool
    activation_model: str

    @property
    def metered(self) -> bool:
        return self.reward_type == "METERED_AMOUNT_PURCHASE"

    def earned(self, spend: Decimal) -> Decimal:
        if self.reward_type == "PERCENT_AMOUNT_PURCHASE":
            return min(cents(spend * self.amount / 100), self.max_amount)
        return self.amount


@dataclass(frozen=True)
class AdSpec:
    ad_id: str
    merchant: str
    category: Category
    sections: tuple[str, ...]
    curation_ids: tuple[str, ...]
    reward: Reward
    start: datetime
    end: datetime
    affiliate: bool
    logo_keys: tuple[str, str]  # (large, small) image file names on the CDN

    def ended(self, now: datetime) -> bool:
        return self.end < now

    def running(self, now: datetime) -> bool:
        return self.start <= now <= self.end


@dataclass
class AdState:
    activation: str
    visibility: str = VISIBLE
    redemption: str | None = None
    activated_at: datetime | None = None


@dataclass(frozen=True)
class Account:
    account_id: str
    card_type: str
    last4: str
    iin: str
    opened: datetime


@dataclass
class AccountLink:
    link_id: str
    status: str
    provider: str
    created: datetime
    accounts: list[Account] = field(default_factory=list)
    redirect_uri: str | None = None


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    ad_id: str
    account_id: str
    amount: Decimal
    date: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "transactionId": self.transaction_id,
            "adId": self.ad_id,
            "sourceAccountId": self.account_id,
            "amount": number(self.amount),
            "transactionDate": iso(self.date),
        }


@dataclass
class Redemption:
    redemption_id: str
    ad_id: str
    customer_id: str
    account_id: str
    transaction_id: str
    amount: Decimal
    transaction_amount: Decimal
    date: datetime
    settled_at: datetime | None = None
    reversed: bool = False
    reversal_of: str | None = None

    @property
    def pending(self) -> bool:
        return self.settled_at is None

    @property
    def counts(self) -> bool:
        """Whether it is a reward the customer keeps (not reversed, not itself a reversal)."""
        return not self.reversed and self.reversal_of is None

    def to_json(self) -> dict[str, Any]:
        return {
            "redemptionId": self.redemption_id,
            "adId": self.ad_id,
            "amount": number(self.amount),
            "redemptionDate": iso(self.date),
            "sourceCustomerId": self.customer_id,
            "sourceAccountId": self.account_id,
            "redeemingTransactionAmount": number(self.transaction_amount),
            "transactionId": self.transaction_id,
            "rewardSettlementRunDate": iso(self.settled_at) if self.settled_at else None,
        }


@dataclass
class Customer:
    customer_id: str
    cardlytics_id: str
    created: datetime
    ads: dict[str, AdState]  # in ranking order
    links: dict[str, AccountLink] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    redemptions: list[Redemption] = field(default_factory=list)
    applied_events: set[str] = field(default_factory=set)
    metered_spend: dict[str, Decimal] = field(default_factory=dict)
    accumulating: dict[str, Redemption] = field(default_factory=dict)  # by adId
    has_session: bool = False

    @property
    def anonymous(self) -> bool:
        return self.customer_id == ANONYMOUS

    @property
    def accounts(self) -> list[Account]:
        return [account for link in self.links.values() for account in link.accounts]


@dataclass
class Ticket:
    source_ticket_id: str
    cdlx_ticket_id: int
    customer_id: str
    offer_id: str
    transaction_ids: tuple[str, ...]
    echo: dict[str, Any]  # the create body's fields, echoed as they were sent
    created: datetime
    status: str = "In Process"
    solved: datetime | None = None
    resolution: str | None = None
    response: str | None = None
    redemption_ids: list[str] = field(default_factory=list)
    activation_date: datetime | None = None
