from __future__ import annotations

from collections.abc import Iterator

import pytest

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
