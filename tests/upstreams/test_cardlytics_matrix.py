"""Every operation, the same two faults: a 401 is refreshed once, a 503 is repeated only if safe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.cardlytics.events import log_enrollment
from gateway.upstreams.errors import UpstreamNotFound, UpstreamUnavailable
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import (
    ACCOUNT_LINK_GET,
    ACCOUNT_LINK_POST,
    AD_REDEMPTIONS,
    ALL_OFFERS,
    CLIENT_EVENT,
    CUSTOMER_PROFILE,
    GET_ADS,
    HASHER,
    REWARD_SUMMARY,
    START_SESSION,
    TICKETS_POST,
    calls_to,
    cardlytics_client,
)

LINKED = HASHER("customer-linked")
UNLINKED = HASHER("customer-unlinked")


@dataclass(frozen=True)
class Operation:
    name: str
    call: str  # the simulator's "METHOD /path" for it
    run: Callable[[CardlyticsClient], Awaitable[Any]]
    repeatable: bool
    # what a call answers once the fault has passed (None: success)
    outcome: type[Exception] | None = None
    # the simulator counts calls by route template; None when that is ``call`` itself
    template: str | None = None

    @property
    def counted_as(self) -> str:
        return self.template or self.call


OPERATIONS = [
    Operation("getAds", GET_ADS, lambda c: c.offers.get_ads(LINKED, ALL_OFFERS), False),
    Operation(
        "clientEvent", CLIENT_EVENT, lambda c: c.events.send(LINKED, [log_enrollment()]), True
    ),
    Operation(
        "getAccountLinkStatus", ACCOUNT_LINK_GET, lambda c: c.account_links.status(LINKED), True
    ),
    Operation(
        "startAccountLink",
        ACCOUNT_LINK_POST,
        lambda c: c.account_links.start(UNLINKED, "https://app.example.com/linked"),
        False,
    ),
    Operation(
        "deleteAccountLink",
        "DELETE /v2/data/accountLink/gone",
        lambda c: c.account_links.delete(LINKED, "gone"),
        True,
        UpstreamNotFound,
        "DELETE /v2/data/accountLink/{account_link_id}",
    ),
    Operation("getCustomerProfile", CUSTOMER_PROFILE, lambda c: c.profile.customer(LINKED), True),
    Operation(
        "getCustomerRewardSummary", REWARD_SUMMARY, lambda c: c.profile.reward_summary(LINKED), True
    ),
    Operation(
        "getCustomerAdRedemptions", AD_REDEMPTIONS, lambda c: c.profile.ad_redemptions(LINKED), True
    ),
    Operation(
        "createTicket",
        TICKETS_POST,
        lambda c: c.tickets.create(
            LINKED,
            source_ticket_id="matrix-1",
            offer_id="1000030804",
            transaction_ids=["1132328647"],
            description="missing reward",
        ),
        True,
    ),
    Operation(
        "getTicket",
        "GET /csaapi/v2/tickets/matrix-0",
        lambda c: c.tickets.get(LINKED, "matrix-0"),
        True,
        UpstreamNotFound,
        "GET /csaapi/v2/tickets/{source_ticket_id}",
    ),
]
IDS = [operation.name for operation in OPERATIONS]


async def _outcome(operation: Operation, client: CardlyticsClient) -> None:
    if operation.outcome is None:
        assert await operation.run(client) is not None
        return
    with pytest.raises(operation.outcome):
        await operation.run(client)


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
async def test_a_401_is_answered_with_one_new_session_and_one_repeat(
    sandbox: Sandbox, operation: Operation
) -> None:
    # given
    sandbox.faults("cardlytics", {"match": operation.call, "error_status": 401, "times": 1})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when / then
        await _outcome(operation, client)

    calls = sandbox.calls("cardlytics")
    assert calls[START_SESSION] == 2
    assert calls[operation.counted_as] == 2


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
async def test_a_503_is_repeated_only_where_repeating_is_safe(
    sandbox: Sandbox, operation: Operation
) -> None:
    # given
    sandbox.faults("cardlytics", {"match": operation.call, "error_status": 503})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        with pytest.raises(UpstreamUnavailable) as caught:
            await operation.run(client)

    # then
    assert caught.value.status == 503
    expected = 3 if operation.repeatable else 1
    assert calls_to(sandbox, operation.counted_as) == {operation.counted_as: expected}
