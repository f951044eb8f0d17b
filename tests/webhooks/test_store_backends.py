"""Idempotent storage on both backends: concurrent duplicates leave one row (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, select

from gateway.store.db import Database
from gateway.store.events import store_reward_event, store_ticket_update
from gateway.store.models import RewardEventRow, RewardRow, TicketUpdateRow
from gateway.upstreams.cardlytics.models import RealtimeEvent
from gateway.upstreams.cardlytics.models.tickets import TicketUpdate
from tests.webhooks.support import rtm_event, ticket_update


async def _count(database: Database, model: type[Any]) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def _parsed(payload: dict[str, Any]) -> RealtimeEvent:
    return RealtimeEvent.model_validate(json.loads(json.dumps(payload)))


async def test_concurrent_duplicate_events_store_one_row(database: Database) -> None:
    payload = rtm_event(event_id="e-race")

    outcomes = await asyncio.gather(
        *(store_reward_event(database, _parsed(payload), payload) for _ in range(20))
    )

    assert sum(outcome.new for outcome in outcomes) == 1
    assert await _count(database, RewardEventRow) == 1
    assert await _count(database, RewardRow) == 1


async def test_concurrent_duplicate_ticket_updates_store_one_row(database: Database) -> None:
    payload = ticket_update("T-race")
    update = TicketUpdate.model_validate(payload)

    outcomes = await asyncio.gather(
        *(store_ticket_update(database, update, payload) for _ in range(20))
    )

    assert sum(outcome.new for outcome in outcomes) == 1
    assert await _count(database, TicketUpdateRow) == 1


async def test_events_about_one_redemption_fold_into_one_reward(database: Database) -> None:
    pending = rtm_event("REDEMPTION_PENDING", timestamp="2025-03-08T10:00:00Z")
    confirmed = rtm_event(
        "REDEMPTION_CONFIRMED", timestamp="2025-03-09T10:00:00Z", settled="2025-03-09T09:00:00Z"
    )

    # the later event first, as a retried delivery can arrive
    await store_reward_event(database, _parsed(confirmed), confirmed)
    await store_reward_event(database, _parsed(pending), pending)

    async with database.sessions() as session:
        [reward] = (await session.execute(select(RewardRow))).scalars().all()
    assert reward.state == "CONFIRMED"
    assert await _count(database, RewardEventRow) == 2
