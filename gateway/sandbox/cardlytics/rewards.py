"""Reward notifications (RTM, upstreams.md B4): what a purchase on an activated offer earns.

A qualifying purchase records a transaction and a pending redemption and sends
``REDEMPTION_PENDING``; confirming it (on request, or ``settle_after_s`` later) settles it and
sends ``REDEMPTION_CONFIRMED``. Purchases on a METERED offer accumulate: each one below the spend
threshold sends ``REDEMPTION_ACCUMULATING_PENDING``, and the one that reaches it makes the reward
pending. A support ticket about a qualifying purchase that earned nothing issues the missing
reward (pending). A reversal (the purchase was refunded) is a new redemption with the amounts
negated, sent as ``REDEMPTION_CONFIRMED``: the documented event types have no reversal of their
own, and the reward file also records a reversal as a redemption of its own (``isReversal``).

Events about one redemption go out in order: each waits until the one before it has settled.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gateway.sandbox.cardlytics.model import (
    AdSpec,
    AdState,
    Customer,
    Redemption,
    Transaction,
    iso,
)
from gateway.sandbox.cardlytics.vocab import ACTIVATED, ANONYMOUS, FULLY_REDEEMED, PROCESSING
from gateway.sandbox.cardlytics.webhooks import Delivery

if TYPE_CHECKING:
    from gateway.sandbox.cardlytics.state import Simulator

__all__ = [
    "ACCUMULATING",
    "CONFIRMED",
    "PENDING",
    "Purchase",
    "PurchaseResult",
    "RewardRefused",
    "confirm",
    "issue_missing",
    "purchase",
    "reverse",
]

PENDING = "REDEMPTION_PENDING"
CONFIRMED = "REDEMPTION_CONFIRMED"
ACCUMULATING = "REDEMPTION_ACCUMULATING_PENDING"


class RewardRefused(Exception):
    """The control call cannot do what it was asked; ``status`` is 404 or 409."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Purchase:
    customer_id: str
    ad_id: str
    amount: Decimal
    account_id: str | None = None
    settle_after_s: float | None = None


@dataclass(frozen=True)
class PurchaseResult:
    transaction: Transaction
    redemption: Redemption
    event: str
    delivery: Delivery

    def to_json(self) -> dict[str, Any]:
        return {
            "transaction": self.transaction.to_json(),
            "redemption": self.redemption.to_json(),
            "event": self.event,
            "deliveryId": self.delivery.delivery_id,
        }


def purchase(sim: Simulator, order: Purchase) -> PurchaseResult:
    now = datetime.now(UTC)
    customer = _payable_customer(sim, order.customer_id)
    account_id = _account(customer, order.account_id)
    spec, state = _activated_offer(sim, customer, order.ad_id, now)
    reward = spec.reward
    if not reward.metered and order.amount < reward.min_spend:
        raise RewardRefused(409, f"the purchase is below the minimum spend of {reward.min_spend}")
    if not reward.multi_redemption and any(
        r.ad_id == spec.ad_id and r.counts for r in customer.redemptions
    ):
        raise RewardRefused(409, "the offer is single-use and has already been redeemed")
    txn = Transaction(_new_transaction_id(customer), spec.ad_id, account_id, order.amount, now)
    customer.transactions[txn.transaction_id] = txn
    state.redemption = PROCESSING
    if reward.metered:
        redemption, event = _accumulate(sim, customer, txn, reward.amount, reward.min_spend)
    else:
        redemption, event = _redemption(sim, customer, txn, reward.earned(order.amount)), PENDING
    if event == PENDING:
        customer.redemptions.append(redemption)
    delivery = _notify(sim, event, redemption)
    if event == PENDING and order.settle_after_s is not None:
        sim.background.spawn(_settle_later(sim, redemption, order.settle_after_s))
    return PurchaseResult(txn, redemption, event, delivery)


def confirm(sim: Simulator, redemption_id: str) -> Redemption:
    customer, redemption = _redemption_of(sim, redemption_id)
    if not redemption.counts:
        raise RewardRefused(409, "the redemption was reversed")
    if not redemption.pending:
        raise RewardRefused(409, "the redemption is already confirmed")
    redemption.settled_at = datetime.now(UTC)
    spec = sim.ad(redemption.ad_id)
    customer.ads[spec.ad_id].redemption = None if spec.reward.multi_redemption else FULLY_REDEEMED
    _notify(sim, CONFIRMED, redemption)
    return redemption


def reverse(sim: Simulator, redemption_id: str) -> Redemption:
    customer, original = _redemption_of(sim, redemption_id)
    if original.reversal_of is not None:
        raise RewardRefused(409, "a reversal cannot be reversed")
    if original.reversed:
        raise RewardRefused(409, "the redemption is already reversed")
    now = datetime.now(UTC)
    original.reversed = True
    reversal = Redemption(
        redemption_id=_new_redemption_id(sim),
        ad_id=original.ad_id,
        customer_id=original.customer_id,
        account_id=original.account_id,
        transaction_id=original.transaction_id,
        amount=-original.amount,
        transaction_amount=-original.transaction_amount,
        date=now,
        settled_at=now,
        reversal_of=original.redemption_id,
    )
    customer.redemptions.append(reversal)
    # the refunded purchase no longer counts, so the offer can be earned again
    customer.ads[original.ad_id].redemption = None
    _notify(sim, CONFIRMED, reversal, chain=original.redemption_id)
    return reversal


