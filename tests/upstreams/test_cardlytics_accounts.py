"""Account linking, the customer profile reads and CSA tickets against the simulator.

``customer-linked`` and ``customer-unlinked`` are the simulator's documented sample customers
(always linked, never linked); the client only ever sees their HMACs.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from gateway.customer_ids import ANONYMOUS, HashedCustomerId
from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.cardlytics.models import (
    AdRedemptions,
    Redemption,
    ResolutionType,
    Ticket,
    TicketStatus,
)
from gateway.upstreams.errors import (
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamUnavailable,
)
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import (
    ACCOUNT_LINK_GET,
    ACCOUNT_LINK_POST,
    AD_REDEMPTIONS,
    CUSTOMER_PROFILE,
    HASHER,
    REWARD_SUMMARY,
    START_SESSION,
    TICKET_GET,
    TICKETS_POST,
    Recorder,
    calls_to,
    cardlytics_client,
)

LINKED = HASHER("customer-linked")
UNLINKED = HASHER("customer-unlinked")
REDIRECT = "https://app.example.com/cards/linked"


# --- account linking ----------------------------------------------------------------------------


async def test_a_linked_customer_sees_the_link_and_its_cards(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        status = await client.account_links.status(LINKED)

    assert status.linked
    (link,) = status.account_links
    assert link.status == "Linked" and link.account_link_id
    assert status.accounts and all(len(a.last4 or "") == 4 for a in status.accounts)


async def test_a_customer_with_nothing_linked_gets_an_empty_status(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        status = await client.account_links.status(UNLINKED)
    assert not status.linked
    assert (status.account_links, status.accounts) == ((), ())


async def test_linking_starts_then_the_link_can_be_deleted(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        started = await client.account_links.start(UNLINKED, REDIRECT)

        # then
        assert started.link_url.startswith("http")
        (link,) = (await client.account_links.status(UNLINKED)).account_links
        assert link.account_link_id == started.account_link_id
        assert link.status == "LinkingInitiated"
        assert link.raw["linkProvider"] == "PLAID_HOSTED"

        # when
        deleted = await client.account_links.delete(UNLINKED, started.account_link_id)

        # then
        assert deleted is True
        assert not (await client.account_links.status(UNLINKED)).linked
        with pytest.raises(UpstreamNotFound):
            await client.account_links.delete(UNLINKED, started.account_link_id)


async def test_starting_a_link_cardlytics_refuses_is_not_repeated(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamRejected) as caught:
            await client.account_links.start(UNLINKED, "not-a-url")
    assert any("redirect_uri" in detail for detail in caught.value.details)
    assert calls_to(sandbox, ACCOUNT_LINK_POST) == {ACCOUNT_LINK_POST: 1}


async def test_a_link_id_is_sent_as_one_path_segment(sandbox: Sandbox) -> None:
    recorder = Recorder()
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        with pytest.raises(UpstreamNotFound):
            await client.account_links.delete(LINKED, "../ads/getAds")
    assert recorder.requests[-1].url.raw_path.endswith(b"/accountLink/..%2Fads%2FgetAds")


# --- profile reads ------------------------------------------------------------------------------


async def test_the_customer_profile_reads_with_ids_as_text_and_exact_rates(
    sandbox: Sandbox,
) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        profile = await client.profile.customer(LINKED)

    assert profile.source_customer_id == LINKED
    assert profile.request_id
    assert profile.accounts and profile.accounts[0].cards
    assert profile.accounts[0].cards[0].last4
    (portfolio,) = profile.portfolios
    assert isinstance(portfolio.reward_to_currency_conversion_rate, Decimal)


async def test_the_reward_summary_and_redemptions_agree(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        summary = await client.profile.reward_summary(LINKED)
        redemptions = await client.profile.ad_redemptions(LINKED)

    totals = summary.rewards_summary
    assert totals.all_time is not None and totals.pending is not None
    assert totals.pending.total_reward_amount is None  # pending has no reward total upstream
    assert redemptions.redemptions
    assert {r.ad_id for r in redemptions.redemptions} <= set(redemptions.ads)
    assert all(isinstance(r.amount, Decimal) for r in redemptions.redemptions)
    settled = [r for r in redemptions.redemptions if r.reward_settlement_run_date is not None]
    assert totals.all_time.redemption_count == len(settled)


async def test_an_anonymous_viewer_has_no_profile(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamNotFound):
            await client.profile.customer(ANONYMOUS)


@pytest.mark.parametrize(
    "read",
    [CUSTOMER_PROFILE, REWARD_SUMMARY, AD_REDEMPTIONS, ACCOUNT_LINK_GET],
)
async def test_reads_recover_from_a_transient_503(sandbox: Sandbox, read: str) -> None:
    # given
    sandbox.faults("cardlytics", {"match": read, "error_status": 503, "times": 1})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        operations = {
            CUSTOMER_PROFILE: client.profile.customer,
            REWARD_SUMMARY: client.profile.reward_summary,
            AD_REDEMPTIONS: client.profile.ad_redemptions,
            ACCOUNT_LINK_GET: client.account_links.status,
        }
        assert await operations[read](LINKED)

    # then
    assert calls_to(sandbox, read) == {read: 2}


# --- CSA tickets --------------------------------------------------------------------------------


async def _a_rewarded_purchase(client: CardlyticsClient, customer: HashedCustomerId) -> Redemption:
    answer: AdRedemptions = await client.profile.ad_redemptions(customer)
    return next(r for r in answer.redemptions if r.transaction_id and r.amount > 0)


async def _processed(
    client: CardlyticsClient,
    customer: HashedCustomerId,
    source_ticket_id: str,
    *,
    closed: bool = False,
) -> Ticket:
    for _ in range(100):
        try:
            ticket = await client.tickets.get(customer, source_ticket_id)
        except UpstreamNotFound:
            ticket = None
        if ticket is not None and (not closed or ticket.status is TicketStatus.CLOSED):
            return ticket
        await asyncio.sleep(0.02)
    raise AssertionError(f"ticket {source_ticket_id} was not processed in time")


async def test_a_ticket_is_accepted_then_processed_and_closed(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # given
        purchase = await _a_rewarded_purchase(client, LINKED)
        assert purchase.transaction_id

        # when
        accepted = await client.tickets.create(
            LINKED,
            source_ticket_id="support-1001",
            offer_id=purchase.ad_id,
            transaction_ids=[purchase.transaction_id],
            description="I did not get my cash back",
            author_email_address="agent@example.com",
        )

        # then
        assert accepted.request_id
        ticket = await _processed(client, LINKED, "support-1001", closed=True)

    assert ticket.source_ticket_id == "support-1001"
    assert ticket.source_customer_id == LINKED
    assert (ticket.offer_id, ticket.transaction_ids) == (purchase.ad_id, (purchase.transaction_id,))
    assert ticket.resolution_type in (ResolutionType.REWARD_RECEIVED, ResolutionType.REWARD_PENDING)
    assert ticket.redemption_ids == (purchase.redemption_id,)
    assert ticket.ticket_solved_date is not None and ticket.cardlytics_response


async def test_a_ticket_create_that_failed_transiently_is_sent_again(sandbox: Sandbox) -> None:
    # given
    recorder = Recorder()
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        purchase = await _a_rewarded_purchase(client, LINKED)
        assert purchase.transaction_id
        sandbox.faults("cardlytics", {"match": TICKETS_POST, "error_status": 503, "times": 1})

        # when
        await client.tickets.create(
            LINKED,
            source_ticket_id="support-1002",
            offer_id=purchase.ad_id,
            transaction_ids=[purchase.transaction_id],
            description="missing reward",
        )

        # then
        assert (await _processed(client, LINKED, "support-1002")).cdlx_ticket_id
    first, second = recorder.bodies("/csaapi/v2/tickets")
    assert first == second
    assert calls_to(sandbox, TICKETS_POST) == {TICKETS_POST: 2}


async def test_a_ticket_cardlytics_refuses_at_once_is_rejected_and_not_repeated(
    sandbox: Sandbox,
) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamRejected) as caught:
            await client.tickets.create(
                LINKED,
                source_ticket_id="support-1003",
                offer_id="1000030804",
                transaction_ids=["1132328647"],
                description="   ",
            )
    assert caught.value.status == 400
    assert any("description" in detail for detail in caught.value.details)
    assert calls_to(sandbox, TICKETS_POST) == {TICKETS_POST: 1}


async def test_a_ticket_with_too_many_transactions_is_refused_before_sending(
    sandbox: Sandbox,
) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(ValueError):
            await client.tickets.create(
                LINKED,
                source_ticket_id="support-1004",
                offer_id="1",
                transaction_ids=[str(n) for n in range(11)],
                description="d",
            )
    assert calls_to(sandbox, START_SESSION, TICKETS_POST) == {START_SESSION: 0, TICKETS_POST: 0}


async def test_an_anonymous_viewer_cannot_open_a_ticket(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(ValueError, match="no-user-available"):
            await client.tickets.create(
                ANONYMOUS,
                source_ticket_id="support-1005",
                offer_id="1",
                transaction_ids=["2"],
                description="d",
            )
    assert calls_to(sandbox, TICKETS_POST) == {TICKETS_POST: 0}


async def test_an_unknown_ticket_is_not_found(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamNotFound) as caught:
            await client.tickets.get(LINKED, "never-created")
    assert caught.value.status == 404
    assert calls_to(sandbox, TICKET_GET) == {TICKET_GET: 1}


async def test_reading_a_ticket_recovers_from_a_transient_503(sandbox: Sandbox) -> None:
    sandbox.faults("cardlytics", {"match": "GET /csaapi/v2/tickets/*", "error_status": 503})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.tickets.get(LINKED, "t-1")
    route = "GET /csaapi/v2/tickets/{source_ticket_id}"
    assert calls_to(sandbox, route) == {route: 3}
