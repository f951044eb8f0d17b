"""Cardlytics simulator: POST /v2/ads/getAds, its filters, serve tokens and its answer's shape.

Shapes are checked against the seed's own samples (``tests/fixtures/cardlytics``, the seed 001
examples made strict JSON), key by key; the only other keys allowed are the optional Ad fields the
published spec adds (upstreams.md B3).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.cardlytics_client import (
    CardlyticsApi,
    CustomerSession,
    assert_error,
    customer_id,
)
from tests.support.sandbox import Sandbox

StartSandbox = Callable[..., AbstractContextManager[Sandbox]]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cardlytics"
SAMPLE_RESPONSE: dict[str, Any] = json.loads((FIXTURES / "get_ads_response.json").read_bytes())
SAMPLE_REQUEST: dict[str, Any] = json.loads((FIXTURES / "get_ads_request.json").read_bytes())
SAMPLE_AD: dict[str, Any] = next(iter(SAMPLE_RESPONSE["ads"].values()))

# Ad fields the spec documents beyond the seed's sample (B3): optional, present when they apply.
SPEC_AD_EXTRAS = {"sections", "activationDate", "redemptionState"}
SPEC_REQUIREMENT_EXTRAS = {"purchaseTypes"}

# The documented vocabularies (seed 001 + B3), written out here so a simulator typo shows up.
CHANNELS = ["Email", "SMS", "MMS", "OLB", "MobileWeb", "MobileApp", "MobileWallet"]
ACTIVATION_STATES = {"NEW", "SERVED", "ACTIVATED"}
VISIBILITY_STATES = {"VISIBLE", "PARKED"}
REDEMPTION_STATES = {"PROCESSING", "FULLY_REDEEMED"}
REWARD_TYPES = {"PERCENT_AMOUNT_PURCHASE", "FIXED_AMOUNT_PURCHASE", "METERED_AMOUNT_PURCHASE"}
ACTIVATION_MODELS = {"ACTIVATABLE", "AUTO_ACTIVATED"}
PURCHASE_CHANNELS = {"InStore", "Online", "PayAtPump", "App", "Convenience"}
PURCHASE_TYPES = {"Membership", "Subscription", "Fuel"}
SECTIONS = {
    *("Email", "SMS", "MMS", "Transaction", "Summary", "Dashboard", "Landing", "OnboardingPage"),
    *("LatestOffers", "ExpiringSoon", "RewardSummaryListView", "FeaturedOffers"),
    *("EntertainmentCategory", "FoodCategory", "RetailCategory", "ServicesCategory"),
    *("TravelCategory", "Rewards", "WidgetAccountOverview", "WidgetDebit", "WidgetCredit", "Map"),
}
EVERYTHING: dict[str, Any] = {
    "activationStates": sorted(ACTIVATION_STATES),
    "visibilityStates": sorted(VISIBILITY_STATES),
    "includeExpiredAds": True,
}
LOOKBACK = timedelta(days=120)


def session_of(sandbox: Sandbox, n: int | str = 1) -> CustomerSession:
    return CardlyticsApi(sandbox.cardlytics_url).session(customer_id(n))


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def ads_of(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from body["ads"].items()


def without_serve_tokens(body: dict[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(body))
    del copy["requestId"]
    for ad in copy["ads"].values():
        del ad["adServeToken"]
    return copy


# --- the request ---


def test_the_seed_sample_request_is_answered(sandbox: Sandbox) -> None:
    body = session_of(sandbox).ads_ok(**SAMPLE_REQUEST)
    assert 0 < len(body["ads"]) <= SAMPLE_REQUEST["maxAdLimit"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_documented_channel_is_accepted(sandbox: Sandbox, channel: str) -> None:
    assert session_of(sandbox).ads_ok(channel=channel)["ads"]


@pytest.mark.parametrize(
    "body",
    [{}, {"channel": None}, {"channel": "Web"}, {"channel": "olb"}, {"channel": ["OLB"]}],
    ids=["absent", "null", "unknown", "wrong-case", "array"],
)
def test_channel_is_required_and_must_be_a_documented_channel(
    sandbox: Sandbox, body: dict[str, Any]
) -> None:
    response = session_of(sandbox).get_ads(body)
    errors = assert_error(response, 400, "ValidationException")["validationErrors"]
    assert any(e.startswith("channel") for e in errors), errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("maxAdLimit", 0),
        ("maxAdLimit", -1),
        ("maxAdLimit", "5"),
        ("maxAdLimit", 1.5),
        ("maxAdLimit", True),
        ("maxAdLimit", 2**31),
        ("sections", "Landing"),
        ("sections", ["Nowhere"]),
        ("categoryIds", [2]),
        ("curationIds", "101"),
        ("activationStates", ["EXPIRED"]),
        ("visibilityStates", ["HIDDEN"]),
        ("redemptionStates", ["REDEEMED"]),
        ("returnMetadata", "true"),
        ("includeExpiredAds", 1),
    ],
)
def test_wrongly_typed_or_unknown_filter_values_are_400(
    sandbox: Sandbox, field: str, value: Any
) -> None:
    response = session_of(sandbox).get_ads(**{field: value})
    errors = assert_error(response, 400, "ValidationException")["validationErrors"]
    assert any(e.startswith(field) for e in errors), errors


def test_every_problem_in_a_request_is_reported_at_once(sandbox: Sandbox) -> None:
    response = session_of(sandbox).get_ads({"maxAdLimit": 0, "sections": ["Nowhere"]})
    errors = assert_error(response, 400, "ValidationException")["validationErrors"]
    assert {e.split(":")[0].split(" ")[0] for e in errors} == {"channel", "maxAdLimit", "sections"}


def test_a_body_that_is_not_strict_json_is_unreadable(sandbox: Sandbox) -> None:
    session = session_of(sandbox)
    for content in (b'{"channel": "OLB",}', b'{"channel": "OLB"} x', b"[]", b""):
        assert_error(session.post("/v2/ads/getAds", content=content), 400, "HttpMessageNotReadable")


def test_another_media_type_is_415(sandbox: Sandbox) -> None:
    response = session_of(sandbox).post(
        "/v2/ads/getAds", content=b'{"channel": "OLB"}', headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "UnsupportedMediaType")


# --- the documented filters and their defaults ---


def test_by_default_only_visible_running_ads_in_the_three_states_come_back(
    sandbox: Sandbox,
) -> None:
    # given
    session = session_of(sandbox)
    everything = session.ads_ok(**EVERYTHING)["ads"]
    assert {ad["visibilityState"] for ad in everything.values()} == VISIBILITY_STATES
    # when
    default = session.ads_ok()["ads"]
    # then
    now = datetime.now(UTC)
    expected = {
        ad_id
        for ad_id, ad in everything.items()
        if ad["visibilityState"] == "VISIBLE" and when(ad["endDate"]) >= now
    }
    assert set(default) == expected


@pytest.mark.parametrize("state", sorted(ACTIVATION_STATES))
def test_activation_states_limit_the_ads(sandbox: Sandbox, state: str) -> None:
    # given
    session = session_of(sandbox)
    everything = session.ads_ok(**EVERYTHING)["ads"]
    # when
    only = session.ads_ok(**{**EVERYTHING, "activationStates": [state]})["ads"]
    # then
    assert only, f"customer 1 has no {state} ads to filter"
    assert set(only) == {i for i, ad in everything.items() if ad["activationState"] == state}


def test_visibility_states_can_ask_for_parked_ads(sandbox: Sandbox) -> None:
    # given
    session = session_of(sandbox)
    visible = session.ads_ok()["ads"]
    # when
    parked = session.ads_ok(visibilityStates=["PARKED"])["ads"]
    both = session.ads_ok(visibilityStates=["VISIBLE", "PARKED"])["ads"]
    # then
    assert parked
    assert all(ad["visibilityState"] == "PARKED" for ad in parked.values())
    assert set(both) == set(visible) | set(parked)
    assert not set(visible) & set(parked)


def customer_with_redemptions(sandbox: Sandbox) -> tuple[CustomerSession, dict[str, Any]]:
    """The first sample customer with both a settled and a pending single-use redemption."""
    for n in range(1, 30):
        session = session_of(sandbox, n)
        ads = session.ads_ok(**EVERYTHING)["ads"]
        if {ad.get("redemptionState") for ad in ads.values()} >= REDEMPTION_STATES:
            return session, ads
    raise AssertionError("no sample customer has both redemption states")


@pytest.mark.parametrize("state", sorted(REDEMPTION_STATES))
def test_redemption_states_limit_the_ads(sandbox: Sandbox, state: str) -> None:
    # given
    session, everything = customer_with_redemptions(sandbox)
    # when
    only = session.ads_ok(**{**EVERYTHING, "redemptionStates": [state]})["ads"]
    # then
    assert only
    assert set(only) == {i for i, ad in everything.items() if ad.get("redemptionState") == state}


def test_sections_keep_ads_shown_in_any_of_them(sandbox: Sandbox) -> None:
    # given
    session = session_of(sandbox)
    everything = session.ads_ok(**EVERYTHING)["ads"]
    wanted = {"FeaturedOffers", "ExpiringSoon"}
    # when
    chosen = session.ads_ok(**{**EVERYTHING, "sections": sorted(wanted)})["ads"]
    # then
    assert 0 < len(chosen) < len(everything)
    assert set(chosen) == {i for i, ad in everything.items() if wanted & set(ad["sections"])}


def test_category_ids_keep_ads_of_those_categories(sandbox: Sandbox) -> None:
    # given
    session = session_of(sandbox)
    everything = session.ads_ok(**EVERYTHING)
    # when
    food = session.ads_ok(**{**EVERYTHING, "categoryIds": ["2"]})
    # then
    assert 0 < len(food["ads"]) < len(everything["ads"])
    assert set(food["ads"]) == {i for i, c in everything["categories"].items() if c["id"] == "2"}
    assert session.ads_ok(categoryIds=["999"])["ads"] == {}


def test_curation_ids_keep_ads_of_that_campaign_list(sandbox: Sandbox) -> None:
    # given
    session = session_of(sandbox)
    everything = set(session.ads_ok(**EVERYTHING)["ads"])
    # when
    curated = {
        curation: set(session.ads_ok(**{**EVERYTHING, "curationIds": [curation]})["ads"])
        for curation in ("101", "102", "103")
    }
    # then
    assert all(curated.values()), curated
    assert set().union(*curated.values()) < everything
    both = set(session.ads_ok(**{**EVERYTHING, "curationIds": ["101", "102"]})["ads"])
    assert both == curated["101"] | curated["102"]
    assert session.ads_ok(curationIds=["no-such-list"])["ads"] == {}


def test_max_ad_limit_truncates_the_ranking_in_order(sandbox: Sandbox) -> None:
    # given
    session = session_of(sandbox)
    ranking = session.ads_ok()["rankings"]["all"]
    # when
    limited = session.ads_ok(maxAdLimit=5)
    generous = session.ads_ok(maxAdLimit=len(ranking) + 100)
    # then
    assert limited["rankings"]["all"] == ranking[:5]
    assert list(limited["ads"]) == ranking[:5]
    assert generous["rankings"]["all"] == ranking


def test_assets_come_back_only_when_return_metadata_asks(sandbox: Sandbox) -> None:
    session = session_of(sandbox)
    for body in (session.ads_ok(), session.ads_ok(returnMetadata=False)):
        assert all("assets" not in ad for ad in body["ads"].values())
    with_assets = session.ads_ok(returnMetadata=True)["ads"]
    assert with_assets
    assert all("assets" in ad for ad in with_assets.values())


def test_expired_ads_come_back_only_when_asked_and_only_from_the_last_120_days(
    sandbox: Sandbox,
) -> None:
    # given
    session = session_of(sandbox)
    now = datetime.now(UTC)
    # when
    running = session.ads_ok(visibilityStates=["VISIBLE", "PARKED"])["ads"]
    with_expired = session.ads_ok(visibilityStates=["VISIBLE", "PARKED"], includeExpiredAds=True)
    # then
    assert all(when(ad["endDate"]) >= now for ad in running.values())
    ended = {i: ad for i, ad in with_expired["ads"].items() if when(ad["endDate"]) < now}
    assert ended, "customer 1 has no recently ended ads"
    assert set(with_expired["ads"]) == set(running) | set(ended)
    assert all(when(ad["endDate"]) >= now - LOOKBACK for ad in ended.values())


# --- the response ---


def test_every_fetch_gives_each_ad_a_new_serve_token(sandbox: Sandbox) -> None:
    # given
    session = session_of(sandbox)
    # when
    first, second = session.ads_ok()["ads"], session.ads_ok()["ads"]
    # then
    tokens = [ad["adServeToken"] for ad in first.values()]
    assert all(isinstance(t, str) and t for t in tokens)
    assert len(set(tokens)) == len(tokens)
    assert all(first[i]["adServeToken"] != second[i]["adServeToken"] for i in first)


def test_rankings_all_lists_every_ad_and_categories_are_keyed_by_ad_id(sandbox: Sandbox) -> None:
    body = session_of(sandbox).ads_ok(**EVERYTHING)
    assert body["rankings"]["all"] == list(body["ads"])
    assert len(set(body["rankings"]["all"])) == len(body["ads"])
    assert set(body["categories"]) == set(body["ads"])
    assert body["storeLocations"] is None


def test_request_id_echoes_the_header_or_is_a_fresh_uuid(sandbox: Sandbox) -> None:
    session = session_of(sandbox)
    echoed = session.get_ads(headers={"X-CDLX-Request-Id": "req-ads-42"}).json()
    assert echoed["requestId"] == "req-ads-42"
    generated = [session.ads_ok()["requestId"] for _ in range(2)]
    assert generated[0] != generated[1]
    for value in generated:
        uuid.UUID(value)


def test_the_response_has_exactly_the_seed_samples_shape(sandbox: Sandbox) -> None:
    body = session_of(sandbox).ads_ok(**EVERYTHING, returnMetadata=True)
    assert list(body) == list(SAMPLE_RESPONSE)
    assert body["ads"]
    for ad_id, ad in ads_of(body):
        assert ad_id.isdigit()
        assert_like(ad, SAMPLE_AD, f"ads.{ad_id}", extras=SPEC_AD_EXTRAS)
        assert_like(body["categories"][ad_id], SAMPLE_RESPONSE["categories"]["1000056632"], "cat")


def assert_like(
    actual: Any, sample: Any, where: str, extras: AbstractSet[str] = frozenset()
) -> None:
    """``actual`` has the sample's keys (character for character) and JSON types, recursively."""
    if isinstance(sample, dict):
        assert isinstance(actual, dict), where
        missing, unknown = set(sample) - set(actual), set(actual) - set(sample) - extras
        assert not missing and not unknown, f"{where}: missing {missing}, unknown {unknown}"
        for key in sample:
            nested = SPEC_REQUIREMENT_EXTRAS if key == "purchaseRequirement" else frozenset()
            assert_like(actual[key], sample[key], f"{where}.{key}", nested)
    elif isinstance(sample, list):
        assert isinstance(actual, list), where
        for n, item in enumerate(actual):
            assert_like(item, sample[0], f"{where}[{n}]")
    elif sample is None:
        assert actual is None, where
    else:
        assert type(actual) is type(sample), f"{where}: {actual!r} is not like {sample!r}"


