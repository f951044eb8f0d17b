"""A migrated, empty store per test, on SQLite (a file) and on PostgreSQL (127.0.0.1:5432).

PostgreSQL gets one uniquely named database per test session, dropped afterwards. Without a
server the PostgreSQL cases are skipped locally, but fail under ``CI=true``: CI must run them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import delete

from gateway.store.db import Database
from gateway.store.models import Base

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _execute(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN, timeout=3)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _admin(sql: str) -> None:
    # In a thread of its own: the fixture may first be asked for inside a running event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _execute(sql)).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"rg_test_{uuid.uuid4().hex[:12]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL on 127.0.0.1:5432 is needed for the store tests: {error!r}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The store on each backend, migrated to head and emptied of the previous test's rows."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    await database.migrate()
    async with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))
    try:
        yield database
    finally:
        await database.aclose()
