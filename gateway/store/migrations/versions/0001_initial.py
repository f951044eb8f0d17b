"""tickets, ticket updates, reward events, rewards

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:42:37.012739
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_tickets",
        sa.Column("source_ticket_id", sa.String(length=64), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_ids", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outbox_state", sa.String(length=16), nullable=False),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processing_status", sa.String(length=32), nullable=True),
        sa.Column("processing_message", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("resolution", sa.String(length=128), nullable=True),
        sa.Column("resolution_text", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source_ticket_id", name=op.f("pk_customer_tickets")),
    )
    with op.batch_alter_table("customer_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_tickets_customer"), ["customer"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_tickets_outbox_state"), ["outbox_state"], unique=False
        )

    op.create_table(
        "reward_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("event_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_reward_events")),
    )
    op.create_table(
        "rewards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("redemption_id", sa.String(length=64), nullable=False),
        sa.Column("is_reversal", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=True),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=48), nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("purchase_amount", sa.String(length=32), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("last_event_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
        sa.UniqueConstraint("redemption_id", "is_reversal", name=op.f("uq_rewards_redemption_id")),
    )
    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rewards_customer"), ["customer"], unique=False)

    op.create_table(
        "ticket_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("source_ticket_id", sa.String(length=64), nullable=False),
        sa.Column("processing_status", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_updates")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_ticket_updates_dedupe_key")),
    )
    with op.batch_alter_table("ticket_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_updates_source_ticket_id"), ["source_ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_updates_source_ticket_id"))

    op.drop_table("ticket_updates")
    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rewards_customer"))

    op.drop_table("rewards")
    op.drop_table("reward_events")
    with op.batch_alter_table("customer_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_tickets_outbox_state"))
        batch_op.drop_index(batch_op.f("ix_customer_tickets_customer"))

    op.drop_table("customer_tickets")
