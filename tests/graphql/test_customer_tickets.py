"""Customer tickets end to end: open one, watch it go from pending to processed, privacy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from gateway.app import create_app
from gateway.store.db import Database
from gateway.store.models import CustomerTicketRow
from tests.graphql.test_vendor_tickets import execute
from tests.outbox.support import deliver_webhooks_to
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import free_port, serve_in_thread

CSA_CREATE = "POST /csaapi/v2/tickets"
CSA_GET = "GET /csaapi/v2/tickets/{source_ticket_id}"

LINKED = "customer-linked"
# customer-linked's purchase 1484308150 on offer 1000055124 earned a settled reward (README)
SETTLED = {"offerId": "1000055124", "transactionIds": ["1484308150"]}

TICKET_FIELDS = """
__typename id sourceTicketId description openedAt closedAt offerId transactionIds
processingStatus processingMessage delivery status resolution resolutionText redemptionIds
cdlxTicketId
"""

CREATE = f"""
mutation ($input: CreateCustomerTicketInput!) {{
  createCustomerTicket(input: $input) {{
    ticket {{ {TICKET_FIELDS} }}
    errors {{ __typename message ... on ValidationError {{ field }} }}
  }}
}}
"""

ONE = f"query ($id: ID!) {{ customerTicket(sourceTicketId: $id) {{ {TICKET_FIELDS} }} }}"
MINE = "{ customerTickets { id processingStatus } }"


async def _open(gateway: Gateway, customer: str = LINKED, **input: Any) -> dict[str, Any]:
    variables = {"input": {**SETTLED, "description": "My reward never came", **input}}
    result = await execute(gateway, CREATE, variables, token=gateway.customer(customer))
    assert result.errors == []
    assert result.data is not None
    payload: dict[str, Any] = result.data["createCustomerTicket"]
    return payload


async def _until_closed(gateway: Gateway, source_ticket_id: str) -> dict[str, Any]:
    for _ in range(100):
        result = await execute(
            gateway, ONE, {"id": source_ticket_id}, token=gateway.customer(LINKED)
        )
        assert result.errors == []
        ticket: dict[str, Any] = result.data["customerTicket"]  # type: ignore[index]
        if ticket["status"] == "CLOSED":
            return ticket
        await asyncio.sleep(0.05)
    raise AssertionError("the ticket was never closed")


async def test_a_ticket_is_pending_then_processed(gateway: Gateway, sandbox: Sandbox) -> None:
    payload = await _open(gateway)
    assert payload["errors"] == []
    ticket = payload["ticket"]
    assert ticket["__typename"] == "CustomerTicket"
    assert ticket["sourceTicketId"].startswith("rg-")
    assert ticket["id"] == ticket["sourceTicketId"]
    assert ticket["processingStatus"] == "PENDING"
    assert (ticket["status"], ticket["resolution"], ticket["closedAt"]) == (None, None, None)
    assert (ticket["offerId"], ticket["transactionIds"]) == ("1000055124", ["1484308150"])
    assert ticket["openedAt"].endswith("+00:00")
    assert sandbox.calls("cardlytics")[CSA_CREATE] == 1

    closed = await _until_closed(gateway, ticket["sourceTicketId"])
    assert closed["processingStatus"] == "PROCESSED"
    assert closed["resolution"] == "REWARD_RECEIVED"
    assert closed["redemptionIds"] == ["180456033"]
    assert closed["cdlxTicketId"]
    assert closed["closedAt"].endswith("+00:00")


async def test_the_customer_lists_their_own_tickets_newest_first(gateway: Gateway) -> None:
    first = (await _open(gateway))["ticket"]["id"]
    second = await _open(gateway, transactionIds=["1375920849"], offerId="1000053130")
    result = await execute(gateway, MINE, token=gateway.customer(LINKED))
    assert result.errors == []
    ids = [t["id"] for t in result.data["customerTickets"]]  # type: ignore[index]
    assert ids == [second["ticket"]["id"], first]


async def test_the_offer_is_joined_from_one_get_ads(gateway: Gateway, sandbox: Sandbox) -> None:
    await _open(gateway)
    await _open(gateway, transactionIds=["1375920849"], offerId="1000053130")
    sandbox.reset_calls("cardlytics")
    document = "{ customerTickets { offerId offer { id merchantName } } }"
    result = await execute(gateway, document, token=gateway.customer(LINKED))
    assert result.errors == []
    tickets = result.data["customerTickets"]  # type: ignore[index]
    assert [t["offer"]["id"] for t in tickets] == [t["offerId"] for t in tickets]
    assert all(t["offer"]["merchantName"] for t in tickets)
    assert sandbox.calls("cardlytics")["POST /v2/ads/getAds"] == 1


async def test_each_tickets_progress_is_read_once_per_request(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    source_ticket_id = (await _open(gateway))["ticket"]["id"]
    await _until_closed(gateway, source_ticket_id)
    sandbox.reset_calls("cardlytics")
    document = """
    query ($id: ID!) {
      customerTickets { processingStatus status resolution closedAt }
      customerTicket(sourceTicketId: $id) { status redemptionIds cdlxTicketId }
    }
    """
    result = await execute(
        gateway, document, {"id": source_ticket_id}, token=gateway.customer(LINKED)
    )
    assert result.errors == []
    assert result.data["customerTicket"]["status"] == "CLOSED"  # type: ignore[index]
    assert sandbox.calls("cardlytics")[CSA_GET] == 1


async def test_another_customer_sees_none_of_them(gateway: Gateway, sandbox: Sandbox) -> None:
    source_ticket_id = (await _open(gateway))["ticket"]["id"]
    sandbox.reset_calls("cardlytics")
    bob = gateway.customer("bob")
    mine = await execute(gateway, MINE, token=bob)
    theirs = await execute(gateway, ONE, {"id": source_ticket_id}, token=bob)
    assert mine.data == {"customerTickets": []}
    assert theirs.data == {"customerTicket": None}
    assert CSA_GET not in sandbox.calls("cardlytics")  # never fetched for the wrong customer


async def test_the_same_idempotency_key_is_the_same_ticket(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    once = await _open(gateway, idempotencyKey="tap-42")
    again = await _open(gateway, idempotencyKey="tap-42")
    other = await _open(gateway, customer="bob", idempotencyKey="tap-42")
    assert once["ticket"]["id"] == again["ticket"]["id"]
    assert other["ticket"]["id"] != once["ticket"]["id"]
    result = await execute(gateway, MINE, token=gateway.customer(LINKED))
    assert len(result.data["customerTickets"]) == 1  # type: ignore[index]
    assert sandbox.calls("cardlytics")[CSA_CREATE] == 2  # alice once, bob once


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"transactionIds": []}, "transactionIds"),
        ({"transactionIds": [str(1000 + i) for i in range(11)]}, "transactionIds"),
        ({"transactionIds": ["1484308150", "1484308150"]}, "transactionIds"),
        ({"description": "  "}, "description"),
        ({"offerId": " "}, "offerId"),
        ({"idempotencyKey": ""}, "idempotencyKey"),
    ],
)
async def test_rules_are_checked_before_sending(
    gateway: Gateway, sandbox: Sandbox, input: dict[str, Any], field: str
) -> None:
    payload = await _open(gateway, **input)
    assert payload["ticket"] is None
    [error] = payload["errors"]
    assert error["__typename"] == "ValidationError"
    assert error["field"] == ["input", field]
    assert sandbox.calls("cardlytics") == {}


async def test_agents_cannot_open_or_read_customer_tickets_as_their_own(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    variables = {"input": {**SETTLED, "description": "x"}}
    created = await execute(gateway, CREATE, variables, token=gateway.agent())
    listed = await execute(gateway, MINE, token=gateway.agent())
    anonymous = await execute(gateway, MINE, token=None)
    assert created.codes == ["FORBIDDEN"]
    assert created.data == {"createCustomerTicket": None}
    assert listed.codes == ["FORBIDDEN"]
    assert anonymous.codes == ["UNAUTHENTICATED"]
    assert sandbox.calls("cardlytics") == {}


async def test_cardlytics_refusal_is_kept_on_the_ticket_and_a_rejected_error(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    # given
    sandbox.faults("cardlytics", {"match": CSA_CREATE, "error_status": 400})
    # when
    payload = await _open(gateway)
    # then
    assert [e["__typename"] for e in payload["errors"]] == ["RejectedError"]
    ticket = payload["ticket"]
    assert (ticket["processingStatus"], ticket["delivery"]) == ("ERROR", "REFUSED")
    assert ticket["processingMessage"] == payload["errors"][0]["message"]
    listed = await execute(gateway, MINE, token=gateway.customer(LINKED))
    assert listed.data == {"customerTickets": [{"id": ticket["id"], "processingStatus": "ERROR"}]}
    assert sandbox.calls("cardlytics")[CSA_CREATE] == 1  # a final answer: never resent


@pytest.fixture
def patient_gateway(sandbox: Sandbox) -> Iterator[Gateway]:
    """A gateway whose outbox retries within a test's time (and whose breaker recovers fast)."""
    settings = settings_for(
        sandbox,
        outbox_retry_base_s=0.05,
        outbox_retry_max_s=0.2,
        outbox_poll_interval_s=0.05,
        breaker_reset_timeout_s=0.1,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url, settings)


