from __future__ import annotations

from collections.abc import Iterator

import pytest

# The store tests' fixtures: a migrated, empty store on SQLite and on PostgreSQL.
from tests.store.conftest import database, postgres_url  # noqa: F401
from tests.support.sandbox import Sandbox
from tests.webhooks.support import KeyPair, Receiver, running_receiver


@pytest.fixture(scope="session")
def sender_keys() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture
def receiver(sandbox: Sandbox, sender_keys: KeyPair) -> Iterator[Receiver]:
    """A gateway whose webhook trusts ``sender_keys``, with a store of its own."""
    with running_receiver(sandbox, sender_keys) as running:
        yield running
