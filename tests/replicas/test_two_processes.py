"""Two gateway processes sharing PostgreSQL and Redis, against one sandbox: a webhook received by
one replica reaches a subscriber on the other, and the replicas share one session per customer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

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
subscription { customerTicketUpdated { sourceTicketId processingStatus status resolution } }
"""
CREATE = """
mutation ($input: CreateCustomerTicketInput!) {
  createCustomerTicket(input: $input) { ticket { sourceTicketId } errors { message } }
}
"""
# customer-linked's purchase 1484308150 on offer 1000055124 earned a settled reward (README)
SETTLED = {"offerId": "1000055124", "transactionIds": ["1484308150"], "description": "Missing"}
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
        "GATEWAY_OUTBOX_RETRY_BASE_S": "0.05",
        "GATEWAY_OUTBOX_POLL_INTERVAL_S": "0.1",
        # the sandbox's own deliveries are signed with its key; the replicas verify them with it
        "GATEWAY_WEBHOOK_PUBLIC_KEY_PEM": _control(sandbox, "GET", "webhook-public-key").text,
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


async def test_a_webhook_received_by_one_replica_reaches_a_subscriber_on_the_other(
    sandbox: Sandbox, replicas: tuple[Replica, Replica], space: RedisSpace
) -> None:
    # given: Cardlytics delivers to replica one; the customer listens on replica two
    one, two = replicas
    _control(sandbox, "PUT", "webhook", json={"url": f"{one.url}/webhooks/cardlytics"})
    token = customer_token(sandbox)
    async with live_subscription(two.url, TICKET_UPDATED, init_payload=bearer(token)) as live:
        await _until_listeners(space, tickets_channel(HASHED_LINKED), 1)

        # when: the customer opens a ticket (on replica two); the sandbox processes it, then
        # closes it, each time POSTing a signed update to replica one
        async with httpx.AsyncClient(timeout=30) as http:
            created = await http.post(
                f"{two.url}/graphql",
                json={"query": CREATE, "variables": {"input": SETTLED}},
                headers={"Authorization": f"Bearer {token}"},
            )
        ticket = created.json()["data"]["createCustomerTicket"]["ticket"]
        events = [(await live.next())["customerTicketUpdated"]]
        while events[-1]["status"] != "CLOSED":
            events.append((await live.next())["customerTicketUpdated"])

    # then: the updates replica one received came to replica two's subscriber, about that ticket
    assert {e["sourceTicketId"] for e in events} == {ticket["sourceTicketId"]}
    assert events[-1] == {
        "sourceTicketId": ticket["sourceTicketId"],
        "processingStatus": "PROCESSED",
        "status": "CLOSED",
        "resolution": "REWARD_RECEIVED",
    }
    assert await _delivery_states(sandbox) == ["delivered", "delivered"]


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


def _control(sandbox: Sandbox, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The Cardlytics simulator's control endpoints (webhook target, deliveries, its key)."""
    response = httpx.request(method, f"{sandbox.cardlytics_url}/_sandbox/{path}", **kwargs)
    response.raise_for_status()
    return response


async def _delivery_states(sandbox: Sandbox) -> list[str]:
    # The receiver publishes before its 2xx reaches the sandbox: let the last answer land.
    for _ in range(100):
        deliveries = _control(sandbox, "GET", "deliveries?kind=ticket").json()["deliveries"]
        states = [d["state"] for d in deliveries]
        if "pending" not in states:
            break
        await asyncio.sleep(0.05)
    return states


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