async def test_an_outage_keeps_the_ticket_and_the_outbox_sends_it_later(
    patient_gateway: Gateway, sandbox: Sandbox
) -> None:
    # given: Cardlytics is down when the customer opens the ticket
    gateway = patient_gateway
    sandbox.faults("cardlytics", {"match": CSA_CREATE, "error_status": 503})
    # when
    payload = await _open(gateway)
    # then: accepted by the gateway, not yet by Cardlytics
    assert payload["errors"] == []
    ticket = payload["ticket"]
    assert (ticket["processingStatus"], ticket["delivery"]) == ("PENDING", "SENDING")
    # and once Cardlytics is back, the outbox delivers it and it completes
    sandbox.faults("cardlytics")
    closed = await _until_closed(gateway, ticket["id"])
    assert (closed["delivery"], closed["processingStatus"]) == ("SENT", "PROCESSED")


@pytest.fixture
def hooked_gateway(sandbox: Sandbox) -> Iterator[Gateway]:
    """A gateway that receives the sandbox's webhook deliveries, as in production."""
    port = free_port()
    public_key = deliver_webhooks_to(sandbox, port)
    settings = settings_for(sandbox, webhook_public_key_pem=public_key)
    with serve_in_thread(create_app(settings), port=port) as url:
        yield Gateway(url, settings)