def test_values_are_from_the_documented_vocabularies(sandbox: Sandbox) -> None:
    body = session_of(sandbox).ads_ok(**EVERYTHING, returnMetadata=True)
    for _, ad in ads_of(body):
        reward, requirement = ad["reward"], ad["reward"]["purchaseRequirement"]
        assert ad["adType"] == "CASH_BACK_OFFER"
        assert ad["activationState"] in ACTIVATION_STATES
        assert ad["visibilityState"] in VISIBILITY_STATES
        assert ad.get("redemptionState", "PROCESSING") in REDEMPTION_STATES
        assert set(ad["sections"]) <= SECTIONS
        assert reward["rewardType"] in REWARD_TYPES
        assert reward["activationModel"] in ACTIVATION_MODELS
        assert set(requirement["purchaseChannels"]) <= PURCHASE_CHANNELS
        assert set(requirement.get("purchaseTypes", [])) <= PURCHASE_TYPES
        assert when(ad["startDate"]) < when(ad["endDate"])
        for key in ("startDate", "endDate", "activationDate"):
            if key in ad:
                assert ad[key].endswith("Z") and when(ad[key]).tzinfo is not None
        assert (ad["activationState"] == "ACTIVATED") == ("activationDate" in ad)
        assets = ad["assets"]
        assert assets["logo"]["type"] == "IMAGE_URL" and assets["copy"]["type"] == "AD_COPY"
        for image in assets["logo"]["value"].values():
            assert image["url"].startswith("https://") and image["width"] > 0
        assert assets["logo"]["value"]["small"]["width"] < assets["logo"]["value"]["large"]["width"]
        assert ad["merchantName"] in assets["copy"]["value"]["preMessage"]