def issue_missing(sim: Simulator, customer: Customer, txn: Transaction) -> Redemption:
    """A reward a support ticket found missing on a qualifying purchase: pending from now."""
    spec = sim.ad(txn.ad_id)
    amount = spec.reward.amount if spec.reward.metered else spec.reward.earned(txn.amount)
    redemption = _redemption(sim, customer, txn, amount)
    redemption.date = datetime.now(UTC)
    customer.redemptions.append(redemption)
    customer.ads[txn.ad_id].redemption = PROCESSING
    _notify(sim, PENDING, redemption)
    return redemption


def _payable_customer(sim: Simulator, customer_id: str) -> Customer:
    if customer_id == ANONYMOUS or customer_id in sim.unenrolled:
        raise RewardRefused(409, "the customer is not enrolled")
    customer = sim.customer(customer_id)
    if not customer.accounts:
        raise RewardRefused(409, "the customer has no linked card")
    return customer


def _account(customer: Customer, account_id: str | None) -> str:
    accounts = [account.account_id for account in customer.accounts]
    if account_id is None:
        return accounts[0]
    if account_id not in accounts:
        raise RewardRefused(409, "sourceAccountId is not one of the customer's linked accounts")
    return account_id


def _activated_offer(
    sim: Simulator, customer: Customer, ad_id: str, now: datetime
) -> tuple[AdSpec, AdState]:
    state = customer.ads.get(ad_id)
    if state is None:
        raise RewardRefused(404, "the customer has no offer with this adId")
    spec = sim.ad(ad_id)
    if state.activation != ACTIVATED:
        raise RewardRefused(409, "the offer is not activated")
    if not spec.running(now):
        raise RewardRefused(409, "the offer is not running")
    return spec, state


def _accumulate(
    sim: Simulator, customer: Customer, txn: Transaction, reward: Decimal, threshold: Decimal
) -> tuple[Redemption, str]:
    spend = customer.metered_spend.get(txn.ad_id, Decimal(0)) + txn.amount
    customer.metered_spend[txn.ad_id] = spend
    redemption = customer.accumulating.get(txn.ad_id) or _redemption(sim, customer, txn, reward)
    redemption.transaction_id, redemption.date = txn.transaction_id, txn.date
    redemption.transaction_amount = spend
    if spend < threshold:
        customer.accumulating[txn.ad_id] = redemption
        return redemption, ACCUMULATING
    customer.accumulating.pop(txn.ad_id, None)
    customer.metered_spend.pop(txn.ad_id, None)
    return redemption, PENDING


def _redemption(
    sim: Simulator, customer: Customer, txn: Transaction, amount: Decimal
) -> Redemption:
    return Redemption(
        redemption_id=_new_redemption_id(sim),
        ad_id=txn.ad_id,
        customer_id=customer.customer_id,
        account_id=txn.account_id,
        transaction_id=txn.transaction_id,
        amount=amount,
        transaction_amount=txn.amount,
        date=txn.date,
    )


def _redemption_of(sim: Simulator, redemption_id: str) -> tuple[Customer, Redemption]:
    found = sim.find_redemption(redemption_id)
    if found is None:
        raise RewardRefused(404, "no redemption has this redemptionId")
    return found


def _notify(
    sim: Simulator, event: str, redemption: Redemption, chain: str | None = None
) -> Delivery:
    payload = {
        "event": event,
        "eventId": str(uuid.uuid4()),
        "eventTimestamp": iso(datetime.now(UTC)),
        "redemptions": [redemption.to_json()],
    }
    key = chain or redemption.redemption_id
    delivery = sim.webhooks.send("rtm", payload, after=sim.last_rtm.get(key))
    sim.last_rtm[key] = delivery
    return delivery


async def _settle_later(sim: Simulator, redemption: Redemption, delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    # it may have been confirmed or reversed by hand in the meantime
    if redemption.pending and redemption.counts:
        confirm(sim, redemption.redemption_id)


def _new_transaction_id(customer: Customer) -> str:
    return _new_id(set(customer.transactions), length=10)


def _new_redemption_id(sim: Simulator) -> str:
    taken = {
        redemption.redemption_id
        for customer in sim.customers.values()
        for redemption in (*customer.redemptions, *customer.accumulating.values())
    }
    return _new_id(taken)


def _new_id(taken: set[str], length: int = 9) -> str:
    while True:
        candidate = str(10 ** (length - 1) + secrets.randbelow(9 * 10 ** (length - 1)))
        if candidate not in taken:
            return candidate