async def _until_processed(gateway: Gateway, source_ticket_id: str) -> dict[str, Any]:
    for _ in range(100):
        result = await execute(
            gateway, ONE, {"id": source_ticket_id}, token=gateway.customer(LINKED)
        )
        ticket: dict[str, Any] = result.data["customerTicket"]  # type: ignore[index]
        if ticket["processingStatus"] != "PENDING":
            return ticket
        await asyncio.sleep(0.05)
    raise AssertionError("the ticket was never processed")


async def test_a_webhook_error_shows_on_the_ticket_and_a_corrected_one_completes(
    hooked_gateway: Gateway, sandbox: Sandbox
) -> None:
    # given: a purchase that is not on that offer (Cardlytics checks it after the 202)
    gateway = hooked_gateway
    wrong = (await _open(gateway, transactionIds=["1375920849"]))["ticket"]
    assert wrong["delivery"] == "SENT"
    # when
    failed = await _until_processed(gateway, wrong["id"])
    # then: the webhook's Error is on the ticket, without asking Cardlytics' GET
    assert (failed["processingStatus"], failed["processingMessage"]) == (
        "ERROR",
        "Invalid transaction Id",
    )
    assert failed["status"] is None
    # and the customer's corrected ticket is a new one, processed from the webhook's updates
    fixed = (await _open(gateway))["ticket"]
    assert fixed["id"] != wrong["id"]
    closed = await _until_closed(gateway, fixed["id"])
    assert (closed["processingStatus"], closed["resolution"]) == ("PROCESSED", "REWARD_RECEIVED")
    assert sandbox.calls("cardlytics")[CSA_CREATE] == 2


async def _record_update(gateway: Gateway, source_ticket_id: str, **progress: Any) -> None:
    """What the webhook receiver writes when an update arrives (gateway/store/events.py)."""
    database = Database(gateway.settings.database_url)
    try:
        async with database.transaction() as session:
            await session.execute(
                update(CustomerTicketRow)
                .where(CustomerTicketRow.source_ticket_id == source_ticket_id)
                .values(**progress, updated_at=datetime.now(UTC))
            )
    finally:
        await database.aclose()


