"""getAds and clientEvent against the simulator: what the customer sees and what they do to it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.cardlytics.events import (
    activate_offer,
    ad_viewable_impression,
    display_element_expanded,
    log_enrollment,
    park_offer,
    unpark_offer,
)
from gateway.upstreams.cardlytics.models import (
    Ad,
    AdActivationState,
    AdEventMetadata,
    AdsQuery,
    AdVisibilityState,
    Channel,
    Section,
)
from gateway.upstreams.errors import UpstreamRejected
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import (
    ALL_OFFERS,
    CLIENT_EVENT,
    Recorder,
    calls_to,
    cardlytics_client,
    customer,
)

ME = customer("offers")
PARKED_TOO = AdsQuery(
    channel=Channel.OLB,
    visibility_states=(AdVisibilityState.VISIBLE, AdVisibilityState.PARKED),
)


def where(ad: Ad) -> AdEventMetadata:
    assert ad.ad_serve_token is not None
    return AdEventMetadata(
        serve_token=ad.ad_serve_token, section=Section.DASHBOARD, channel=Channel.OLB
    )


async def offers(client: CardlyticsClient, query: AdsQuery = ALL_OFFERS) -> dict[str, Ad]:
    return dict((await client.offers.get_ads(ME, query)).ads)


def first(ads: dict[str, Ad], state: AdActivationState) -> Ad:
    return next(ad for ad in ads.values() if ad.activation_state is state)


async def test_get_ads_reads_ads_rankings_and_categories_with_exact_money(
    sandbox: Sandbox,
) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        answer = await client.offers.get_ads(
            ME, AdsQuery(channel=Channel.MOBILE_APP, return_metadata=True)
        )

    # then
    assert answer.request_id
    assert [ad.ad_id for ad in answer.ranked()] == list(answer.rankings["all"])
    assert set(answer.categories) == set(answer.ads)
    for ad in answer.ads.values():
        assert ad.ad_serve_token and ad.merchant_name
        assert ad.visibility_state is AdVisibilityState.VISIBLE
        assert ad.reward is not None and isinstance(ad.reward.reward_amount, Decimal)
        assert ad.assets is not None and ad.assets.logo is not None


async def test_get_ads_sends_only_the_filter_it_was_given(sandbox: Sandbox) -> None:
    # given
    recorder = Recorder()
    query = AdsQuery(
        channel=Channel.EMAIL, sections=(Section.SUMMARY, Section.LANDING), max_ad_limit=3
    )
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        # when
        answer = await client.offers.get_ads(ME, query)

    # then
    assert len(answer.ads) <= 3
    assert recorder.bodies("/getAds") == [
        {"channel": "Email", "sections": ["Landing", "Summary"], "maxAdLimit": 3}
    ]


async def test_activating_an_offer_shows_on_the_next_fetch(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # given
        ad = first(await offers(client), AdActivationState.NEW)

        # when
        accepted = await client.events.send(ME, [activate_offer(where(ad))])

        # then
        assert accepted.request_id
        assert (await offers(client))[ad.ad_id].activation_state is AdActivationState.ACTIVATED


async def test_parking_hides_an_offer_and_unparking_brings_it_back(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # given
        ad = next(iter((await offers(client)).values()))

        # when
        await client.events.send(ME, [park_offer(where(ad))])

        # then
        assert ad.ad_id not in await offers(client)
        parked = (await offers(client, PARKED_TOO))[ad.ad_id]
        assert parked.visibility_state is AdVisibilityState.PARKED

        # when
        await client.events.send(ME, [unpark_offer(where(parked))])

        # then
        assert ad.ad_id in await offers(client)


async def test_many_impressions_and_other_events_go_in_one_call(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # given
        new = [ad for ad in (await offers(client)).values() if ad.activation_state == "NEW"]
        assert len(new) >= 3
        events = [ad_viewable_impression(where(ad)) for ad in new]
        events += [log_enrollment(), display_element_expanded(where(new[0]))]

        # when
        await client.events.send(ME, events)

        # then
        after = await offers(client)
        assert {after[ad.ad_id].activation_state for ad in new} == {AdActivationState.SERVED}
    assert calls_to(sandbox, CLIENT_EVENT) == {CLIENT_EVENT: 1}


async def test_the_same_events_sent_again_are_accepted(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # given
        ad = first(await offers(client), AdActivationState.NEW)
        events = [activate_offer(where(ad))]
        await client.events.send(ME, events)

        # when: a caller that never saw the first answer sends the batch again
        await client.events.send(ME, events)

        # then
        assert (await offers(client))[ad.ad_id].activation_state is AdActivationState.ACTIVATED


async def test_an_event_cardlytics_refuses_is_rejected_with_its_reasons(sandbox: Sandbox) -> None:
    # given
    bogus = AdEventMetadata(
        serve_token="bm90LWEtdG9rZW4=", section=Section.DASHBOARD, channel=Channel.OLB
    )
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        with pytest.raises(UpstreamRejected) as caught:
            await client.events.send(ME, [activate_offer(bogus)])

    # then: a refusal is final, never repeated
    assert caught.value.status == 400
    assert any("serveToken" in detail for detail in caught.value.details)
    assert calls_to(sandbox, CLIENT_EVENT) == {CLIENT_EVENT: 1}


async def test_an_empty_batch_is_refused_before_sending(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(ValueError):
            await client.events.send(ME, [])
    assert calls_to(sandbox, CLIENT_EVENT) == {CLIENT_EVENT: 0}
