"""customer_tickets: one index for the outbox worker's due query (state, then due time)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 09:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The worker asks for pending tickets due now, soonest first: with sent tickets piling up,
    # an index on the state alone still leaves every pending row to sort.
    with op.batch_alter_table("customer_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_tickets_outbox_state")
        batch_op.create_index(
            "ix_customer_tickets_outbox_due", ["outbox_state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_tickets_outbox_due")
        batch_op.create_index("ix_customer_tickets_outbox_state", ["outbox_state"], unique=False)
