"""The per-customer getAds cache (GATEWAY_ADS_CACHE_TTL_S): repeats within the TTL reuse the
customer's own answer, their own changes show at once, and nobody gets another's answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.app import create_app
from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.ads_cache import AdsCache
from gateway.upstreams.cardlytics.models import Ads
from resolvers.offers import ads_query, lookup_query
from tests.performance.support import GET_ADS, HOME, client, post
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

LINKED = "customer-linked"
OTHER = "customer-unlinked"
STATES = "{ offers { nodes { id activationState } } }"


@pytest.fixture
def cached(sandbox: Sandbox) -> Iterator[Gateway]:
    settings = settings_for(sandbox, ads_cache_ttl_s=30)
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url, settings)


def _states(body: dict[str, Any]) -> dict[str, str]:
    return {node["id"]: node["activationState"] for node in body["data"]["offers"]["nodes"]}


async def test_a_repeat_within_the_ttl_is_answered_without_get_ads(
    cached: Gateway, sandbox: Sandbox
) -> None:
    token = cached.customer(LINKED)
    async with client() as http:
        first = await post(http, cached, HOME, {"first": 50}, token)
        second = await post(http, cached, HOME, {"first": 50}, token)

    assert second == first
    assert sandbox.calls("cardlytics")[GET_ADS] == 1


async def test_customers_never_get_each_others_answers(cached: Gateway, sandbox: Sandbox) -> None:
    async with client() as http:
        linked = _states(await post(http, cached, STATES, token=cached.customer(LINKED)))
        other = _states(await post(http, cached, STATES, token=cached.customer(OTHER)))
        linked_again = _states(await post(http, cached, STATES, token=cached.customer(LINKED)))

    assert other != linked  # the sandbox gives them different offers
    assert linked_again == linked
    assert sandbox.calls("cardlytics")[GET_ADS] == 2  # one each, the repeat from the cache


async def test_anonymous_visitors_are_not_cached(cached: Gateway, sandbox: Sandbox) -> None:
    async with client() as http:
        await post(http, cached, STATES)
        await post(http, cached, STATES)

    assert sandbox.calls("cardlytics")[GET_ADS] == 2  # each visitor gets serve tokens of their own


async def test_activation_shows_on_the_next_home_screen(cached: Gateway, sandbox: Sandbox) -> None:
    token = cached.customer(LINKED)
    async with client() as http:
        before = _states(await post(http, cached, STATES, token=token))
        offer_id = next(id for id, state in before.items() if state == "NEW")
        other_before = _states(await post(http, cached, STATES, token=cached.customer(OTHER)))

        await post(
            http,
            cached,
            f'mutation {{ activateOffer(input: {{offerId: "{offer_id}"}}) '
            "{ errors { message } } }",
            token=token,
        )
        after = _states(await post(http, cached, STATES, token=token))
        other_after = _states(await post(http, cached, STATES, token=cached.customer(OTHER)))

    assert after[offer_id] == "ACTIVATED"
    assert {k: v for k, v in after.items() if k != offer_id} == {
        k: v for k, v in before.items() if k != offer_id
    }
    assert other_after == other_before  # another customer's answer was left alone


def test_an_answer_fetched_across_a_change_is_not_kept() -> None:
    cache = AdsCache(maxsize=10, ttl_s=30)
    customer = HashedCustomerId("a" * 64)
    query = ads_query()

    began = cache.begin(customer)
    cache.changed(customer)  # an activation lands while the fetch is in flight
    cache.put(customer, query, Ads(), began)
    assert cache.get(customer, query) is None

    began = cache.begin(customer)
    cache.put(customer, query, Ads(), began)
    assert cache.get(customer, query) == Ads()
    cache.changed(customer)
    assert cache.get(customer, query) is None


def test_the_cache_is_bounded() -> None:
    cache = AdsCache(maxsize=3, ttl_s=30)
    for n in range(10):
        customer = HashedCustomerId(f"{n:064x}")
        for query in (ads_query(), lookup_query()):
            cache.put(customer, query, Ads(), cache.begin(customer))
    assert len(cache) == 3


def test_off_by_default() -> None:
    cache = AdsCache(maxsize=3, ttl_s=0)
    customer = HashedCustomerId("b" * 64)
    cache.put(customer, ads_query(), Ads(), cache.begin(customer))
    assert cache.get(customer, ads_query()) is None
