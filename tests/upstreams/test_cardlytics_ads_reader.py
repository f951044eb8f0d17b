"""The msgspec getAds reader (``read_ads``) against the pydantic models it replaced.

The old models are copied below, unchanged, as the reference: every answer here is read by both
from the same bytes, and both must reject it, or read it into the same values (compared field by
field, with their Python types: enum member or ``str``, ``Decimal`` text, datetime offset) with the
same log records. The answers are the simulator's and the seed's, and the seed's mutated: each
field removed, null, or of every wrong type, and the cases the tolerance rules name.

Where the two differ on purpose (only on input that is not the documented shape), the case is
listed in ``DIFFERENCES`` with what each does, and checked to stay that way.
"""

from __future__ import annotations

import json
import logging
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NotRequired

import msgspec
import pytest
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    model_validator,
    with_config,
)
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

from gateway.upstreams.cardlytics.models import AdRedemptions, read_ads, structs
from gateway.upstreams.cardlytics.models.ads import _PlainAds
from gateway.upstreams.cardlytics.models.base import (
    Id,
    Timestamp,
    WireModel,
    id_text,
    none_as_empty,
)
from gateway.upstreams.cardlytics.models.enums import (
    OpenActivationModel,
    OpenActivationState,
    OpenAdType,
    OpenRedemptionState,
    OpenRewardType,
    OpenVisibilityState,
)
from gateway.upstreams.cardlytics.wire import loads
from resolvers.offers import ads_query, lookup_query
from tests.sandbox.cardlytics_client import ANONYMOUS, CardlyticsApi, customer_id
from tests.support.sandbox import Sandbox
from tests.upstreams.differential import JSON, REMOVE, Rejected, logged, mutated, paths

logger = logging.getLogger("gateway.upstreams.cardlytics")

# --- the reference: the pydantic models before msgspec (commit 8cc87a8), unchanged ---------------

_PARTS = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True)


@with_config(_PARTS)
class ImageSize(TypedDict):
    url: str
    width: NotRequired[int | None]
    height: NotRequired[int | None]


@with_config(_PARTS)
class ImageVariants(TypedDict, total=False):
    large: ImageSize | None
    small: ImageSize | None


@with_config(_PARTS)
class Image(TypedDict, total=False):
    type: str | None
    value: ImageVariants


@with_config(_PARTS)
class AdCopy(TypedDict, total=False):
    type: str | None
    value: dict[str, str | None]


@with_config(_PARTS)
class CallsToAction(TypedDict, total=False):
    type: str | None
    value: dict[str, JsonValue]


@with_config(_PARTS)
class AdAssets(TypedDict, total=False):
    logo: Image | None
    large_rectangle: Image | None
    small_rectangle: Image | None
    # "copy" as on the wire
    ad_copy: Annotated[AdCopy | None, Field(alias="copy")]
    calls_to_action: CallsToAction | None


@with_config(_PARTS)
class PurchaseRequirement(TypedDict, total=False):
    min_spend_amount: Decimal | None
    purchase_channels: tuple[str, ...]
    purchase_types: tuple[str, ...]
    merchant_url_link_click_required: bool | None