def test_sample_data_spans_categories_rewards_states_and_dates(sandbox: Sandbox) -> None:
    # when
    body = session_of(sandbox).ads_ok(**EVERYTHING, returnMetadata=True)
    # then
    ads = body["ads"].values()
    now = datetime.now(UTC)
    assert len(body["ads"]) >= 36  # several dozen
    assert len({c["id"] for c in body["categories"].values()}) >= 5
    assert {ad["reward"]["rewardType"] for ad in ads} == REWARD_TYPES
    assert {ad["reward"]["activationModel"] for ad in ads} == ACTIVATION_MODELS
    assert {ad["activationState"] for ad in ads} == ACTIVATION_STATES
    assert {ad["visibilityState"] for ad in ads} == VISIBILITY_STATES
    assert any(when(ad["startDate"]) > now for ad in ads), "no upcoming ad"
    assert any(when(ad["endDate"]) < now for ad in ads), "no ended ad"
    assert any(ad["isAffiliateMarketing"] for ad in ads)
    assert len({ad["merchantName"] for ad in ads}) >= 15
    assert len({ad["assets"]["logo"]["value"]["small"]["url"] for ad in ads}) == len(body["ads"])


def test_customers_get_their_own_offers_in_their_own_order(sandbox: Sandbox) -> None:
    rankings = [session_of(sandbox, n).ads_ok()["rankings"]["all"] for n in (1, 2)]
    assert rankings[0] != rankings[1]
    assert Counter(rankings[0]) != Counter(rankings[1])


def test_sample_data_is_deterministic_for_a_seed(start_sandbox: StartSandbox) -> None:
    # given
    answers = []
    for seed in (7, 7, 8):
        with start_sandbox(seed=seed) as sandbox:
            # when
            body = session_of(sandbox).ads_ok(**EVERYTHING, returnMetadata=True)
            answers.append(without_serve_tokens(body))
    # then
    assert answers[0] == answers[1]
    assert answers[0] != answers[2]
