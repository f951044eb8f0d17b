"""Storing what Cardlytics tells us, idempotently: ticket updates, RTM events, reward files.

Each write first inserts the row whose unique key identifies the delivery (``ticket_updates.
dedupe_key``, ``reward_events.event_id``); a redelivery, even a concurrent one, hits that
constraint and changes nothing. Only then are the derived rows touched: a ticket's latest
progress, and each redemption's reward, folded so the state of the latest event wins (a late
redelivery of an older event cannot take a confirmed reward back to pending).

Inserting before reading also matters on SQLite: a transaction that has only read cannot take
the write lock once another writer has committed, while one that writes first simply waits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.db import Database
from gateway.store.models import CustomerTicketRow, RewardEventRow, RewardRow, TicketUpdateRow
from gateway.upstreams.cardlytics.models import RealtimeEvent, Redemption, RewardFileRecord
from gateway.upstreams.cardlytics.models.tickets import TicketUpdate

__all__ = [
    "ACCUMULATING",
    "CONFIRMED",
    "PENDING",
    "Outcome",
    "StoredReward",
    "canonical_hash",
    "file_amount",
    "rewards_of",
    "store_reward_event",
    "store_reward_record",
    "store_ticket_update",
]

PENDING, ACCUMULATING, CONFIRMED = "PENDING", "ACCUMULATING", "CONFIRMED"
# A reward only moves forward: an older event redelivered late never moves it back.
_RANK = {ACCUMULATING: 0, PENDING: 1, CONFIRMED: 2}
_STATE_OF_EVENT = {
    "REDEMPTION_ACCUMULATING_PENDING": ACCUMULATING,
    "REDEMPTION_PENDING": PENDING,
    "REDEMPTION_CONFIRMED": CONFIRMED,
}
# ISO 4217 minor units, where they are not 2 (the reward file's amounts are in minor units).
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}


@dataclass(frozen=True)
class Outcome:
    """What a write did: ``new`` False for a redelivery; ``customers`` (hashed ids) to notify."""

    new: bool
    customers: tuple[str, ...] = ()
    ticket: CustomerTicketRow | None = None


@dataclass(frozen=True)
class StoredReward:
    redemption_id: str
    is_reversal: bool
    customer: str
    offer_id: str | None
    transaction_id: str | None
    state: str
    amount: Decimal
    currency: str | None
    purchase_amount: Decimal | None
    redeemed_at: datetime | None
    settled_at: datetime | None
    source: str


def canonical_hash(payload: Any) -> str:
    """The same JSON value, however its keys are ordered or spaced, gives the same hex digest."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without their zone; every one we store is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class _Duplicate(Exception):
    pass


