"""The ``filter`` argument of offers, rankings and categories: each field set, omitted or null
reaches Cardlytics as it should, and a bad value gets graphql-core's own error.

``OfferFilter`` builds its value itself (Strawberry's ``from_input`` hook, see
``schema.offers``); the last test checks it against Strawberry's own conversion.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLInputObjectType, coerce_input_value
from strawberry.types.arguments import convert_argument
from strawberry.types.base import get_object_definition

from gateway.upstreams.cardlytics.models import AdsQuery, Channel
from schema import schema
from schema.offers import OfferFilter
from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import cardlytics_client, customer

CUSTOMER = "customer-linked"

FILTERED = """
query Filtered($filter: OfferFilter) {
  offers(filter: $filter) { nodes { id channel } }
  rankings(filter: $filter) { name offers { id } }
  categories(filter: $filter) { offers { id } }
}
"""

# Each filter field set, and the getAds filter it must make (beside returnMetadata).
ONE_FIELD: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "channel": ({"channel": "OLB"}, {"channel": "OLB"}),
    "sections": ({"sections": ["DASHBOARD", "SUMMARY"]}, {"sections": ["Dashboard", "Summary"]}),
    "categoryIds": ({"categoryIds": ["5", 6]}, {"category_ids": ["5", "6"]}),
    "curationIds": ({"curationIds": ["101"]}, {"curation_ids": ["101"]}),
    "activationStates": ({"activationStates": ["SERVED"]}, {"activation_states": ["SERVED"]}),
    "visibilityStates": ({"visibilityStates": ["PARKED"]}, {"visibility_states": ["PARKED"]}),
    "redemptionStates": (
        {"redemptionStates": ["PROCESSING"]},
        {"redemption_states": ["PROCESSING"]},
    ),
    "includeExpired": ({"includeExpired": True}, {"include_expired_ads": True}),
    "every field": (
        {
            "channel": "MOBILE_WEB",
            "sections": ["LANDING"],
            "categoryIds": ["1", "2", "5"],
            "curationIds": ["101", "102"],
            "activationStates": ["NEW", "SERVED", "ACTIVATED"],
            "visibilityStates": ["VISIBLE", "PARKED"],
            "redemptionStates": ["PROCESSING"],
            "includeExpired": True,
        },
        {
            "channel": "MobileWeb",
            "sections": ["Landing"],
            "category_ids": ["1", "2", "5"],
            "curation_ids": ["101", "102"],
            "activation_states": ["NEW", "SERVED", "ACTIVATED"],
            "visibility_states": ["VISIBLE", "PARKED"],
            "redemption_states": ["PROCESSING"],
            "include_expired_ads": True,
        },
    ),
}

# What leaves every field at its default: no filter, or each field omitted or null.
DEFAULTS: dict[str, dict[str, Any]] = {
    "no filter": {},
    "null": {"filter": None},
    "every field omitted": {"filter": {}},
    "every list null": {
        "filter": {
            "sections": None,
            "categoryIds": None,
            "curationIds": None,
            "activationStates": None,
            "visibilityStates": None,
            "redemptionStates": None,
        }
    },
    "the defaults given": {"filter": {"channel": "MOBILE_APP", "includeExpired": False}},
}

# graphql-core's messages, as they were before OfferFilter built its own value.
BAD_VALUES: dict[str, tuple[Any, str]] = {
    "null channel": (
        {"channel": None},
        "Variable '$filter' has invalid value at .channel: Expected value of non-null type "
        "'Channel!' not to be None.",
    ),
    "null includeExpired": (
        {"includeExpired": None},
        "Variable '$filter' has invalid value at .includeExpired: Expected value of non-null "
        "type 'Boolean!' not to be None.",
    ),
    "unknown channel": (
        {"channel": "NOPE"},
        "Variable '$filter' has invalid value at .channel: Value 'NOPE' does not exist in "
        "'Channel' enum.",
    ),
    "unknown section": (
        {"sections": ["DASHBOARD", "NOPE"]},
        "Variable '$filter' has invalid value at .sections[1]: Value 'NOPE' does not exist in "
        "'Section' enum.",
    ),
    "null in a list": (
        {"activationStates": [None]},
        "Variable '$filter' has invalid value at .activationStates[0]: Expected value of "
        "non-null type 'OfferActivationState!' not to be None.",
    ),
    "not an id": (
        {"categoryIds": [1.5]},
        "Variable '$filter' has invalid value at .categoryIds[0]: ID cannot represent value: 1.5",
    ),
    "not a boolean": (
        {"includeExpired": "yes"},
        "Variable '$filter' has invalid value at .includeExpired: Boolean cannot represent a "
        "non boolean value: 'yes'",
    ),
    "unknown field": (
        {"bogus": 1},
        "Variable '$filter' has invalid value: Expected value of type 'OfferFilter' not to "
        "include unknown field 'bogus', found: {'bogus': 1}.",
    ),
    "not an object": (
        "MOBILE_APP",
        "Variable '$filter' has invalid value: Expected value of type 'OfferFilter' to be an "
        "object, found: 'MOBILE_APP'.",
    ),
}


async def _cardlytics_ids(sandbox: Sandbox, **fields: Any) -> list[str]:
    """The ids getAds gives for this filter, asked directly, in ranking order."""
    query = AdsQuery(**{"channel": Channel.MOBILE_APP, "return_metadata": True, **fields})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        answer = await client.offers.get_ads(customer("linked"), query)
    return [ad.ad_id for ad in answer.ranked()]


async def _filtered(gateway: Gateway, variables: dict[str, Any]) -> dict[str, Any]:
    result = await gateway.execute(FILTERED, variables, token=gateway.customer(CUSTOMER))
    assert result.errors == []
    assert result.data is not None
    return result.data


def _ids(data: dict[str, Any]) -> list[str]:
    """The offers' ids, after checking that the three fields agree on them."""
    ids = [node["id"] for node in data["offers"]["nodes"]]
    [ranking] = data["rankings"]
    assert [offer["id"] for offer in ranking["offers"]] == ids
    assert sorted(o["id"] for c in data["categories"] for o in c["offers"]) == sorted(ids)
    return ids


