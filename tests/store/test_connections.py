"""The store's pooled connections: one PostgreSQL dropped under the gateway (a restart, a proxy's
idle timeout) is noticed before use and replaced, so the next read does not fail."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from gateway.store.db import Database
from gateway.store.events import rewards_of
from tests.store.conftest import PG_ADMIN


async def test_a_dropped_postgresql_connection_is_replaced_before_a_read(postgres_url: str) -> None:
    # given: a read done, its connection back in the pool
    database = Database(postgres_url)
    await database.migrate()
    try:
        async with database.engine.connect() as connection:
            backend = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert await rewards_of(database, "customer-with-none") == []

        # when: the server ends that connection
        admin = await asyncpg.connect(PG_ADMIN, timeout=3)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
        finally:
            await admin.close()

        # then: the next read gets a fresh connection and answers
        assert await rewards_of(database, "customer-with-none") == []
    finally:
        await database.aclose()