async def _first_insert(session: AsyncSession, row: object) -> None:
    """Insert the row that identifies a delivery, first, so a duplicate fails before anything."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as error:
        # Raised out of the transaction, which rolls back; the caller tells duplicates apart.
        raise _Duplicate from error


async def _exists(database: Database, model: type[Any], key: str, value: str) -> bool:
    async with database.sessions() as session:
        found = await session.execute(select(model).where(getattr(model, key) == value))
        return found.first() is not None


async def _idempotently(
    database: Database, model: type[Any], key: str, value: str, work: Any
) -> Outcome:
    """Run ``work`` in one transaction; a delivery already stored is a no-op ``new=False``.

    An integrity error that is not the delivery's own key (two different events folding into
    one new reward at once) is raised: the receiver answers 503 and the sender delivers again.
    """
    try:
        async with database.transaction() as session:
            outcome: Outcome = await work(session)
            return outcome
    except (_Duplicate, IntegrityError):
        if await _exists(database, model, key, value):
            return Outcome(new=False)
        raise


# --- ticket updates ---------------------------------------------------------------------------


async def store_ticket_update(
    database: Database, update: TicketUpdate, payload: dict[str, Any]
) -> Outcome:
    """Keep the update; on a ticket the gateway opened, record it as the latest progress."""
    dedupe_key = canonical_hash(payload)

    async def work(session: AsyncSession) -> Outcome:
        row = TicketUpdateRow(
            dedupe_key=dedupe_key,
            source_ticket_id=update.source_ticket_id,
            processing_status=str(update.processing_status),
            status=str(update.status) if update.status is not None else None,
            payload=payload,
            received_at=_now(),
        )
        await _first_insert(session, row)
        ticket = await session.get(CustomerTicketRow, update.source_ticket_id)
        if ticket is None:
            return Outcome(new=True)  # not one of ours (or opened elsewhere): kept, not shown
        _apply_progress(ticket, update)
        return Outcome(new=True, customers=(ticket.customer,), ticket=ticket)

    return await _idempotently(database, TicketUpdateRow, "dedupe_key", dedupe_key, work)


#: Cardlytics' answer to a resend of a ticket it holds: the outbox's own copy, not a failure.
_ALREADY_EXISTS = "Ticket already exists"


def _apply_progress(ticket: CustomerTicketRow, update: TicketUpdate) -> None:
    if (
        ticket.processing_status == "Success"
        and update.processing_status_message == _ALREADY_EXISTS
    ):
        return  # a resend after a lost 202 must not turn a processed ticket into a failed one
    ticket.processing_status = str(update.processing_status)
    # The close repeats no processing message; keep the one the first update brought.
    if update.processing_status_message is not None:
        ticket.processing_message = update.processing_status_message
    if update.status is not None:
        ticket.status = str(update.status)
    if update.resolution_type is not None:
        ticket.resolution = str(update.resolution_type)
    if update.cardlytics_response:
        ticket.resolution_text = update.cardlytics_response
    ticket.updated_at = _now()


# --- RTM events -------------------------------------------------------------------------------


async def store_reward_event(
    database: Database, event: RealtimeEvent, payload: dict[str, Any]
) -> Outcome:
    """Keep the event and fold each of its redemptions into that redemption's reward."""
    state = _STATE_OF_EVENT.get(str(event.event))

    async def work(session: AsyncSession) -> Outcome:
        row = RewardEventRow(
            event_id=event.event_id,
            event=str(event.event),
            event_timestamp=event.event_timestamp,
            payload=payload,
            received_at=_now(),
        )
        await _first_insert(session, row)
        customers: dict[str, None] = {}
        for redemption in event.redemptions:
            assert redemption.source_customer_id is not None  # the receiver requires it
            customers[redemption.source_customer_id] = None
            if state is not None:  # an event type we do not know is kept, not folded
                await _fold(session, _from_rtm(redemption, state, event), event.event_id)
        return Outcome(new=True, customers=tuple(customers))

    return await _idempotently(database, RewardEventRow, "event_id", event.event_id, work)


def _from_rtm(redemption: Redemption, state: str, event: RealtimeEvent) -> RewardRow:
    assert redemption.source_customer_id is not None
    return RewardRow(
        redemption_id=redemption.redemption_id,
        # Cardlytics sends a reversal as a redemption of its own with a negated amount.
        is_reversal=int(redemption.amount < 0),
        customer=redemption.source_customer_id,
        offer_id=redemption.ad_id,
        transaction_id=redemption.transaction_id,
        state=state,
        amount=str(redemption.amount),
        currency=None,  # the portfolio's, looked up when shown
        purchase_amount=(
            str(redemption.redeeming_transaction_amount)
            if redemption.redeeming_transaction_amount is not None
            else None
        ),
        redeemed_at=redemption.redemption_date,
        # a confirmation is the settlement, even when it does not say when the run was
        settled_at=redemption.reward_settlement_run_date
        or (event.event_timestamp if state == CONFIRMED else None),
        source="rtm",
        last_event_at=event.event_timestamp,
    )


async def _fold(session: AsyncSession, incoming: RewardRow, event_id: str) -> None:
    incoming.last_event_id = event_id
    incoming.updated_at = _now()
    current = (
        await session.execute(
            select(RewardRow).where(
                RewardRow.redemption_id == incoming.redemption_id,
                RewardRow.is_reversal == incoming.is_reversal,
            )
        )
    ).scalar_one_or_none()
    if current is None:
        session.add(incoming)
        await session.flush()
        return
    if not _newer(incoming, current):
        return
    for column in (
        "customer",
        "offer_id",
        "transaction_id",
        "state",
        "amount",
        "purchase_amount",
        "redeemed_at",
        "settled_at",
        "source",
        "last_event_id",
        "last_event_at",
        "updated_at",
    ):
        setattr(current, column, getattr(incoming, column))
    current.currency = incoming.currency or current.currency