async def test_a_processing_error_shows_on_the_ticket_and_the_customer_resubmits(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    # given
    first = (await _open(gateway, idempotencyKey="form-1"))["ticket"]
    # when: Cardlytics reports it could not process the ticket
    await _record_update(
        gateway,
        first["id"],
        processing_status="Error",
        processing_message="Invalid transaction Id",
    )
    # then
    result = await execute(gateway, ONE, {"id": first["id"]}, token=gateway.customer(LINKED))
    shown = result.data["customerTicket"]  # type: ignore[index]
    assert (shown["processingStatus"], shown["processingMessage"]) == (
        "ERROR",
        "Invalid transaction Id",
    )
    assert shown["status"] is None
    # and a corrected ticket is a new one, sent as such
    second = await _open(gateway, idempotencyKey="form-2", transactionIds=["1375920849"])
    assert second["ticket"]["id"] != first["id"]
    assert sandbox.calls("cardlytics")[CSA_CREATE] == 2


async def test_our_own_resend_reported_as_already_existing_is_not_an_error(
    gateway: Gateway,
) -> None:
    # given: a resend (after a timeout) of a ticket Cardlytics already holds
    opened = (await _open(gateway))["ticket"]
    await _until_closed(gateway, opened["id"])
    # when
    await _record_update(
        gateway,
        opened["id"],
        processing_status="Error",
        processing_message="Ticket already exists",
    )
    # then
    result = await execute(gateway, ONE, {"id": opened["id"]}, token=gateway.customer(LINKED))
    shown = result.data["customerTicket"]  # type: ignore[index]
    assert (shown["processingStatus"], shown["processingMessage"]) == ("PROCESSED", None)
    assert shown["status"] == "CLOSED"


AGENT_VIEW = """
query ($customer: ID, $receipt: String) {
  tickets(customerId: $customer, receipt: $receipt) {
    __typename id
    ... on CustomerTicket { processingStatus }
    ... on VendorTicket { receipt }
  }
  vendorTickets(filter: {type: TECH_SUPPORT}) { edges { node { id } } }
}
"""


async def test_an_agent_sees_both_kinds_for_a_customer_and_a_receipt(gateway: Gateway) -> None:
    source_ticket_id = (await _open(gateway))["ticket"]["id"]
    variables = {"customer": LINKED, "receipt": "R6YP2DV9"}
    result = await execute(gateway, AGENT_VIEW, variables, token=gateway.agent())
    assert result.errors == []
    kinds = {(t["__typename"], t["id"]) for t in result.data["tickets"]}  # type: ignore[index]
    assert kinds == {("CustomerTicket", source_ticket_id), ("VendorTicket", "4100002")}


async def test_clickbank_down_nulls_only_the_vendor_fields(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    source_ticket_id = (await _open(gateway))["ticket"]["id"]
    sandbox.faults("clickbank", {"match": "* /rest/1.3/tickets/*", "error_status": 503})
    result = await execute(gateway, AGENT_VIEW, {"customer": LINKED}, token=gateway.agent())
    assert result.codes == ["UPSTREAM_UNAVAILABLE"]
    assert result.errors[0]["path"][0] == "vendorTickets"
    assert result.data is not None
    assert result.data["vendorTickets"] is None
    assert [t["id"] for t in result.data["tickets"]] == [source_ticket_id]


async def test_cardlytics_down_nulls_only_the_ticket_progress(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    source_ticket_id = (await _open(gateway))["ticket"]["id"]
    sandbox.faults("cardlytics", {"match": "GET /csaapi/v2/tickets/*", "error_status": 503})
    result = await execute(gateway, ONE, {"id": source_ticket_id}, token=gateway.customer(LINKED))
    assert set(result.codes) == {"UPSTREAM_UNAVAILABLE"}
    ticket = result.data["customerTicket"]  # type: ignore[index]
    assert ticket["id"] == source_ticket_id
    assert ticket["description"] == "My reward never came"
    assert ticket["processingStatus"] is None
    assert sandbox.calls("cardlytics").get(CSA_GET, 0) >= 1


async def test_agent_tickets_need_a_customer_or_a_receipt(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await execute(gateway, "{ tickets { id } }", token=gateway.agent())
    assert result.codes == ["BAD_USER_INPUT"]
    customer = await execute(
        gateway, '{ tickets(customerId: "customer-linked") { id } }', token=gateway.customer()
    )
    assert customer.codes == ["FORBIDDEN"]
    assert sandbox.calls("clickbank") == {} and sandbox.calls("cardlytics") == {}
