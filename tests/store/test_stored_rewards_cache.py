"""``stored_rewards``: "none stored" is remembered briefly, but never hides a reward this process
stores, and a customer with rewards is read every time (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from gateway.store.db import Database
from gateway.store.events import store_reward_event
from gateway.store.models import RewardRow
from gateway.store.rewards import EMPTY_TTL_S, stored_rewards
from gateway.upstreams.cardlytics.models import RealtimeEvent
from tests.webhooks.support import rtm_event


async def _store(database: Database, customer: str, redemption_id: str) -> None:
    payload = rtm_event(customer=customer, redemption_id=redemption_id)
    parsed = RealtimeEvent.model_validate(json.loads(json.dumps(payload)))
    assert (await store_reward_event(database, parsed, payload)).new


async def _insert_as_another_process(database: Database, customer: str) -> None:
    # A Core insert on a connection of its own: no ORM session of this process sees the write,
    # as with another replica or an import-rewards run.
    now = datetime.now(UTC)
    row: dict[str, Any] = {
        "redemption_id": "elsewhere-1",
        "is_reversal": 0,
        "customer": customer,
        "offer_id": "1000080445",
        "state": "PENDING",
        "amount": "1.50",
        "source": "rtm",
        "updated_at": now,
        "redeemed_at": now,
    }
    async with database.engine.begin() as connection:
        await connection.execute(insert(RewardRow).values(**row))


async def test_a_reward_stored_here_shows_at_once_after_an_empty_read(database: Database) -> None:
    # given: an empty answer, now remembered
    assert await stored_rewards(database, "cust-here") == []

    # when
    await _store(database, "cust-here", "here-1")

    # then
    assert [r.redemption_id for r in await stored_rewards(database, "cust-here")] == ["here-1"]


async def test_a_reward_written_by_another_process_shows_within_the_ttl(
    database: Database,
) -> None:
    # given
    assert await stored_rewards(database, "cust-elsewhere") == []

    # when
    await _insert_as_another_process(database, "cust-elsewhere")

    # then: the remembered empty answer at most EMPTY_TTL_S longer, then the row
    assert await stored_rewards(database, "cust-elsewhere") == []
    await asyncio.sleep(EMPTY_TTL_S + 0.1)
    assert [r.redemption_id for r in await stored_rewards(database, "cust-elsewhere")] == [
        "elsewhere-1"
    ]


async def test_a_customer_with_rewards_is_read_every_time(database: Database) -> None:
    # given
    await _store(database, "cust-some", "some-1")
    assert len(await stored_rewards(database, "cust-some")) == 1

    # when: a second reward arrives the way another process would write it
    await _insert_as_another_process(database, "cust-some")

    # then: nothing was remembered for a customer who had rewards
    assert len(await stored_rewards(database, "cust-some")) == 2


async def test_a_read_that_overlaps_a_write_keeps_no_empty_answer(database: Database) -> None:
    # given: a read and a store of a reward for the same customer, at once
    read, _ = await asyncio.gather(
        stored_rewards(database, "cust-race"), _store(database, "cust-race", "race-1")
    )

    # then: whatever the read saw, the next one sees the reward
    assert read in ([], [r for r in read if r.redemption_id == "race-1"])
    assert [r.redemption_id for r in await stored_rewards(database, "cust-race")] == ["race-1"]