class AdReward(WireModel):
    reward_type: OpenRewardType | None = None
    # a percentage for PERCENT_AMOUNT_PURCHASE, money for FIXED_AMOUNT_PURCHASE
    reward_amount: Decimal | None = None
    max_reward_amount: Decimal | None = None
    is_multi_redemption: bool | None = None
    purchase_requirement: PurchaseRequirement | None = None
    activation_model: OpenActivationModel | None = None
    # resolved: purchaseRequirement.minSpendAmount, else reward.minSpendAmount (C2#18)
    min_spend_amount: Decimal | None = None

    @model_validator(mode="before")
    @classmethod
    def _min_spend_from_requirement_first(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        requirement = data.get("purchaseRequirement")
        if isinstance(requirement, dict) and requirement.get("minSpendAmount") is not None:
            return {**data, "minSpendAmount": requirement["minSpendAmount"]}
        return data


class Ad(WireModel):
    # adId is the key of the ``ads`` map; an inner adId is only a hint (C2#18)
    ad_id: Id
    merchant_name: str
    ad_type: OpenAdType | None = None
    # absent on ads that can no longer be acted on (e.g. in the redemptions list)
    ad_serve_token: str | None = None
    start_date: Timestamp | None = None
    end_date: Timestamp | None = None
    activation_date: Timestamp | None = None
    sections: tuple[str, ...] = ()
    reward: AdReward | None = None
    activation_state: OpenActivationState | None = None
    visibility_state: OpenVisibilityState | None = None
    redemption_state: OpenRedemptionState | None = None
    assets: AdAssets | None = None
    is_affiliate_marketing: bool | None = None


class CategoryGroup(WireModel):
    id: Id
    name: str
    subcategories: tuple[CategoryGroup, ...] = ()


class Address(WireModel):
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class StoreLocation(WireModel):
    store_name: str | None = None
    address: Address | None = None
    phone_number: str | None = None
    distance: float | None = None
    latitude: float | None = None
    longitude: float | None = None


def key_ads_by_map_key(ads: Any) -> Any:
    """Give each raw ad its map key as ``adId``, warning when an inner ``adId`` disagrees."""
    if not isinstance(ads, dict):
        return ads
    keyed: dict[str, Any] = {}
    for key, ad in ads.items():
        if isinstance(ad, dict):
            inner = ad.get("adId")
            if inner is not None and _same_id(inner, key) is False:
                logger.warning(
                    "cardlytics ad id differs from its map key; key kept", extra={"ad_id": key}
                )
            ad = {**ad, "adId": key}
        keyed[key] = ad
    return keyed


def _same_id(inner: Any, key: str) -> bool:
    try:
        return bool(id_text(inner) == key)
    except ValueError:
        return False


def _ranked_ids_present(name: str, ids: Any, ads: dict[str, Any]) -> Any:
    if not isinstance(ids, list):
        return ids
    texts = [id_text(i) for i in ids]
    # a non-text entry is left in place so that validation rejects it
    missing = [text for text in texts if isinstance(text, str) and text not in ads]
    if missing:
        logger.warning(
            "cardlytics ranking lists ads it did not return; skipped",
            extra={"ranking": name, "missing_ad_ids": missing[:20]},
        )
    return [text for text in texts if not isinstance(text, str) or text in ads]


class OldAds(WireModel):
    """A getAds answer: ads keyed by adId, rankings of those ids, categories keyed by adId."""

    request_id: str | None = None
    ads: Annotated[dict[Id, Ad], BeforeValidator(none_as_empty)] = Field(default_factory=dict)
    rankings: Annotated[dict[str, tuple[Id, ...]], BeforeValidator(none_as_empty)] = Field(
        default_factory=dict
    )
    categories: Annotated[dict[Id, CategoryGroup], BeforeValidator(none_as_empty)] = Field(
        default_factory=dict
    )
    store_locations: dict[Id, tuple[StoreLocation, ...]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _reconcile(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("ads"), dict):
            return data
        ads = key_ads_by_map_key(data["ads"])
        rankings = data.get("rankings")
        if isinstance(rankings, dict):
            rankings = {name: _ranked_ids_present(name, ids, ads) for name, ids in rankings.items()}
        return {**data, "ads": ads, "rankings": rankings}

    def ranked(self, name: str = "all") -> tuple[Ad, ...]:
        """The ads of one ranking, in ranking order (``all`` is always there upstream)."""
        return tuple(self.ads[ad_id] for ad_id in self.rankings.get(name, ()))


# --- reading both ways --------------------------------------------------------------------------

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cardlytics"
SEED: dict[str, Any] = loads((FIXTURES / "get_ads_response.json").read_bytes())
AD_ID = "1000056632"

# what each of the reader's log records carries
_EXTRAS = ("enum", "value", "ad_id", "ranking", "missing_ad_ids")


def view(value: Any, *, loose: bool = False) -> Any:
    """``value`` as comparable data, each leaf with its Python type.

    ``loose`` (inside the parts that were TypedDicts): a key left out reads as its Struct's
    default, which is what the readers saw (``.get(key)``, ``.get("value", {})``), so empty
    values (None, empty maps and lists) are dropped on both sides.
    """
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
    elif isinstance(value, msgspec.Struct):
        fields = {name: getattr(value, name) for name in value.__struct_fields__}
        fields.pop("ad_id_hint", None)
    elif isinstance(value, dict):
        fields = value
    elif isinstance(value, list | tuple):
        return (type(value).__name__, [view(v, loose=loose) for v in value])
    elif isinstance(value, Enum):
        return (type(value).__name__, value.value)
    elif isinstance(value, Decimal):
        return ("Decimal", str(value))
    elif isinstance(value, datetime):
        # the zone's offset: pydantic's zones are its own TzInfo, msgspec's the stdlib's timezone
        return ("datetime", value.isoformat(), value.utcoffset())
    else:
        return (type(value).__name__, value)
    seen = {
        key: view(v, loose=loose or key in ("assets", "purchase_requirement"))
        for key, v in fields.items()
    }
    if loose:
        seen = {k: v for k, v in seen.items() if v not in (("NoneType", None), {}, ("tuple", []))}
    return seen


def read_old(content: bytes) -> Any:
    try:
        return OldAds.model_validate(loads(content))
    except ValidationError:
        return Rejected


def read_new(content: bytes) -> Any:
    try:
        return read_ads(content)
    except msgspec.DecodeError:  # a ValidationError, or JSON msgspec refuses (see DIFFERENCES)
        return Rejected


def both(content: bytes) -> tuple[Any, Any]:
    """What each reader makes of ``content``: the value's view and its log records."""
    with logged(logger, _EXTRAS) as old_logs:
        old = read_old(content)
    with logged(logger, _EXTRAS) as new_logs:
        new = read_new(content)
    if old is Rejected or new is Rejected:
        return (old is Rejected, new is Rejected)
    return (view(old), old_logs), (view(new), new_logs)


def assert_read_alike(answer: Any) -> None:
    content = answer if isinstance(answer, bytes) else JSON.encode(answer)
    old, new = both(content)
    assert old == new, content[:2000]


# --- mutations ----------------------------------------------------------------------------------

WRONG: tuple[Any, ...] = (
    *(0, 1, 7, -3, 2**40, Decimal("1.5"), Decimal("10.0"), Decimal("1E+2"), True, False),
    *("", "x", "true", "false", "1", "12", "1.50", "NaN", "Infinity", "1e3"),
    *([], {}, ["x"], [1], {"a": 1}, {"url": "u"}),
    *("2024-06-13T23:00:00", "2024-06-13", "2024-06-13 23:00:00Z", 1718319600),
)


SEED_PATHS = list(paths(SEED))
# The seed ranks an ad it does not return (a warning): this one is what ``read_ads`` reads its
# faster way (``_PlainAds``) until a mutation makes it odd, so that way is compared too.
PLAIN_SEED = SEED | {"rankings": {"all": [AD_ID]}}


def _ad(**fields: Any) -> dict[str, Any]:
    """The seed's answer with its ad's fields replaced (``None`` removes one)."""
    answer = deepcopy(SEED)
    ad = answer["ads"][AD_ID]
    for name, value in fields.items():
        if value is None:
            ad.pop(name, None)
        else:
            ad[name] = value
    return answer


def _reward(**fields: Any) -> dict[str, Any]:
    return _ad(reward={**SEED["ads"][AD_ID]["reward"], **fields})


def _requirement(**fields: Any) -> dict[str, Any]:
    requirement = SEED["ads"][AD_ID]["reward"]["purchaseRequirement"]
    return _reward(purchaseRequirement={**requirement, **fields})


TIMESTAMPS = (
    *("2024-06-13T23:00:00", "2024-06-13T23:00:00Z", "2024-06-13T23:00:00+01:00"),
    *("2024-06-13T23:00:00-05:30", "2024-06-13T23:00:00.123Z", "2024-06-13T23:00:00.123456Z"),
    *("2024-06-13T23:00:00.1234567Z", "2024-06-13T23:00Z", "2024-06-13t23:00:00z"),
    *("2024-06-13 23:00:00", "2024-06-13T23:00:00+0100", "2024-06-13T23:00:00+01"),
    *("2024-06-13T24:00:00Z", "2024-02-30T00:00:00Z", "2024-06-13T23:00:00.Z", "20240613T230000Z"),
)
MONEY: tuple[Any, ...] = (
    *(Decimal("10.0"), Decimal("1.50"), Decimal("0"), Decimal("-0.0"), Decimal("5"), 5, 0),
    *(Decimal("1E+2"), Decimal("1.5E-3"), Decimal("12345678901234567890"), 10**25),
    *(Decimal("1234567890.1234567890"), Decimal("0.00000000000000000001")),
    *("1.50", "10", "1e2", " 1.5", "NaN", "-Infinity", "abc", ""),
)
IDS: tuple[Any, ...] = (
    *(AD_ID, int(AD_ID), Decimal(f"{AD_ID}.0"), Decimal("1.000056632E+9"), Decimal(AD_ID + ".5")),
    *("", " ", "0", 0, -1, True, None, [AD_ID], {"id": AD_ID}, Decimal("1E+400"), 10**30),
)
ENUMS = ("adType", "activationState", "visibilityState", "redemptionState")

CASES: dict[str, Any] = {
    "seed": SEED,
    "extra keys everywhere": _ad(
        extra=1,
        reward={**SEED["ads"][AD_ID]["reward"], "extra": [1], "future": {"a": None}},
        assets={**SEED["ads"][AD_ID]["assets"], "extra": "x", "video": {"type": "V"}},
    )
    | {"extra": {"x": 1}, "storeLocations": {AD_ID: [{"storeName": "s", "extra": 1}]}},
    "store locations": SEED
    | {
        "storeLocations": {
            AD_ID: [
                {
                    "storeName": "S",
                    "distance": Decimal("1.25"),
                    "latitude": 51,
                    "longitude": "-0.1",
                },
                {"address": {"addressLine1": "1 Road", "postalCode": "AB1"}, "phoneNumber": None},
            ],
            "": [],
        }
    },
    "store locations keyed by an empty id": SEED | {"storeLocations": {"": []}},
    "all maps null": {"ads": None, "rankings": None, "categories": None, "storeLocations": None},
    "empty object": {},
    "not an object": [SEED],
    "ad is null": SEED | {"ads": {AD_ID: None}},
    "ad keyed by an empty id": SEED | {"ads": {"": SEED["ads"][AD_ID]}, "rankings": {}},
    "category keyed by an empty id": SEED | {"categories": {"": {"id": "1", "name": "n"}}},
    "ranking null": SEED | {"rankings": {"all": None}},
    "ranking of several names": SEED | {"rankings": {"all": [AD_ID, 1000058746], "x": [AD_ID]}},
    "ranking repeats an id": SEED | {"rankings": {"all": [AD_ID, int(AD_ID), AD_ID]}},
    "subcategories": SEED
    | {"categories": {AD_ID: {"id": 7, "name": "F", "subcategories": [{"id": "8", "name": "G"}]}}},
    "subcategories null": SEED
    | {"categories": {AD_ID: {"id": 7, "name": "F", "subcategories": None}}},
    "min spend only on the reward": _reward(
        minSpendAmount=Decimal("25.00"), purchaseRequirement={"purchaseChannels": ["Online"]}
    ),
    "min spend on both": _reward(minSpendAmount=Decimal("25.00")),
    "min spend null on the requirement": _requirement(minSpendAmount=None) | {},
    "requirement null": _reward(purchaseRequirement=None, minSpendAmount=Decimal("3")),
    "reward null": _ad(reward=None),
    "assets null parts": _ad(
        assets={"logo": None, "copy": None, "largeRectangle": None, "callsToAction": None}
    ),
    "calls to action": _ad(
        assets={"callsToAction": {"type": "CTA", "value": {"a": 1, "b": "x", "c": [None, True]}}}
    ),
    "logo without its variants": _ad(assets={"logo": {"type": "IMAGE_URL"}}),
    "logo variants null": _ad(assets={"logo": {"type": "IMAGE_URL", "value": None}}),
    "copy texts null": _ad(assets={"copy": {"type": "AD_COPY", "value": {"headline": None}}}),
    "copy texts not text": _ad(assets={"copy": {"value": {"headline": 5}}}),
    "sections": _ad(sections=["Email", "Unknown", ""]),
    "sections null": _ad(sections=None) | {},
    "duplicate keys": b'{"ads": {"1": {"merchantName": "a"}, "1": {"merchantName": "b"}}}',
    "duplicate fields": b'{"ads": {"1": {"merchantName": "a", "merchantName": "b"}}}',
    "unicode escapes": b'{"ads": {"\\u0031": {"merchantName": "caf\\u00e9 \\ud83d\\ude00"}}}',
    "big integer amount": b'{"ads": {"1": {"merchantName": "m", "reward": {"rewardAmount": '
    + b"9" * 40
    + b"}}}}",
    "huge exponent": b'{"ads": {"1": {"merchantName": "m", "reward": {"rewardAmount": 1e400}}}}',
    "negative zero id": b'{"ads": {"1": {"merchantName": "m"}}, "rankings": {"all": [-0.0]}}',
}
for field in ENUMS:
    CASES[f"{field} unknown"] = _ad(**{field: "SOMETHING_NEW"})
    CASES[f"{field} lower case"] = _ad(**{field: "cash_back_offer"})
for field in ("rewardType", "activationModel"):
    CASES[f"reward {field} unknown"] = _reward(**{field: "SOMETHING_NEW"})
    CASES[f"reward {field} empty"] = _reward(**{field: ""})
for text in TIMESTAMPS:
    CASES[f"timestamp {text}"] = _ad(startDate=text, activationDate=text)
for amount in MONEY:
    CASES[f"money {amount!r}"] = _reward(rewardAmount=amount, maxRewardAmount=amount)
    CASES[f"min spend {amount!r}"] = _requirement(minSpendAmount=amount)
for number, an_id in enumerate(IDS):
    CASES[f"ranked id {an_id!r} ({number})"] = SEED | {"rankings": {"all": [an_id]}}
    CASES[f"inner ad id {an_id!r} ({number})"] = _ad(adId=an_id)
    CASES[f"category id {an_id!r} ({number})"] = SEED | {
        "categories": {AD_ID: {"id": an_id, "name": "Food"}}
    }
    if isinstance(an_id, str):
        CASES[f"ad key {an_id!r} ({number})"] = SEED | {
            "ads": {an_id: SEED["ads"][AD_ID]},
            "rankings": {"all": [an_id]},
        }


# --- where they differ, on purpose --------------------------------------------------------------

_SIZE = ("ads", AD_ID, "assets", "logo", "value", "small", "width")
_LOOSE = ("ads", AD_ID, "reward", "isMultiRedemption")


@dataclass(frozen=True)
class Difference:
    why: str
    answer: bytes
    old_reads: bool
    new_reads: bool


def _text(answer: Any) -> bytes:
    return answer if isinstance(answer, bytes) else JSON.encode(answer)


DIFFERENCES = {
    # None of these is the documented shape; each is a choice, written down here.
    "ads null, rankings listing ids": Difference(
        "the ids are dropped with the usual warning (ranked() works); pydantic kept them, as "
        "its reconciling ran only on an ads map, and ranked() then raised KeyError",
        _text(SEED | {"ads": None}),
        old_reads=True,
        new_reads=True,
    ),
    "image size true": Difference(
        "a boolean is no size: msgspec refuses it, pydantic read true as 1",
        _text(mutated(SEED, _SIZE, True)),
        old_reads=True,
        new_reads=False,
    ),
    "image size in exponent text": Difference(
        'msgspec (lax) reads the text "1e3" as 1000, pydantic refused it',
        _text(mutated(SEED, _SIZE, "1e3")),
        old_reads=False,
        new_reads=True,
    ),
    "calls to action with a fraction": Difference(
        "read as a Decimal; pydantic's JsonValue refused the Decimal that loads made, and with "
        "it the whole answer (nothing reads callsToAction)",
        _text(_ad(assets={"callsToAction": {"value": {"a": Decimal("1.5")}}})),
        old_reads=False,
        new_reads=True,
    ),
    "min spend on both, the reward's not a number": Difference(
        "each amount must be a number; pydantic replaced the reward's by the requirement's "
        "before it validated it",
        _text(_reward(minSpendAmount="abc")),
        old_reads=True,
        new_reads=False,
    ),
    "lone surrogate": Difference(
        "msgspec refuses a \\u escape that is half a surrogate pair (no Unicode text); "
        "json.loads kept it",
        b'{"ads": {"1": {"merchantName": "\\ud83d"}}}',
        old_reads=True,
        new_reads=False,
    ),
}


def _documented(path: tuple[Any, ...], value: Any) -> bool:
    """A mutation that is one of DIFFERENCES."""
    if path[-1] in ("width", "height"):
        return value in ("1e3", True, False) and isinstance(value, str | bool)
    return path == ("ads",) and (value is REMOVE or value is None)


@pytest.mark.parametrize("name", DIFFERENCES)
def test_differences_from_the_pydantic_models_are_the_documented_ones(name: str) -> None:
    difference = DIFFERENCES[name]
    assert (read_old(difference.answer) is not Rejected) is difference.old_reads
    assert (read_new(difference.answer) is not Rejected) is difference.new_reads
    if difference.old_reads and difference.new_reads:
        assert both(difference.answer)[0] != both(difference.answer)[1]


def test_ads_null_drops_the_ranked_ids_with_a_warning() -> None:
    with logged(logger, _EXTRAS) as logs:
        ads = read_ads(DIFFERENCES["ads null, rankings listing ids"].answer)
    assert (ads.ads, ads.rankings["all"], ads.ranked()) == ({}, (), ())
    assert any(level == "WARNING" and "did not return" in message for level, message, *_ in logs)


# --- alike everywhere else ----------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_cases_of_the_tolerance_rules_read_alike(name: str) -> None:
    assert_read_alike(CASES[name])


@pytest.mark.parametrize("path", SEED_PATHS, ids=lambda path: ".".join(map(str, path)))
def test_each_field_removed_null_or_of_a_wrong_type_reads_alike(path: tuple[Any, ...]) -> None:
    for value in (REMOVE, None, *WRONG):
        if (value is REMOVE and isinstance(path[-1], int)) or _documented(path, value):
            continue
        assert_read_alike(mutated(SEED, path, value))


@pytest.mark.parametrize("path", list(paths(PLAIN_SEED)), ids=lambda path: ".".join(map(str, path)))
def test_each_field_of_a_plain_answer_removed_null_or_of_a_wrong_type_reads_alike(
    path: tuple[Any, ...],
) -> None:
    assert isinstance(read_ads(JSON.encode(PLAIN_SEED)), _PlainAds)
    for value in (REMOVE, None, *WRONG):
        if (value is REMOVE and isinstance(path[-1], int)) or _documented(path, value):
            continue
        assert_read_alike(mutated(PLAIN_SEED, path, value))


@pytest.fixture(scope="module")
def sandbox_answers(shared_sandbox: Sandbox) -> list[bytes]:
    """getAds answers of the simulator: several customers, each filter the gateway sends."""
    api = CardlyticsApi(shared_sandbox.cardlytics_url)
    answers = []
    for customer in (*(customer_id(n) for n in range(1, 7)), ANONYMOUS):
        session = api.session(customer)
        for query in (ads_query(), lookup_query(ads_query().channel)):
            response = session.get_ads(query.payload())
            assert response.status_code == 200
            answers.append(response.content)
    return answers


def test_sandbox_answers_read_alike(sandbox_answers: list[bytes]) -> None:
    for answer in sandbox_answers:
        old, new = both(answer)
        assert old == new
        assert old[0]["ads"]  # a real answer, not two rejections


def test_sandbox_answers_are_read_the_plain_way(sandbox_answers: list[bytes]) -> None:
    # the faster reading, which the usual answer must not miss (a miss costs a second decode)
    for answer in sandbox_answers:
        assert isinstance(read_ads(answer), _PlainAds)


def test_sandbox_ads_mutated_field_by_field_read_alike(sandbox_answers: list[bytes]) -> None:
    # the richest answer's first ads, each field of them mutated as the seed's are
    answer = json.loads(max(sandbox_answers, key=len), parse_float=Decimal)
    first = dict(list(answer["ads"].items())[:3])
    answer = answer | {"ads": first}
    # ranking only those (read the plain way, _PlainAds) and all the others (the warning's way)
    for rankings in ({"all": list(first)}, answer["rankings"]):
        for path in paths(first):
            for value in (REMOVE, None, *WRONG):
                if (value is REMOVE and isinstance(path[-1], int)) or _documented(path, value):
                    continue
                assert_read_alike(mutated(answer | {"rankings": rankings}, ("ads", *path), value))


# --- the redemptions answer's ads ---------------------------------------------------------------


def _ads_of_redemptions(content: bytes) -> Any:
    """Its ``ads`` map read the old way (the same keying and ``dict[Id, Ad]`` as ``OldAds``) and
    the new (``AdRedemptions``, through ``convert_ads`` from what ``loads`` read)."""
    ads = loads(content).get("ads")
    try:
        old = view(OldAds.model_validate({"ads": ads}).ads)
    except ValidationError:
        old = Rejected
    try:
        new = view(AdRedemptions.model_validate({"ads": ads}).ads)
    except ValidationError:
        new = Rejected
    return old, new


@pytest.mark.parametrize(
    "name", [name for name, answer in CASES.items() if isinstance(answer, dict)]
)
def test_redemptions_ads_read_alike(name: str) -> None:
    old, new = _ads_of_redemptions(JSON.encode(CASES[name]))
    assert old == new


def test_redemptions_ads_mutated_field_by_field_read_alike() -> None:
    for path in paths(SEED["ads"]):
        for value in (REMOVE, None, *WRONG):
            if (value is REMOVE and isinstance(path[-1], int)) or _documented(path, value):
                continue
            old, new = _ads_of_redemptions(JSON.encode({"ads": mutated(SEED["ads"], path, value)}))
            assert old == new, (path, value)


# --- timestamps read once -----------------------------------------------------------------------


def test_a_timestamp_text_read_again_is_the_same_datetime_as_read_first() -> None:
    # given: an answer whose start date no earlier test used
    text = "2031-02-03T04:05:06.789+05:30"
    answer = _ad(startDate=text)

    # when: read twice
    first = read_ads(JSON.encode(answer)).ads[AD_ID].start_date
    again = read_ads(JSON.encode(answer)).ads[AD_ID].start_date

    # then: pydantic's reading, kept (the same object), offset and all
    reference = read_old(JSON.encode(answer)).ads[AD_ID].start_date
    assert first is not None and reference is not None
    assert again is first
    assert (first, first.utcoffset()) == (reference, reference.utcoffset())


def test_a_wrong_timestamp_is_refused_every_time_it_comes() -> None:
    answer = JSON.encode(_ad(endDate="2031-13-45T99:00:00Z"))
    for _ in range(2):
        with pytest.raises(msgspec.ValidationError):
            read_ads(answer)


def test_the_timestamps_kept_stay_within_their_bound() -> None:
    # given: more distinct timestamp texts than are kept
    kept = structs.TIMESTAMPS_KEPT
    for second in range(kept + 10):
        structs.wire_timestamp(f"2032-01-01T00:00:00.{second:06d}Z")

        # then
        assert len(structs._TIMESTAMPS) <= kept
    assert structs.wire_timestamp("2032-01-01T00:00:00.000001Z").microsecond == 1
