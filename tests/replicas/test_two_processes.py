"""Two gateway processes sharing PostgreSQL and Redis, against one sandbox: every replica's
subscribers hear every event, and the replicas share one session per customer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from gateway.customer_ids import CustomerIdHasher
from gateway.pubsub import tickets_channel
from gateway.redis_pubsub import RedisPubSub
from gateway.settings import SANDBOX_DEFAULTS
from tests.replicas.processes import Replica, fresh_postgres_database, replica_process
from tests.subscriptions.support import RedisSpace, bearer, live_subscription
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.slow

LINKED = "customer-linked"
START_SESSION = "POST /v2/session/startSession"
HASHED_LINKED = CustomerIdHasher(SANDBOX_DEFAULTS.customer_id_hmac_key.encode())(LINKED)
TICKET_UPDATED = """
subscription { customerTicketUpdated { sourceTicketId processingStatus status } }
"""
SUMMARY = "{ rewardsSummary { allTime { redemptionCount } } }"


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def replicas(
    sandbox: Sandbox, space: RedisSpace, database_url: str
) -> Iterator[tuple[Replica, Replica]]:
    environment = {
        "GATEWAY_CARDLYTICS_BASE_URL": sandbox.cardlytics_url,
        "GATEWAY_CLICKBANK_BASE_URL": sandbox.clickbank_url,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_REDIS_URL": space.url,
        "GATEWAY_REDIS_PREFIX": space.prefix,
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_RETRY_BASE_DELAY_S": "0.01",
    }
    # One after the other: the first applies the migrations, the second finds them applied.
    with replica_process(environment) as one, replica_process(environment) as two:
        yield one, two


@pytest.fixture
async def hub(space: RedisSpace) -> AsyncIterator[RedisPubSub]:
    pubsub = RedisPubSub.from_url(space.url, prefix=space.prefix)
    yield pubsub
    await pubsub.aclose()


def customer_token(sandbox: Sandbox) -> str:
    # The processes run with the default sandbox keys, as the settings for a test gateway do.
    return Gateway("", settings_for(sandbox)).customer(LINKED)


async def test_an_event_published_once_reaches_subscribers_on_every_replica(
    sandbox: Sandbox, replicas: tuple[Replica, Replica], hub: RedisPubSub, space: RedisSpace
) -> None:
    # given: the customer listens on both replicas
    token = customer_token(sandbox)
    channel = tickets_channel(HASHED_LINKED)
    one, two = replicas
    async with (
        live_subscription(one.url, TICKET_UPDATED, init_payload=bearer(token)) as on_one,
        live_subscription(two.url, TICKET_UPDATED, init_payload=bearer(token)) as on_two,
    ):
        await _until_listeners(space, channel, 2)

        # when: one publish (as one replica's webhook receiver does)
        await hub.publish(channel, {"sourceTicketId": "rg-live", "processingStatus": "Success"})

        # then
        events = [(await on_one.next()), (await on_two.next())]
    assert [e["customerTicketUpdated"]["sourceTicketId"] for e in events] == ["rg-live"] * 2


async def test_fifty_requests_over_two_replicas_start_one_session(
    sandbox: Sandbox, replicas: tuple[Replica, Replica], space: RedisSpace
) -> None:
    # given
    sandbox.reset_calls("cardlytics")
    headers = {"Authorization": f"Bearer {customer_token(sandbox)}"}

    # when: fifty concurrent requests for one customer, alternating between the replicas
    async with httpx.AsyncClient(timeout=30) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    f"{replicas[n % 2].url}/graphql", json={"query": SUMMARY}, headers=headers
                )
                for n in range(50)
            )
        )

    # then: every answer complete, one startSession between the two processes
    assert [a.status_code for a in answers] == [200] * 50
    assert all("errors" not in a.json() for a in answers)
    assert sandbox.calls("cardlytics").get(START_SESSION, 0) == 1
    assert space.keys() == [f"{space.prefix}session-token:{HASHED_LINKED}"]


async def _until_listeners(space: RedisSpace, channel: str, count: int) -> None:
    """Until ``count`` replicas listen on ``channel`` (each replica holds one subscription)."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(space.url)
    try:
        async with asyncio.timeout(10):
            while True:
                [(_, listening)] = await client.pubsub_numsub(space.prefix + channel)
                if listening >= count:
                    return
                await asyncio.sleep(0.02)
    finally:
        await client.aclose()
