"""The outbox tests share the store tests' database fixture: SQLite and PostgreSQL alike."""

from __future__ import annotations

from tests.store.conftest import database, postgres_url

__all__ = ["database", "postgres_url"]
