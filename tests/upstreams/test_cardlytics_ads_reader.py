"""``read_ads`` (getAds through the parts kept from earlier answers) against ``Ads.model_validate``.

Every answer is read three ways: validated from scratch, read with nothing kept yet, and read
again once its parts are kept (and after other answers were): values, their Python types, the
fields set and the errors must be the same each time.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from gateway.upstreams.cardlytics.models import Ads, AdsQuery, Channel
from gateway.upstreams.cardlytics.models.ads import forget_known_parts, read_ads
from gateway.upstreams.cardlytics.wire import loads
from tests.sandbox.cardlytics_client import CardlyticsApi, customer_id
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import cardlytics_client, customer

SEED = loads(
    (Path(__file__).parents[1] / "fixtures" / "cardlytics" / "get_ads_response.json").read_bytes()
)
AD_ID = "1000056632"
HOME = {
    "channel": "MobileApp",
    "visibilityStates": ["PARKED", "VISIBLE"],
    "returnMetadata": True,
    "includeExpiredAds": True,
}
_GONE = object()


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    forget_known_parts()
    yield
    forget_known_parts()


def outcome(read: Callable[[Any], Ads], body: Any) -> tuple[str, Any]:
    try:
        ads = read(copy.deepcopy(body))
    except ValidationError as error:
        return "error", (error.errors(include_url=False), str(error))
    return "value", (ads, ads.model_dump(), _typed(ads.model_dump()), _fields_set(ads))


def _typed(value: Any) -> Any:
    """``value`` with the type (and text) of every leaf: an enum member is not its str, a
    Decimal's text counts, and so does the kind of a timestamp's zone."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [type(value).__name__, *(_typed(item) for item in value)]
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), type(value.tzinfo).__name__)
    return (type(value).__name__, str(value))


