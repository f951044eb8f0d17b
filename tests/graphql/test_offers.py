"""Offer queries end to end: one getAds per distinct filter per request, paging, partial failure."""

from __future__ import annotations

import dataclasses
from typing import Any

from gateway.upstreams.cardlytics.models import AdsQuery, AdVisibilityState, Channel
from resolvers.offers import offer_views
from schema.offers import Offer, OfferActivationState, OfferVisibilityState, open_value
from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import cardlytics_client, customer

GET_ADS = "POST /v2/ads/getAds"
START_SESSION = "POST /v2/session/startSession"
CUSTOMER = "customer-linked"

HOME = """
query Home {
  offers(first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id merchantName activationState rank reward { type amount } } }
  }
  rankings { name offers { id } }
  categories { id name offers { id category { id } } }
  rewardsSummary { allTime { redemptionCount totalRewardAmount { amount currency } } }
}
"""

OFFER_FIELDS = """
  id merchantName type activationState visibilityState redemptionState
  startDate endDate activationDate sections rank channel serveToken isAffiliateMarketing
  category { id name }
  logo { small { url width height } large { url width height } }
  copy { headline preMessage termsAndConditions }
  reward {
    type amount maxAmount isMultiRedemption minSpendAmount activationModel
    purchaseRequirement {
      minSpendAmount purchaseChannels purchaseTypes merchantUrlLinkClickRequired
    }
  }
"""


async def _offers(gateway: Gateway, token: str | None, filter: str = "{}") -> Any:
    # Literals, not variables: tests.support.gateway passes variables in a form gql deprecates.
    result = await gateway.execute(
        f"{{ offers(filter: {filter}) {{ totalCount nodes {{ id activationState"
        " visibilityState category { id } } } }",
        token=token,
    )
    assert result.errors == []
    assert result.data is not None
    return result.data["offers"]