@pytest.mark.parametrize("case", list(ONE_FIELD))
async def test_each_filter_field_reaches_cardlytics(
    gateway: Gateway, sandbox: Sandbox, case: str
) -> None:
    # given
    sent, upstream = ONE_FIELD[case]
    expected = await _cardlytics_ids(sandbox, **upstream)
    unfiltered = await _cardlytics_ids(sandbox)

    # when
    data = await _filtered(gateway, {"filter": sent})

    # then
    assert _ids(data) == expected
    if case == "channel":  # the same offers, served for the channel asked for
        assert {node["channel"] for node in data["offers"]["nodes"]} == {"OLB"}
    else:
        assert expected != unfiltered


@pytest.mark.parametrize("case", list(DEFAULTS))
async def test_a_filter_field_omitted_or_null_is_its_default(
    gateway: Gateway, sandbox: Sandbox, case: str
) -> None:
    data = await _filtered(gateway, DEFAULTS[case])

    assert _ids(data) == await _cardlytics_ids(sandbox)
    assert {node["channel"] for node in data["offers"]["nodes"]} == {"MOBILE_APP"}


@pytest.mark.parametrize("case", list(BAD_VALUES))
async def test_a_bad_filter_value_is_graphql_cores_error(
    gateway: Gateway, sandbox: Sandbox, case: str
) -> None:
    value, message = BAD_VALUES[case]

    result = await gateway.execute(FILTERED, {"filter": value}, token=gateway.customer(CUSTOMER))

    assert result.data is None
    assert [error["message"] for error in result.errors] == [message]
    assert result.codes == ["BAD_USER_INPUT"]
    assert "POST /v2/ads/getAds" not in sandbox.calls("cardlytics")


@pytest.mark.parametrize("field", ["activationStates", "visibilityStates", "redemptionStates"])
async def test_unknown_cannot_be_filtered_on(gateway: Gateway, field: str) -> None:
    result = await gateway.execute(
        FILTERED, {"filter": {field: ["UNKNOWN"]}}, token=gateway.customer(CUSTOMER)
    )

    assert result.data == {"offers": None, "rankings": None, "categories": None}
    assert {error["message"] for error in result.errors} == {
        f"{field}: UNKNOWN cannot be filtered on"
    }
    assert result.codes == ["BAD_USER_INPUT"] * 3


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"channel": "OLB", "includeExpired": True},
        {"sections": None, "categoryIds": [], "curationIds": None},
        {case: sent[case] for case, (sent, _) in ONE_FIELD.items() if case in sent},
        ONE_FIELD["every field"][0],
    ],
)
def test_the_filter_is_built_as_strawberry_builds_it(
    monkeypatch: pytest.MonkeyPatch, value: dict[str, Any]
) -> None:
    # given: the value as graphql-core hands it to Strawberry (defaults filled in)
    filter_type = schema._schema.type_map["OfferFilter"]
    assert isinstance(filter_type, GraphQLInputObjectType)
    coerced = coerce_input_value(value, filter_type)
    registry, config = schema.schema_converter.scalar_registry, schema.config

    # when
    ours = convert_argument(coerced, OfferFilter, registry, config)
    monkeypatch.setattr(get_object_definition(OfferFilter, strict=True), "from_input", None)
    strawberrys = convert_argument(coerced, OfferFilter, registry, config)

    # then: equal, and no list shared with graphql-core's value (its defaults are shared)
    assert ours == strawberrys
    given = [v for v in coerced.values() if isinstance(v, list)]
    assert not any(v is g for v in vars(ours).values() for g in given)