def _fields_set(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return (
            sorted(value.model_fields_set),
            {name: _fields_set(item) for name, item in value.__dict__.items()},
        )
    if isinstance(value, dict):
        return {key: _fields_set(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_fields_set(item) for item in value]
    return None


def assert_read_alike(body: Any, *, after: tuple[Any, ...] = ()) -> None:
    expected = outcome(Ads.model_validate, body)
    forget_known_parts()
    for earlier in after:  # parts of other answers kept first
        outcome(read_ads, earlier)
    assert outcome(read_ads, body) == expected  # its parts not kept yet
    assert outcome(read_ads, body) == expected  # its parts kept


def sandbox_answers(sandbox: Sandbox) -> list[Any]:
    api = CardlyticsApi(sandbox.cardlytics_url)
    answers = []
    for n in ("reader-1", "reader-2"):
        session = api.session(customer_id(n))
        for query in (HOME, {"channel": "OLB"}, {"channel": "OLB", "maxAdLimit": 3}):
            response = session.get_ads(query)
            assert response.status_code == 200, response.text[:500]
            answers.append(loads(response.content))
    return answers


# --- the sandbox's own answers ------------------------------------------------------------------


def test_sandbox_answers_read_alike(sandbox: Sandbox) -> None:
    answers = sandbox_answers(sandbox)
    assert sum(len(answer["ads"]) for answer in answers) > 100
    for n, answer in enumerate(answers):
        assert_read_alike(answer, after=tuple(answers[:n]))


def test_an_answer_takes_the_parts_kept_from_an_earlier_one(sandbox: Sandbox) -> None:
    answers = sandbox_answers(sandbox)
    # two customers' home screens
    first, second = read_ads(answers[0]), read_ads(answers[3])
    shared = set(first.ads) & set(second.ads)
    assert shared
    for ad_id in shared:
        assert first.ads[ad_id].assets is not None
        assert second.ads[ad_id].assets is first.ads[ad_id].assets
        assert second.ads[ad_id].reward is first.ads[ad_id].reward
    # validated without the kept parts, nothing is shared
    again = Ads.model_validate(answers[0])
    assert all(again.ads[i].reward is not first.ads[i].reward for i in shared)


async def test_the_client_reads_get_ads_through_the_kept_parts(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        query = AdsQuery(channel=Channel.MOBILE_APP, return_metadata=True)
        first = await client.offers.get_ads(customer("reader"), query)
        second = await client.offers.get_ads(customer("reader"), query)

    assert first.ads and first.ads.keys() == second.ads.keys()
    assert [a.ad_serve_token for a in first.ads.values()] != [
        a.ad_serve_token for a in second.ads.values()
    ]
    for ad_id, ad in first.ads.items():
        assert ad.assets is not None and second.ads[ad_id].assets is ad.assets
        assert ad.reward is not None and second.ads[ad_id].reward is ad.reward


# --- mutated answers ----------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key))


def _changed(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    node = body
    for key in path[:-1]:
        node = node[key]
    if value is _GONE:
        del node[path[-1]]
    else:
        node[path[-1]] = copy.deepcopy(value)
    return body


WRONG = [_GONE, None, 7, 0, "x", "", [], {}, True, Decimal("1.50"), [1], {"a": 1}, ["x"]]
EVERY_PART_CHANGED = [
    pytest.param(path, value, id=f"{'.'.join(map(str, path[2:]))}={value!r}")
    for path in _paths(SEED["ads"][AD_ID], ("ads", AD_ID))
    for value in WRONG
    if not (value is _GONE and isinstance(path[-1], int))
]


@pytest.mark.parametrize(("path", "value"), EVERY_PART_CHANGED)
def test_every_part_changed_reads_alike(path: tuple[Any, ...], value: Any) -> None:
    assert_read_alike(_changed(SEED, path, value), after=(SEED,))


REWARD = ("ads", AD_ID, "reward")
REQUIREMENT = (*REWARD, "purchaseRequirement")
ASSETS = ("ads", AD_ID, "assets")
SPECIAL = {
    "unknown reward type": ((*REWARD, "rewardType"), "GIFT_CARD"),
    "unknown activation model": ((*REWARD, "activationModel"), "DORMANT"),
    "unknown ad type": (("ads", AD_ID, "adType"), "BANNER"),
    "unknown states": (("ads", AD_ID, "activationState"), "EXPIRED"),
    "money with trailing zeros": ((*REWARD, "rewardAmount"), Decimal("5.000")),
    "money with an exponent": ((*REWARD, "rewardAmount"), Decimal("5E+1")),
    "money with many digits": ((*REWARD, "rewardAmount"), Decimal("0.1000000000000000055511")),
    "money as an int": ((*REWARD, "maxRewardAmount"), 30),
    "money as text": ((*REWARD, "maxRewardAmount"), "30.0"),
    "money as a huge int": ((*REWARD, "maxRewardAmount"), 2**70),
    "requirement spend null": ((*REQUIREMENT, "minSpendAmount"), None),
    "requirement spend as text": ((*REQUIREMENT, "minSpendAmount"), "0.20"),
    "reward spend only": ((*REWARD, "minSpendAmount"), Decimal("7.5")),
    "requirement by its Python name": ((*REWARD, "purchase_requirement"), {"minSpendAmount": 1}),
    "spend by its Python name": ((*REQUIREMENT, "min_spend_amount"), Decimal("9")),
    "copy by its Python name": ((*ASSETS, "ad_copy"), {"type": "AD_COPY"}),
    "unknown reward key": ((*REWARD, "bonus"), {"x": [1, 2]}),
    "unknown assets key": ((*ASSETS, "banner"), {"type": "IMAGE_URL"}),
    "calls to action": ((*ASSETS, "callsToAction"), {"type": "CTA", "value": {"a": "b", "n": 1}}),
    "calls to action with money": ((*ASSETS, "callsToAction"), {"value": {"a": Decimal("1.5")}}),
    "image size as a float text": ((*ASSETS, "logo", "value", "large", "width"), "627"),
    "image size as a boolean": ((*ASSETS, "logo", "value", "large", "width"), True),
    "lone surrogate in the copy": ((*ASSETS, "copy", "value", "headline"), "\ud800"),
    "timestamp without a zone": (("ads", AD_ID, "startDate"), "2024-06-13T23:00:00"),
    "timestamp with an offset": (("ads", AD_ID, "startDate"), "2024-06-13T23:00:00+02:00"),
    "numeric ad id inside": (("ads", AD_ID, "adId"), int(AD_ID)),
    "ad id that disagrees": (("ads", AD_ID, "adId"), "1"),
    "ranking of a missing ad": (("rankings", "all"), ["42", AD_ID]),
    "numeric ranking ids": (("rankings", "all"), [int(AD_ID)]),
    "null ads": (("ads",), None),
    "null rankings": (("rankings",), None),
    "null categories": (("categories",), None),
    "an ad that is a list": (("ads", AD_ID), [1]),
}


@pytest.mark.parametrize(("path", "value"), list(SPECIAL.values()), ids=list(SPECIAL))
def test_special_answers_read_alike(path: tuple[Any, ...], value: Any) -> None:
    assert_read_alike(_changed(SEED, path, value), after=(SEED,))


LOOK_ALIKE = {
    # inputs whose JSON text would be the same if a Decimal were written as a number or text
    "decimal and text": (Decimal("5.0"), "5.0"),
    "decimal and int": (Decimal("5"), 5),
    "int and boolean": (1, True),
    "text and int": ("5", 5),
}


@pytest.mark.parametrize(
    "where",
    [
        (*REWARD, "rewardAmount"),
        (*REWARD, "rewardType"),
        (*REWARD, "isMultiRedemption"),
        (*ASSETS, "logo", "value", "large", "width"),
        (*ASSETS, "copy", "value", "headline"),
    ],
)
@pytest.mark.parametrize(("one", "other"), list(LOOK_ALIKE.values()), ids=list(LOOK_ALIKE))
def test_look_alike_parts_are_not_taken_for_each_other(
    where: tuple[Any, ...], one: Any, other: Any
) -> None:
    first, second = _changed(SEED, where, one), _changed(SEED, where, other)
    assert_read_alike(second, after=(first,))
    assert_read_alike(first, after=(second,))


def test_an_unknown_reward_type_is_logged_at_every_read(caplog: pytest.LogCaptureFixture) -> None:
    body = _changed(SEED, (*REWARD, "rewardType"), "GIFT_CARD")

    with caplog.at_level(logging.WARNING, "gateway.upstreams.cardlytics"):
        for _ in range(3):
            read_ads(copy.deepcopy(body))

    assert [getattr(r, "value", None) for r in caplog.records].count("GIFT_CARD") == 3
