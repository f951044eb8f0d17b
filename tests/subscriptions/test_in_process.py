"""One replica without Redis: the webhook receiver's events reach its own subscribers in memory.

Everything goes through real HTTP: signed webhook deliveries in, a graphql-transport-ws client
out. Nothing tells a client when its subscription is live, so the first event is redelivered
(as new events) until one arrives.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.graphql.test_customer_tickets import LINKED, _open
from tests.subscriptions.support import LiveClient, bearer, live_subscription
from tests.subscriptions.test_live_updates import REWARD_EARNED, TICKET_UPDATED, hashed
from tests.support.sandbox import Sandbox
from tests.webhooks.support import KeyPair, Receiver, rtm_event, running_receiver, ticket_update

OTHER = "customer-other"


@pytest.fixture
def receiver(sandbox: Sandbox) -> Iterator[Receiver]:
    with running_receiver(sandbox, KeyPair.generate()) as running:
        yield running


async def _first(live: LiveClient, deliver: Any) -> dict[str, Any]:
    """Deliver new events until the subscriber has one: the first proves it is listening."""
    for _ in range(50):
        assert deliver().status_code == 200
        if not live.nothing_yet():
            return await live.next()
        await asyncio.sleep(0.1)
    raise AssertionError("the subscriber never received an event")


async def test_a_reward_event_reaches_its_customer_and_nobody_else(receiver: Receiver) -> None:
    gateway = receiver.gateway
    mine, theirs = hashed(gateway, LINKED), hashed(gateway, OTHER)
    async with (
        live_subscription(
            gateway.url, REWARD_EARNED, init_payload=bearer(gateway.customer(LINKED))
        ) as owner,
        live_subscription(
            gateway.url, REWARD_EARNED, init_payload=bearer(gateway.customer(OTHER))
        ) as other,
    ):
        # when: the owner's rewards, then one for the other customer
        owners = await _first(
            owner, lambda: receiver.deliver(rtm_event(customer=mine, redemption_id=_id()))
        )
        others = await _first(
            other, lambda: receiver.deliver(rtm_event(customer=theirs, redemption_id="theirs"))
        )

    # then: the other customer's first reward is their own, though the owner's came first
    assert owners["rewardEarned"]["id"].startswith("mine-")
    assert owners["rewardEarned"]["amount"]["amount"] == "5.0"
    assert others["rewardEarned"]["id"] == "theirs"


async def test_a_ticket_update_reaches_the_tickets_owner(receiver: Receiver) -> None:
    gateway = receiver.gateway
    opened = (await _open(gateway))["ticket"]
    async with live_subscription(
        gateway.url,
        TICKET_UPDATED,
        {"id": opened["sourceTicketId"]},
        init_payload=bearer(gateway.customer(LINKED)),
    ) as live:
        # when: Cardlytics reports an error on it (each delivery distinct, as a redelivery of
        # the same update is a duplicate and published once)
        event = await _first(
            live,
            lambda: receiver.deliver(
                ticket_update(
                    opened["sourceTicketId"],
                    sourceCustomerId=hashed(gateway, LINKED),
                    processingStatus="Error",
                    processingStatusMessage=f"Invalid transaction Id ({_id()})",
                    status=None,
                )
            ),
        )

    assert event["customerTicketUpdated"]["sourceTicketId"] == opened["sourceTicketId"]
    assert event["customerTicketUpdated"]["processingStatus"] == "ERROR"


def _id() -> str:
    return f"mine-{uuid.uuid4().hex[:8]}"
