"""The whole webhook path, fed by the sandbox's own signed deliveries (no hand-made requests).

The simulator signs with its key; the gateway trusts the simulator's public key, as it would
Cardlytics' in production, and the simulator is pointed at the gateway's webhook URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.cardlytics_client import HTTP
from tests.sandbox.cardlytics_support import (
    LINKED,
    activate_new_offer,
    api,
    control,
    deliveries,
    purchase,
    redemption_action,
    set_webhook,
    wait_until,
)
from tests.subscriptions.support import bearer, live_subscription
from tests.support.sandbox import Sandbox
from tests.webhooks.support import KeyPair, Receiver, running_receiver

CUSTOMER = "customer-linked"  # the sample customer whose hashed id is LINKED
# customer-linked's purchase 1484308150 on offer 1000055124 earned a settled reward (README)
SETTLED = {"offerId": "1000055124", "transactionIds": ["1484308150"]}

CREATE = """
mutation ($input: CreateCustomerTicketInput!) {
  createCustomerTicket(input: $input) { ticket { sourceTicketId } errors { message } }
}
"""
ONE = """
query ($id: ID!) {
  customerTicket(sourceTicketId: $id) { sourceTicketId processingStatus status resolution }
}
"""
MINE = "{ customerTickets { sourceTicketId status } }"
UPDATED = "subscription { customerTicketUpdated { sourceTicketId status } }"
REWARDS = "{ rewards { id state isReversal amount { amount } } }"
SUMMARY = "{ rewardsSummary { pending { redemptionCount } allTime { redemptionCount } } }"


@pytest.fixture
def live(sandbox: Sandbox, sender_keys: KeyPair) -> Iterator[Receiver]:
    """A gateway that trusts the sandbox's signing key, and the sandbox delivering to it."""
    pem = HTTP.get(f"{control(sandbox)}/webhook-public-key").text
    with running_receiver(sandbox, sender_keys, webhook_public_key_pem=pem) as receiver:
        set_webhook(sandbox, receiver.url)
        yield receiver


def _delivered(sandbox: Sandbox, kind: str, count: int) -> list[dict[str, Any]]:
    def settled() -> list[dict[str, Any]] | None:
        found = deliveries(sandbox, kind)
        done = [d for d in found if d["state"] != "pending"]
        return found if len(found) >= count and len(done) == len(found) else None

    found = wait_until(settled, timeout_s=10)
    assert [d["state"] for d in found] == ["delivered"] * len(found), found
    return found


async def test_a_ticket_receives_both_updates_and_shows_them(
    live: Receiver, sandbox: Sandbox
) -> None:
    gateway, token = live.gateway, live.gateway.customer(CUSTOMER)
    input_ = {**SETTLED, "description": "My reward never came"}
    async with live_subscription(gateway.url, UPDATED, init_payload=bearer(token)) as pushed:
        created = await gateway.execute(CREATE, {"input": input_}, token=token)
        assert created.errors == []
        source_ticket_id = created.data["createCustomerTicket"]["ticket"]["sourceTicketId"]  # type: ignore[index]

        found = _delivered(sandbox, "ticket", 2)

        first, second = await pushed.next(), await pushed.next()
    assert first["customerTicketUpdated"]["sourceTicketId"] == source_ticket_id
    assert second["customerTicketUpdated"] == {
        "sourceTicketId": source_ticket_id,
        "status": "CLOSED",
    }

    assert [d["payload"]["status"] for d in found] == ["In Process", "Closed"]
    updates = live.rows("ticket_updates")
    assert [(u["source_ticket_id"], u["status"]) for u in updates] == [
        (source_ticket_id, "In Process"),
        (source_ticket_id, "Closed"),
    ]
    [ticket] = live.rows("customer_tickets")
    assert (ticket["processing_status"], ticket["status"], ticket["resolution"]) == (
        "Success",
        "Closed",
        "No Credit: Reward Received",
    )
    one = await gateway.execute(ONE, {"id": source_ticket_id}, token=token)
    assert one.data == {
        "customerTicket": {
            "sourceTicketId": source_ticket_id,
            "processingStatus": "PROCESSED",
            "status": "CLOSED",
            "resolution": "REWARD_RECEIVED",
        }
    }
    mine = await gateway.execute(MINE, token=token)
    assert mine.data == {
        "customerTickets": [{"sourceTicketId": source_ticket_id, "status": "CLOSED"}]
    }


async def test_a_purchase_shows_pending_then_settled_once(live: Receiver, sandbox: Sandbox) -> None:
    gateway, token = live.gateway, live.gateway.customer(CUSTOMER)
    before = await gateway.execute(SUMMARY, token=token)
    assert before.errors == []
    pending_before = before.data["rewardsSummary"]["pending"]["redemptionCount"]  # type: ignore[index]
    ad_id = activate_new_offer(api(sandbox).session(LINKED))

    bought = purchase(sandbox, sourceCustomerId=LINKED, adId=ad_id, amount="250.00")
    assert bought.status_code == 201, bought.text
    redemption_id = bought.json()["redemption"]["redemptionId"]
    _delivered(sandbox, "rtm", 1)

    rewards = await gateway.execute(REWARDS, token=token)
    mine = [r for r in rewards.data["rewards"] if r["id"] == redemption_id]  # type: ignore[index]
    assert [r["state"] for r in mine] == ["PENDING"]  # the API and the webhook: one reward
    summary = await gateway.execute(SUMMARY, token=token)
    assert summary.data["rewardsSummary"]["pending"]["redemptionCount"] == pending_before + 1  # type: ignore[index]

    assert redemption_action(sandbox, redemption_id, "confirm").status_code == 200
    _delivered(sandbox, "rtm", 2)

    rewards = await gateway.execute(REWARDS, token=token)
    mine = [r for r in rewards.data["rewards"] if r["id"] == redemption_id]  # type: ignore[index]
    assert [r["state"] for r in mine] == ["SETTLED"]
    [row] = [r for r in live.rows("rewards") if r["redemption_id"] == redemption_id]
    assert (row["state"], row["customer"]) == ("CONFIRMED", LINKED)
    assert len(live.rows("reward_events")) == 2
