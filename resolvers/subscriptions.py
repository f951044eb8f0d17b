"""Live updates for the signed-in customer: their tickets' progress and their new rewards.

A subscription listens only on the channels of the viewer's own hashed id (``tickets:<id>``,
``rewards:<id>``): which customer's events arrive never depends on an argument, so nobody can
ask for another customer's. Messages are what the webhook receiver publishes after it commits:
a ticket update names its ``sourceTicketId``; a reward event carries Cardlytics' ``redemptions``
(or one ``redemption``). A message that cannot be read is logged and skipped, never the end of
the subscription.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from gateway.context import Context
from gateway.pubsub import Message, rewards_channel, tickets_channel
from gateway.store.ticket_index import TrackedTicket
from gateway.upstreams.cardlytics.models import AdRedemptions, Redemption
from resolvers.rewards import UNKNOWN_CURRENCY, load_reward_currency
from resolvers.viewer import require_customer

__all__ = ["EarnedReward", "no_ads", "reward_events", "ticket_updates"]

logger = logging.getLogger("gateway.subscriptions")


async def ticket_updates(
    context: Context, source_ticket_id: str | None = None
) -> AsyncIterator[TrackedTicket]:
    """The viewer's tickets as they change; only ``source_ticket_id`` when it is given."""
    customer = require_customer(context)
    async for message in context.pubsub.subscribe(tickets_channel(customer)):
        found = _text(message, "sourceTicketId", "source_ticket_id")
        if found is None:
            logger.warning("ticket message without a sourceTicketId skipped")
            continue
        if source_ticket_id is not None and found != source_ticket_id:
            continue
        # The index is the source of truth for what was opened; the message stands in for a
        # ticket this replica's index does not hold.
        tracked = await context.ticket_index.get(customer, found) or _tracked(message, customer)
        # Each event is answered afresh (the ticket's new status), not from an earlier load.
        context.forget_loaded()
        yield tracked


@dataclass(frozen=True)
class EarnedReward:
    redemption: Redemption
    currency: str


async def reward_events(context: Context) -> AsyncIterator[EarnedReward]:
    """Each reward (or reversal) Cardlytics reports for the viewer, as it is reported."""
    customer = require_customer(context)
    async for message in context.pubsub.subscribe(rewards_channel(customer)):
        redemptions = _redemptions(message)
        if not redemptions:
            continue
        context.forget_loaded()
        currency = _text(message, "currency") or await _currency(context)
        for redemption in redemptions:
            yield EarnedReward(redemption, currency)


def no_ads(redemption: Redemption) -> AdRedemptions:
    """An event names no ad details: the reward's offer is looked up as the customer sees it."""
    return AdRedemptions(redemptions=(redemption,), ads={})


async def _currency(context: Context) -> str:
    try:
        return await load_reward_currency(context)
    except Exception:  # an event is worth sending even when the profile cannot be read now
        logger.warning("reward currency unavailable for a live reward", exc_info=True)
        return UNKNOWN_CURRENCY


def _redemptions(message: Message) -> list[Redemption]:
    raw: Iterable[Any]
    if isinstance(message.get("redemptions"), list):
        raw = message["redemptions"]
    elif isinstance(message.get("redemption"), dict):
        raw = [message["redemption"]]
    else:
        raw = [message] if "redemptionId" in message else []
    parsed = []
    for item in raw:
        try:
            parsed.append(Redemption.model_validate(item))
        except ValidationError:
            logger.warning("unreadable redemption in a reward message skipped")
    return parsed


def _tracked(message: Message, customer: str) -> TrackedTicket:
    ids = message.get("transactionIds") or message.get("transaction_ids") or ()
    submitted = _text(message, "submittedAt", "ticketCreatedDate")
    return TrackedTicket(
        source_ticket_id=str(_text(message, "sourceTicketId", "source_ticket_id")),
        customer=customer,
        offer_id=_text(message, "offerId", "offer_id") or "",
        transaction_ids=tuple(str(t) for t in ids) if isinstance(ids, list | tuple) else (),
        description=_text(message, "description") or "",
        submitted_at=_moment(submitted) or datetime.now(UTC),
    )


def _text(message: Message, *names: str) -> str | None:
    for name in names:
        value = message.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