async def test_home_screen_is_one_get_ads_and_a_warm_token_needs_no_session(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    token = gateway.customer(CUSTOMER)
    first = await gateway.execute(HOME, token=token)

    assert first.errors == []
    assert first.data is not None
    offers = first.data["offers"]
    assert offers["totalCount"] > 0
    assert [edge["node"]["rank"] for edge in offers["edges"]] == list(
        range(1, len(offers["edges"]) + 1)
    )
    [ranking] = first.data["rankings"]
    assert ranking["name"] == "all"
    assert len(ranking["offers"]) == offers["totalCount"]
    for category in first.data["categories"]:
        assert {o["category"]["id"] for o in category["offers"]} == {category["id"]}
    assert first.data["rewardsSummary"]["allTime"]["totalRewardAmount"]["currency"] == "USD"
    calls = sandbox.calls("cardlytics")
    assert calls[GET_ADS] == 1
    assert calls[START_SESSION] == 1

    second = await gateway.execute(HOME, token=token)

    assert second.errors == []
    calls = sandbox.calls("cardlytics")
    assert calls[GET_ADS] == 2  # one more for the second request: loaders are per request
    assert calls[START_SESSION] == 1  # the cached session token served it


async def test_every_offer_field_is_mapped(gateway: Gateway) -> None:
    result = await gateway.execute(
        f"{{ offers(first: 1) {{ nodes {{ {OFFER_FIELDS} }} }} }}",
        token=gateway.customer(CUSTOMER),
    )

    assert result.errors == []
    assert result.data is not None
    [offer] = result.data["offers"]["nodes"]
    assert offer["id"].isdigit()
    assert offer["type"] == "CASH_BACK_OFFER"
    assert offer["rank"] == 1
    assert offer["channel"] == "MOBILE_APP"
    assert offer["serveToken"]
    assert offer["startDate"].endswith("+00:00") and offer["endDate"]
    assert offer["logo"]["small"]["width"] == 128
    assert offer["logo"]["large"]["width"] == 627
    assert offer["copy"]["headline"].endswith("Cash Back")
    reward = offer["reward"]
    assert reward["type"] in {
        "PERCENT_AMOUNT_PURCHASE",
        "FIXED_AMOUNT_PURCHASE",
        "METERED_AMOUNT_PURCHASE",
    }
    assert reward["activationModel"] in {"ACTIVATABLE", "AUTO_ACTIVATED"}
    # decimals as strings, never floats
    assert isinstance(reward["amount"], str)
    assert reward["purchaseRequirement"]["minSpendAmount"] == reward["minSpendAmount"]
    assert offer["category"]["name"]
    assert isinstance(offer["isAffiliateMarketing"], bool)


async def test_offers_are_built_with_every_field(sandbox: Sandbox) -> None:
    # given: parked and recently ended offers too
    query = AdsQuery(
        channel=Channel.MOBILE_APP,
        visibility_states=(AdVisibilityState.VISIBLE, AdVisibilityState.PARKED),
        return_metadata=True,
        include_expired_ads=True,
    )
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        ads = await client.offers.get_ads(customer("linked"), query)

    # when
    offers = [Offer.from_view(view) for view in offer_views(ads, Channel.MOBILE_APP).values()]

    # then: the builders skip the types' __init__; replace() goes through it, with every field
    assert len(offers) == len(ads.ads)
    for offer in offers:
        assert offer.reward and offer.logo and offer.copy and offer.category
        parts: list[Any] = [offer, offer.reward, offer.copy, offer.category]
        for part in parts:
            assert dataclasses.replace(part) == part
        # the logo is the answer's own part, not built
        assert offer.logo is ads.ads[offer.id].assets.logo.value  # type: ignore[union-attr]


async def test_anonymous_viewers_get_the_welcome_offers(gateway: Gateway, sandbox: Sandbox) -> None:
    welcome = await _offers(gateway, None)
    customers = await _offers(gateway, gateway.customer(CUSTOMER))

    assert welcome["totalCount"] > 0
    assert {o["id"] for o in welcome["nodes"]} != {o["id"] for o in customers["nodes"]}
    assert sandbox.calls("cardlytics")[GET_ADS] == 2


async def test_offer_by_id_shares_the_list_call(gateway: Gateway, sandbox: Sandbox) -> None:
    token = gateway.customer(CUSTOMER)
    [first, *_] = (await _offers(gateway, token))["nodes"]
    sandbox.reset_calls("cardlytics")

    result = await gateway.execute(
        f'{{ offers {{ totalCount }} offer(id: "{first["id"]}") {{ id merchantName rank }} }}',
        token=token,
    )

    assert result.errors == []
    assert result.data is not None
    assert result.data["offer"]["id"] == first["id"]
    assert result.data["offer"]["rank"] == 1
    assert sandbox.calls("cardlytics")[GET_ADS] == 1


async def test_an_unknown_offer_is_null(gateway: Gateway, sandbox: Sandbox) -> None:
    result = await gateway.execute(
        '{ offer(id: "999999999") { id } }', token=gateway.customer(CUSTOMER)
    )

    assert result.errors == []
    assert result.data == {"offer": None}
    # the default filter, then the widest one (parked and recently ended offers)
    assert sandbox.calls("cardlytics")[GET_ADS] == 2


async def test_equal_filters_in_any_order_share_one_call(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await gateway.execute(
        """{
          a: offers(filter: {sections: [DASHBOARD, LANDING]}) { totalCount }
          b: offers(filter: {sections: [LANDING, DASHBOARD, LANDING]}) { totalCount }
          c: categories(filter: {sections: [LANDING, DASHBOARD]}) { id }
          d: offers { totalCount }
        }""",
        token=gateway.customer(CUSTOMER),
    )

    assert result.errors == []
    assert result.data is not None
    assert result.data["a"] == result.data["b"]
    assert sandbox.calls("cardlytics")[GET_ADS] == 2  # the sections filter, and no filter


async def test_filters_reach_cardlytics(gateway: Gateway) -> None:
    token = gateway.customer(CUSTOMER)
    everything = await _offers(gateway, token)
    category = everything["nodes"][0]["category"]["id"]

    in_category = await _offers(gateway, token, f'{{categoryIds: ["{category}"]}}')
    activated = await _offers(gateway, token, "{activationStates: [ACTIVATED]}")
    with_expired = await _offers(gateway, token, "{includeExpired: true}")

    assert 0 < in_category["totalCount"] < everything["totalCount"]
    assert {o["category"]["id"] for o in in_category["nodes"]} == {category}
    assert activated["totalCount"] > 0
    assert {o["activationState"] for o in activated["nodes"]} == {"ACTIVATED"}
    assert with_expired["totalCount"] >= everything["totalCount"]


async def test_cursor_paging_walks_the_ranked_list(gateway: Gateway) -> None:
    token = gateway.customer(CUSTOMER)
    page = (
        "{ offers(first: 2, after: %s) { totalCount"
        " pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id rank } } }"
    )
    seen: list[int] = []
    after: str | None = None
    while True:
        result = await gateway.execute(page % (f'"{after}"' if after else "null"), token=token)
        assert result.errors == []
        assert result.data is not None
        offers = result.data["offers"]
        assert offers["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [node["rank"] for node in offers["nodes"]]
        if not offers["pageInfo"]["hasNextPage"]:
            break
        after = offers["pageInfo"]["endCursor"]

    assert seen == list(range(1, offers["totalCount"] + 1))


async def test_bad_paging_arguments_are_bad_user_input(gateway: Gateway, sandbox: Sandbox) -> None:
    token = gateway.customer(CUSTOMER)

    too_many = await gateway.execute("{ offers(first: 101) { totalCount } }", token=token)
    bad_cursor = await gateway.execute('{ offers(after: "nope") { totalCount } }', token=token)
    unknown_state = await gateway.execute(
        "{ offers(filter: {activationStates: [UNKNOWN]}) { totalCount } }", token=token
    )

    for result in (too_many, bad_cursor, unknown_state):
        assert result.data == {"offers": None}
        assert result.codes == ["BAD_USER_INPUT"]
    assert GET_ADS not in sandbox.calls("cardlytics")


async def test_a_get_ads_failure_nulls_only_the_offer_fields(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": 503})

    result = await gateway.execute(HOME, token=gateway.customer(CUSTOMER))

    assert result.data is not None
    assert result.data["offers"] is None
    assert result.data["rankings"] is None
    assert result.data["categories"] is None
    assert result.data["rewardsSummary"]["allTime"]["redemptionCount"] >= 0
    assert sorted(tuple(e["path"]) for e in result.errors) == [
        ("categories",),
        ("offers",),
        ("rankings",),
    ]
    assert set(result.codes) == {"UPSTREAM_UNAVAILABLE"}
    assert all("503" not in e["message"] for e in result.errors)
    assert sandbox.calls("cardlytics")[GET_ADS] == 1


def test_a_state_cardlytics_adds_later_reads_as_unknown() -> None:
    # The sandbox only sends documented values, so this mapping is checked directly.
    assert open_value(OfferActivationState, "ACTIVATED") is OfferActivationState.ACTIVATED
    assert open_value(OfferActivationState, "EXPIRED") is OfferActivationState.UNKNOWN
    assert open_value(OfferVisibilityState, "ARCHIVED") is OfferVisibilityState.UNKNOWN
    assert open_value(OfferVisibilityState, None) is None
