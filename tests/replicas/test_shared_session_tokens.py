"""Session tokens shared through Redis by several replicas (here: several clients, each with its
own in-process cache and its own Redis connection, as separate processes would have)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager

import jwt
import redis.asyncio as redis

from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.cardlytics.token_store import RedisTokenStore
from tests.subscriptions.support import RedisSpace
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import (
    ALL_OFFERS,
    GET_ADS,
    START_SESSION,
    calls_to,
    cardlytics_client,
    customer,
    raw_customer_id,
)

StartSandbox = Callable[..., AbstractContextManager[Sandbox]]
SKEW_S = 60.0


@asynccontextmanager
async def replicas(
    url: str, space: RedisSpace, n: int = 2
) -> AsyncIterator[list[CardlyticsClient]]:
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(n):
            store = RedisTokenStore.from_url(space.url, prefix=space.prefix)
            stack.push_async_callback(store.aclose)
            clients.append(
                await stack.enter_async_context(
                    cardlytics_client(url, shared_tokens=store, token_refresh_skew_s=SKEW_S)
                )
            )
        yield clients


async def test_fifty_calls_over_two_replicas_start_one_session(
    sandbox: Sandbox, space: RedisSpace
) -> None:
    async with replicas(sandbox.cardlytics_url, space) as (one, two):
        # when: fifty calls for one customer, alternating between the replicas
        answers = await asyncio.gather(
            *((one, two)[n % 2].offers.get_ads(customer(1), ALL_OFFERS) for n in range(50))
        )
        tokens = {await one.sessions.token(customer(1)), await two.sessions.token(customer(1))}

    # then
    assert all(answer.ads for answer in answers)
    assert calls_to(sandbox, START_SESSION, GET_ADS) == {START_SESSION: 1, GET_ADS: 50}
    assert len(tokens) == 1


async def test_the_shared_token_is_keyed_by_hashed_id_and_expires_with_it(
    sandbox: Sandbox, space: RedisSpace
) -> None:
    async with replicas(sandbox.cardlytics_url, space, n=1) as (one,):
        token = await one.sessions.token(customer(7))

    # then: one key, named by the hashed id (never the raw one), gone when the token is stale
    assert space.keys() == [f"{space.prefix}session-token:{customer(7)}"]
    assert raw_customer_id(7) not in space.keys()[0]
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    client = redis.Redis.from_url(space.url)
    try:
        ttl_s = await client.pttl(space.keys()[0]) / 1000
    finally:
        await client.aclose()
    assert abs(ttl_s - (expires_at - time.time() - SKEW_S)) < 3


async def test_a_refused_token_is_renewed_once_for_every_replica(
    sandbox: Sandbox, space: RedisSpace
) -> None:
    async with replicas(sandbox.cardlytics_url, space) as (one, two):
        # given: both replicas hold the shared token; then Cardlytics forgets every session
        first = await one.sessions.token(customer(1))
        assert await two.sessions.token(customer(1)) == first
        sandbox.reset()

        # when: both present the stale token
        await asyncio.gather(
            *((one, two)[n % 2].offers.get_ads(customer(1), ALL_OFFERS) for n in range(20))
        )
        renewed = {await one.sessions.token(customer(1)), await two.sessions.token(customer(1))}

    # then: one new session, which both now use
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 1}
    assert len(renewed) == 1 and first not in renewed


async def test_without_redis_each_replica_fetches_its_own(sandbox: Sandbox) -> None:
    # given: a Redis URL where nothing listens
    down = RedisSpace("redis://127.0.0.1:9/0", "rg-test-down:")
    async with replicas(sandbox.cardlytics_url, down) as (one, two):
        # when
        answers = await asyncio.gather(
            one.offers.get_ads(customer(1), ALL_OFFERS), two.offers.get_ads(customer(1), ALL_OFFERS)
        )

    # then: sessions still work, one per replica, as without Redis
    assert all(answer.ads for answer in answers)
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 2}


async def test_a_replica_that_died_holding_the_lock_delays_the_others_only_until_it_expires(
    sandbox: Sandbox, space: RedisSpace
) -> None:
    # given: a lock left behind by a replica killed mid-fetch
    client = redis.Redis.from_url(space.url)
    await client.set(f"{space.prefix}session-token-lock:{customer(1)}", "dead", px=500)
    store = RedisTokenStore(client, prefix=space.prefix, lock_ttl_s=0.5)
    async with cardlytics_client(sandbox.cardlytics_url, shared_tokens=store) as replica:
        # when
        started = time.monotonic()
        token = await replica.sessions.token(customer(1))

    # then: a token once the lock expired, from one startSession
    await store.aclose()
    assert token
    assert 0.3 < time.monotonic() - started < 5
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 1}
