"""Both pub/sub hubs keep one contract; the Redis hub also joins replicas (here: two hubs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from gateway.pubsub import InProcessPubSub, Message, PubSub
from gateway.redis_pubsub import RedisPubSub
from tests.subscriptions.support import RedisSpace


@pytest.fixture(params=["in-process", "redis"])
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[PubSub]:
    pubsub: PubSub
    if request.param == "redis":
        space: RedisSpace = request.getfixturevalue("space")  # only this one needs Redis
        pubsub = RedisPubSub.from_url(space.url, prefix=space.prefix)
    else:
        pubsub = InProcessPubSub()
    yield pubsub
    await pubsub.aclose()


class Listener:
    """A subscriber that drains ``channel`` into a queue until stopped."""

    def __init__(self, hub: PubSub, channel: str) -> None:
        self.hub, self.channel = hub, channel
        self.received: asyncio.Queue[Message] = asyncio.Queue()
        self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        async for message in self.hub.subscribe(self.channel):
            self.received.put_nowait(message)

    async def ready(self) -> Listener:
        if isinstance(self.hub, RedisPubSub):
            await self.hub.wait_subscribed(self.channel)
        else:
            await asyncio.sleep(0)  # the generator registers on its first step
        return self

    async def next(self) -> Message:
        return await asyncio.wait_for(self.received.get(), 5)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_a_message_reaches_its_channels_subscribers_only(hub: PubSub) -> None:
    mine = await Listener(hub, "tickets:a").ready()
    also_mine = await Listener(hub, "tickets:a").ready()
    other = await Listener(hub, "tickets:b").ready()

    await hub.publish("tickets:a", {"n": 1})
    await hub.publish("tickets:b", {"n": 2})

    assert [await mine.next(), await also_mine.next(), await other.next()] == [
        {"n": 1},
        {"n": 1},
        {"n": 2},
    ]
    for listener in (mine, also_mine, other):
        await listener.stop()


async def test_messages_arrive_in_order(hub: PubSub) -> None:
    listener = await Listener(hub, "rewards:a").ready()
    for n in range(20):
        await hub.publish("rewards:a", {"n": n})
    assert [(await listener.next())["n"] for _ in range(20)] == list(range(20))
    await listener.stop()


async def test_redis_carries_a_message_from_one_replica_to_another(space: RedisSpace) -> None:
    one = RedisPubSub.from_url(space.url, prefix=space.prefix)
    two = RedisPubSub.from_url(space.url, prefix=space.prefix)
    try:
        listener = await Listener(two, "tickets:a").ready()
        await one.publish("tickets:a", {"from": "one"})
        assert await listener.next() == {"from": "one"}
        await listener.stop()
    finally:
        await one.aclose()
        await two.aclose()


async def test_redis_leaves_a_channel_when_its_last_subscriber_goes(space: RedisSpace) -> None:
    hub = RedisPubSub.from_url(space.url, prefix=space.prefix)
    client = redis.Redis.from_url(space.url)
    try:
        first = await Listener(hub, "tickets:a").ready()
        second = await Listener(hub, "tickets:a").ready()
        await first.stop()
        assert await _listening(client, space.prefix + "tickets:a") == 1
        await second.stop()
        assert await _listening(client, space.prefix + "tickets:a") == 0
    finally:
        await client.aclose()
        await hub.aclose()


async def test_another_prefix_hears_nothing(space: RedisSpace) -> None:
    ours = RedisPubSub.from_url(space.url, prefix=space.prefix)
    theirs = RedisPubSub.from_url(space.url, prefix=space.prefix + "other:")
    try:
        listener = await Listener(ours, "tickets:a").ready()
        await theirs.publish("tickets:a", {"from": "them"})
        await ours.publish("tickets:a", {"from": "us"})
        assert await listener.next() == {"from": "us"}
        await listener.stop()
    finally:
        await ours.aclose()
        await theirs.aclose()


async def _listening(client: redis.Redis, channel: str) -> int:
    # UNSUBSCRIBE was sent before stop() returned, and Redis runs commands one at a time.
    [(_, count)] = await client.pubsub_numsub(channel)
    return int(count)
