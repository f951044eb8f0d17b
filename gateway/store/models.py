"""The gateway's own tables. Every change goes through a migration in ``migrations/versions``.

Customer ids are stored only as the HMAC the gateway sends Cardlytics, never raw. Payloads
received from Cardlytics are kept verbatim (``payload``) beside the parsed columns, so a field we
do not read today can be recovered later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "CustomerTicketRow", "RewardEventRow", "RewardRow", "TicketUpdateRow"]

# Named constraints, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class CustomerTicketRow(Base):
    """A CSA ticket opened through the gateway, with its outbox state and latest progress."""

    __tablename__ = "customer_tickets"
    # The outbox worker's query: pending tickets whose next attempt is due, soonest first.
    __table_args__ = (Index("ix_customer_tickets_outbox_due", "outbox_state", "next_attempt_at"),)

    source_ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer: Mapped[str] = mapped_column(String(64), index=True)  # hashed id
    offer_id: Mapped[str] = mapped_column(String(64))
    transaction_ids: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"ids": [...]}
    description: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime]
    # Outbox: pending (not yet acknowledged), sent (202), refused (a final 4xx).
    outbox_state: Mapped[str] = mapped_column(String(16), default="pending")
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # Latest progress from webhook updates (the updates themselves are in ticket_updates).
    processing_status: Mapped[str | None] = mapped_column(String(32))
    processing_message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(128))
    resolution_text: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]


class TicketUpdateRow(Base):
    """One ticket update as received; ``dedupe_key`` makes a redelivery a no-op."""

    __tablename__ = "ticket_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    source_ticket_id: Mapped[str] = mapped_column(String(64), index=True)
    processing_status: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]


class RewardEventRow(Base):
    """One RTM event as received, keyed by Cardlytics' ``eventId``."""

    __tablename__ = "reward_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    event_timestamp: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]


class RewardRow(Base):
    """A redemption's latest known state, folded from RTM events and imported reward files."""

    __tablename__ = "rewards"
    __table_args__ = (UniqueConstraint("redemption_id", "is_reversal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    redemption_id: Mapped[str] = mapped_column(String(64))
    is_reversal: Mapped[int] = mapped_column(Integer, default=0)
    customer: Mapped[str] = mapped_column(String(64), index=True)  # hashed id
    offer_id: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(48))
    amount: Mapped[str] = mapped_column(String(32))  # decimal text: never a float
    currency: Mapped[str | None] = mapped_column(String(3))
    purchase_amount: Mapped[str | None] = mapped_column(String(32))
    redeemed_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16))  # rtm | file
    last_event_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    # Added in 0002. settled_at: null while pending. last_event_at: when the event (or file
    # record) that set the state happened, so a late redelivery of an older one cannot undo it.
    settled_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]