def _newer(incoming: RewardRow, current: RewardRow) -> bool:
    rank_in, rank_now = _RANK.get(incoming.state, 0), _RANK.get(current.state, 0)
    if rank_in != rank_now:
        return rank_in > rank_now
    before, after = _utc(current.last_event_at), _utc(incoming.last_event_at)
    return before is None or (after is not None and after >= before)


# --- reward file records ----------------------------------------------------------------------


def file_amount(record: RewardFileRecord) -> Decimal:
    """The file's ``"359"`` USD read as minor units, 3.59 (C2#12; the raw text stays kept)."""
    exponent = _MINOR_UNITS.get(record.reward_currency_type.upper(), 2)
    amount = Decimal(record.reward_amount_raw).scaleb(-exponent)
    # a reversal record may carry a positive amount and say isReversal: it takes money back
    return -abs(amount) if record.is_reversal else amount


async def store_reward_record(
    database: Database, record: RewardFileRecord, payload: dict[str, Any]
) -> Outcome:
    """One reward file record; the same record imported again is a duplicate."""
    moment = record.reward_settlement_process_date or record.redemption_date
    event_id = f"file:{canonical_hash(payload)[:40]}"

    async def work(session: AsyncSession) -> Outcome:
        row = RewardEventRow(
            event_id=event_id,
            event="REWARD_FILE",
            event_timestamp=moment,
            payload=payload,
            received_at=_now(),
        )
        await _first_insert(session, row)
        reward = RewardRow(
            redemption_id=record.redemption_id,
            is_reversal=int(record.is_reversal),
            customer=record.source_customer_id,
            offer_id=record.ad_id,
            transaction_id=(
                record.source_transaction_ids[0] if record.source_transaction_ids else None
            ),
            state=CONFIRMED if record.reward_settlement_process_date else PENDING,
            amount=str(file_amount(record)),
            currency=record.reward_currency_type.upper(),
            purchase_amount=None,
            redeemed_at=record.redemption_date,
            settled_at=record.reward_settlement_process_date,
            source="file",
            last_event_at=moment,
        )
        await _fold(session, reward, event_id)
        return Outcome(new=True, customers=(record.source_customer_id,))

    return await _idempotently(database, RewardEventRow, "event_id", event_id, work)


# --- reads ------------------------------------------------------------------------------------


async def rewards_of(database: Database, customer: str) -> list[StoredReward]:
    """The customer's stored rewards (RTM and files), oldest first."""
    # Plain rows, no ORM session: this runs for a home screen's rewards summary (once per
    # customer per 2 s, see gateway.store.rewards), and the session's identity map and unit of
    # work cost more than the query. The columns carry the model's attribute names.
    async with database.engine.connect() as connection:
        rows = (await connection.execute(_REWARDS_OF.where(_REWARDS.c.customer == customer))).all()
    return sorted(_stored(rows), key=lambda r: r.redeemed_at or datetime.min.replace(tzinfo=UTC))


_REWARDS = RewardRow.__table__
_REWARDS_OF = select(_REWARDS)


def _stored(rows: Iterable[Any]) -> list[StoredReward]:
    """Stored rewards from rows of the rewards table."""
    return [
        StoredReward(
            redemption_id=row.redemption_id,
            is_reversal=bool(row.is_reversal),
            customer=row.customer,
            offer_id=row.offer_id,
            transaction_id=row.transaction_id,
            state=row.state,
            amount=Decimal(row.amount),
            currency=row.currency,
            purchase_amount=Decimal(row.purchase_amount) if row.purchase_amount else None,
            redeemed_at=_utc(row.redeemed_at),
            settled_at=_utc(row.settled_at),
            source=row.source,
        )
        for row in rows
    ]
