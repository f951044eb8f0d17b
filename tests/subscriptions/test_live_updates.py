"""Subscriptions over a real graphql-transport-ws connection: own events only, authenticated.

The gateway's pub/sub is Redis here, and the test publishes through Redis as the webhook
receiver of any replica would.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from gql.transport.exceptions import TransportConnectionFailed
from websockets.exceptions import ConnectionClosed

from gateway.customer_ids import CustomerIdHasher, HashedCustomerId
from gateway.pubsub import rewards_channel, tickets_channel
from gateway.redis_pubsub import RedisPubSub
from tests.graphql.test_customer_tickets import LINKED, _open, _until_closed
from tests.subscriptions.support import bearer, live_subscription
from tests.support.gateway import Gateway

TICKET_UPDATED = """
subscription ($id: ID) {
  customerTicketUpdated(sourceTicketId: $id) {
    __typename sourceTicketId offerId transactionIds processingStatus status resolution
  }
}
"""
REWARD_EARNED = """
subscription { rewardEarned { __typename id offerId amount { amount currency } state isReversal } }
"""
#: graphql-transport-ws closes a connection whose connection_init is refused with 4403.
FORBIDDEN = 4403


def hashed(gateway: Gateway, customer: str) -> HashedCustomerId:
    key = gateway.settings.customer_id_hmac_key.get_secret_value().encode()
    return CustomerIdHasher(key)(customer)


async def refusal_code(gateway: Gateway, init_payload: dict[str, Any]) -> int | None:
    with pytest.raises(TransportConnectionFailed) as refused:
        async with live_subscription(gateway.url, TICKET_UPDATED, init_payload=init_payload):
            pass
    closed = refused.value.__cause__
    assert isinstance(closed, ConnectionClosed)
    return closed.rcvd.code if closed.rcvd else None


def ticket_update(source_ticket_id: str, **fields: Any) -> dict[str, Any]:
    return {"sourceTicketId": source_ticket_id, "processingStatus": "Success", **fields}


async def test_a_customer_receives_their_tickets_new_status(
    live_gateway: Gateway, hub: RedisPubSub
) -> None:
    # given: a ticket the customer opened, pending when they start listening
    opened = (await _open(live_gateway))["ticket"]
    assert opened["processingStatus"] == "PENDING"
    channel = tickets_channel(hashed(live_gateway, LINKED))
    async with live_subscription(
        live_gateway.url, TICKET_UPDATED, init_payload=bearer(live_gateway.customer(LINKED))
    ) as live:
        await hub.wait_subscribed(channel)
        await _until_closed(live_gateway, opened["sourceTicketId"])

        # when
        await hub.publish(channel, ticket_update(opened["sourceTicketId"], status="Closed"))

        # then: the ticket as it now is, typed
        event = (await live.next())["customerTicketUpdated"]
    assert event == {
        "__typename": "CustomerTicket",
        "sourceTicketId": opened["sourceTicketId"],
        "offerId": opened["offerId"],
        "transactionIds": opened["transactionIds"],
        "processingStatus": "PROCESSED",
        "status": "CLOSED",
        "resolution": "REWARD_RECEIVED",
    }


async def test_nobody_receives_another_customers_ticket_updates(
    live_gateway: Gateway, hub: RedisPubSub
) -> None:
    # given: the ticket's owner and another customer both listening
    opened = (await _open(live_gateway))["ticket"]
    owner, other = hashed(live_gateway, LINKED), hashed(live_gateway, "customer-other")
    async with (
        live_subscription(
            live_gateway.url, TICKET_UPDATED, init_payload=bearer(live_gateway.customer(LINKED))
        ) as owners,
        live_subscription(
            live_gateway.url,
            TICKET_UPDATED,
            # asking for the owner's ticket by id changes nothing: the channel is the viewer's
            {"id": opened["sourceTicketId"]},
            init_payload=bearer(live_gateway.customer("customer-other")),
        ) as others,
    ):
        await hub.wait_subscribed(tickets_channel(owner))
        await hub.wait_subscribed(tickets_channel(other))

        # when: the owner's update, then one for the other customer
        await hub.publish(tickets_channel(owner), ticket_update(opened["sourceTicketId"]))
        owners_event = (await owners.next())["customerTicketUpdated"]
        await hub.publish(tickets_channel(other), ticket_update(opened["sourceTicketId"]))
        others_event = (await others.next())["customerTicketUpdated"]

    # then: each got only their own; the other customer's came from their own channel, and
    # even the same id shows nothing of the owner's ticket (it is not in their index)
    assert owners_event["sourceTicketId"] == opened["sourceTicketId"]
    assert owners_event["offerId"] == opened["offerId"]
    assert others_event["offerId"] == ""
    assert others_event["processingStatus"] == "PENDING"
    assert owners.nothing_yet() and others.nothing_yet()


async def test_a_subscription_to_one_ticket_skips_the_others(
    live_gateway: Gateway, hub: RedisPubSub
) -> None:
    first = (await _open(live_gateway))["ticket"]
    second = (await _open(live_gateway, transactionIds=["1375920849"], offerId="1000053130"))[
        "ticket"
    ]
    channel = tickets_channel(hashed(live_gateway, LINKED))
    async with live_subscription(
        live_gateway.url,
        TICKET_UPDATED,
        {"id": second["sourceTicketId"]},
        init_payload=bearer(live_gateway.customer(LINKED)),
    ) as live:
        await hub.wait_subscribed(channel)
        await hub.publish(channel, ticket_update(first["sourceTicketId"]))
        await hub.publish(channel, ticket_update(second["sourceTicketId"]))
        event = (await live.next())["customerTicketUpdated"]
    assert event["sourceTicketId"] == second["sourceTicketId"]


async def test_a_customer_receives_their_rewards(live_gateway: Gateway, hub: RedisPubSub) -> None:
    channel = rewards_channel(hashed(live_gateway, LINKED))
    rtm = {
        "event": "REDEMPTION_PENDING",
        "eventId": "7b0f1f8e-2f55-4a43-9a51-1f1d5f6d0c11",
        "eventTimestamp": "2026-11-22T08:00:00Z",
        "redemptions": [
            {"redemptionId": "live-1", "adId": "1000055124", "amount": 5.25},
            {"redemptionId": "live-2", "adId": "1000055124", "amount": -5.25},
        ],
    }
    async with live_subscription(
        live_gateway.url, REWARD_EARNED, init_payload=bearer(live_gateway.customer(LINKED))
    ) as live:
        await hub.wait_subscribed(channel)
        await hub.publish(channel, rtm)
        earned = [(await live.next())["rewardEarned"], (await live.next())["rewardEarned"]]
    assert [(r["id"], r["state"], r["isReversal"]) for r in earned] == [
        ("live-1", "PENDING", False),
        ("live-2", "PENDING", True),
    ]
    assert earned[0]["__typename"] == "Reward"
    assert earned[0]["offerId"] == "1000055124"
    assert earned[0]["amount"]["currency"] != "XXX"


@pytest.mark.parametrize(
    "init_payload",
    [
        pytest.param({}, id="no token"),
        pytest.param({"Authorization": "Bearer not-a-jwt"}, id="bad token"),
        pytest.param({"authorization": "Basic YWxpY2U6c2VjcmV0"}, id="not a bearer"),
    ],
)
async def test_connection_init_without_a_valid_token_is_refused(
    live_gateway: Gateway, init_payload: dict[str, Any]
) -> None:
    assert await refusal_code(live_gateway, init_payload) == FORBIDDEN


async def test_a_forged_signature_is_refused(live_gateway: Gateway) -> None:
    forged = live_gateway.customer(LINKED)[:-4] + "AAAA"
    assert await refusal_code(live_gateway, bearer(forged)) == FORBIDDEN


async def test_agents_are_refused(live_gateway: Gateway) -> None:
    assert await refusal_code(live_gateway, bearer(live_gateway.agent())) == FORBIDDEN


async def test_the_lowercase_authorization_key_is_accepted(
    live_gateway: Gateway, hub: RedisPubSub
) -> None:
    token = live_gateway.customer(LINKED)
    channel = rewards_channel(hashed(live_gateway, LINKED))
    async with live_subscription(
        live_gateway.url, REWARD_EARNED, init_payload={"authorization": f"Bearer {token}"}
    ) as live:
        await hub.wait_subscribed(channel)
        await hub.publish(channel, {"redemption": {"redemptionId": "r", "adId": "1", "amount": 1}})
        assert (await live.next())["rewardEarned"]["id"] == "r"


async def test_a_subscription_sent_over_plain_http_is_told_where_to_go(
    live_gateway: Gateway,
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(
            live_gateway.graphql_url,
            json={"query": REWARD_EARNED},
            headers={"Authorization": f"Bearer {live_gateway.customer(LINKED)}"},
        )
    assert answer.status_code == 400
    assert "graphql-transport-ws" in answer.text
