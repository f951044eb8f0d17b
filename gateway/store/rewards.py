"""The customer's stored rewards, with "none stored" remembered briefly in this process.

``rewardsSummary`` reads the store on every home screen, and nearly always finds nothing: most
customers have no webhook reward yet. That empty answer is kept for ``EMPTY_TTL_S`` per database
and customer. Any reward row this process writes (a webhook, an import run in this process)
drops every kept answer at once, at its flush and again at its commit, so a reward this replica
receives shows on the very next request. A reward written by another process (another replica
on the same PostgreSQL, ``import-rewards``) shows here after at most ``EMPTY_TTL_S``. A customer
with stored rewards is read from the store every time.
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway.store.db import Database
from gateway.store.events import StoredReward, rewards_of
from gateway.store.models import RewardRow

__all__ = ["EMPTY_TTL_S", "stored_rewards"]

#: How long "this customer has no stored rewards" is believed without asking the database.
EMPTY_TTL_S = 2.0
_EMPTY_KEPT = 10_000

_lock = threading.Lock()  # gateways in several threads (tests) share the process's cache
_empty: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=_EMPTY_KEPT, ttl=EMPTY_TTL_S)
# Bumped by every reward write: a read that began before it cannot keep its (stale) empty answer.
_writes = 0


async def stored_rewards(database: Database, customer: str) -> list[StoredReward]:
    """``rewards_of``, skipping the database while an empty answer for ``customer`` is fresh."""
    key = (database.url, customer)
    with _lock:
        if _empty.get(key):
            return []
        writes_before = _writes
    rewards = await rewards_of(database, customer)
    with _lock:
        if not rewards and _writes == writes_before:
            _empty[key] = True
    return rewards


def _forget_all() -> None:
    global _writes
    with _lock:
        _writes += 1
        _empty.clear()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _: Any) -> None:
    # new, dirty and deleted still list what this flush wrote
    written = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, RewardRow) for row in written):
        session.info["wrote_rewards"] = True
        _forget_all()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Again at the commit: a read that ran between the flush and the commit saw nothing yet.
    if session.info.pop("wrote_rewards", False):
        _forget_all()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("wrote_rewards", None)
