"""The migrations build exactly the tables the models describe, on both backends.

A model changed without a migration (or the reverse) would work in tests that create tables
from the models and fail on a deployed database; this compares the migrated schema with the
models the way ``alembic revision --autogenerate`` would.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from gateway.store.db import Database
from gateway.store.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _indexes(connection: Connection, table: str) -> dict[str, list[str | None]]:
    return {str(ix["name"]): ix["column_names"] for ix in inspect(connection).get_indexes(table)}


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_the_outbox_due_query_has_its_index(database: Database) -> None:
    async with database.engine.connect() as connection:
        indexes = await connection.run_sync(_indexes, "customer_tickets")
    assert indexes["ix_customer_tickets_outbox_due"] == ["outbox_state", "next_attempt_at"]
    assert "ix_customer_tickets_outbox_state" not in indexes
