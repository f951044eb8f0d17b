"""getAds: the request filter we send (pydantic) and the ads, rankings and categories we get back
(msgspec Structs, read from the answer's bytes by ``read_ads``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from pydantic import ConfigDict, Field, field_validator

from gateway.upstreams.cardlytics.models.base import Id, OpenMembers, WireModel
from gateway.upstreams.cardlytics.models.enums import (
    ActivationModel,
    AdActivationState,
    AdRedemptionState,
    AdType,
    AdVisibilityState,
    Channel,
    RewardType,
    Section,
)
from gateway.upstreams.cardlytics.models.structs import (
    Part,
    finite,
    wire_id,
    wire_timestamp,
    zoned_timestamp,
)

__all__ = [
    "Ad",
    "AdAssets",
    "AdCopy",
    "AdReward",
    "Ads",
    "AdsQuery",
    "CategoryGroup",
    "Image",
    "ImageSize",
    "ImageVariants",
    "PurchaseRequirement",
    "StoreLocation",
    "convert_ads",
    "read_ads",
]

logger = logging.getLogger("gateway.upstreams.cardlytics")

# how a frozen Struct's __post_init__ puts its read values in place
_set = msgspec.structs.force_setattr

MAX_INT32 = 2**31 - 1

# open enums: ``map[text]`` is the member, or the text itself (logged) when it is not one
_AD_TYPES = OpenMembers(AdType)
_ACTIVATION_STATES = OpenMembers(AdActivationState)
_VISIBILITY_STATES = OpenMembers(AdVisibilityState)
_REDEMPTION_STATES = OpenMembers(AdRedemptionState)
_REWARD_TYPES = OpenMembers(RewardType)
_ACTIVATION_MODELS = OpenMembers(ActivationModel)


class AdsQuery(WireModel):
    """The getAds filter, validated before sending; hashable so it can key a loader."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    sections: tuple[Section, ...] | None = None
    category_ids: tuple[Id, ...] | None = None
    curation_ids: tuple[Id, ...] | None = None
    activation_states: tuple[AdActivationState, ...] | None = None
    visibility_states: tuple[AdVisibilityState, ...] | None = None
    redemption_states: tuple[AdRedemptionState, ...] | None = None
    max_ad_limit: int | None = Field(default=None, ge=1, le=MAX_INT32, strict=True)
    return_metadata: bool | None = Field(default=None, strict=True)
    include_expired_ads: bool | None = Field(default=None, strict=True)

    @field_validator(
        "sections",
        "category_ids",
        "curation_ids",
        "activation_states",
        "visibility_states",
        "redemption_states",
    )
    @classmethod
    def _normalise(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # Order and repeats change nothing upstream; an empty list means "no filter".
        if not values:
            return None
        return tuple(sorted(set(values)))

    def payload(self) -> dict[str, Any]:
        """The JSON body: only the fields that were set."""
        return self.model_dump(mode="json", exclude_none=True)


# A getAds answer is read straight from its bytes into msgspec Structs (``read_ads``): hundreds
# of parts per answer, and building them in msgspec costs a fraction of json.loads plus pydantic.
# Everything pydantic did beyond types (open enums, ids, zones, min spend, keying) is done in
# ``__post_init__`` (see ``structs``).


class ImageSize(Part, frozen=True):
    url: str
    width: int | None = None
    height: int | None = None


class ImageVariants(Part, frozen=True):
    large: ImageSize | None = None
    small: ImageSize | None = None


class Image(Part, frozen=True):
    type: str | None = None
    value: ImageVariants = msgspec.field(default_factory=ImageVariants)


class AdCopy(Part, frozen=True):
    type: str | None = None
    value: dict[str, str | None] = msgspec.field(default_factory=dict)


class CallsToAction(Part, frozen=True):
    type: str | None = None
    value: dict[str, Any] = msgspec.field(default_factory=dict)


class AdAssets(Part, frozen=True):
    logo: Image | None = None
    large_rectangle: Image | None = None
    small_rectangle: Image | None = None
    ad_copy: AdCopy | None = msgspec.field(default=None, name="copy")
    calls_to_action: CallsToAction | None = None


class PurchaseRequirement(Part, frozen=True):
    min_spend_amount: Decimal | None = None
    purchase_channels: tuple[str, ...] = ()
    purchase_types: tuple[str, ...] = ()
    merchant_url_link_click_required: bool | None = None

    def __post_init__(self) -> None:
        finite(self.min_spend_amount)


class AdReward(Part, frozen=True):
    # open enums (``OpenMembers``): the member when known, else the text
    reward_type: str | None = None
    # a percentage for PERCENT_AMOUNT_PURCHASE, money for FIXED_AMOUNT_PURCHASE
    reward_amount: Decimal | None = None
    max_reward_amount: Decimal | None = None
    is_multi_redemption: bool | None = None
    purchase_requirement: PurchaseRequirement | None = None
    activation_model: str | None = None
    # resolved: purchaseRequirement.minSpendAmount, else reward.minSpendAmount (C2#18)
    min_spend_amount: Decimal | None = None

    def __post_init__(self) -> None:
        # unrolled, as in ``Ad``: fifty-odd of each per answer
        if (value := self.reward_type) is not None:
            _set(self, "reward_type", _REWARD_TYPES[value])
        if (value := self.activation_model) is not None:
            _set(self, "activation_model", _ACTIVATION_MODELS[value])
        _amounts(self)


def _amounts(reward: AdReward) -> None:
    finite(reward.reward_amount, reward.max_reward_amount, reward.min_spend_amount)
    requirement = reward.purchase_requirement
    if requirement is not None and requirement.min_spend_amount is not None:
        _set(reward, "min_spend_amount", requirement.min_spend_amount)


class Ad(Part, frozen=True):
    merchant_name: str
    # the key of the ``ads`` map (set by ``_keyed_ads``): an inner adId is only a hint (C2#18);
    # the wire name is one no answer has, so that only the key sets it
    ad_id: str = msgspec.field(default="", name="(ads map key)")
    ad_id_hint: Any = msgspec.field(default=None, name="adId")
    # open enums (``OpenMembers``): the member when known, else the text
    ad_type: str | None = None
    # absent on ads that can no longer be acted on (e.g. in the redemptions list)
    ad_serve_token: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    activation_date: datetime | None = None
    sections: tuple[str, ...] = ()
    reward: AdReward | None = None
    activation_state: str | None = None
    visibility_state: str | None = None
    redemption_state: str | None = None
    assets: AdAssets | None = None
    is_affiliate_marketing: bool | None = None

    def __post_init__(self) -> None:
        # Each field spelt out: a loop over (name, enum) pairs with getattr cost more than the
        # lookups themselves, for every ad of every answer.
        if (value := self.ad_type) is not None:
            _set(self, "ad_type", _AD_TYPES[value])
        if (value := self.activation_state) is not None:
            _set(self, "activation_state", _ACTIVATION_STATES[value])
        if (value := self.visibility_state) is not None:
            _set(self, "visibility_state", _VISIBILITY_STATES[value])
        if (value := self.redemption_state) is not None:
            _set(self, "redemption_state", _REDEMPTION_STATES[value])
        # as sent until here (``_WireAd``)
        if (sent := self.start_date) is not None:
            _set(self, "start_date", wire_timestamp(sent))
        if (sent := self.end_date) is not None:
            _set(self, "end_date", wire_timestamp(sent))
        if (sent := self.activation_date) is not None:
            _set(self, "activation_date", wire_timestamp(sent))


class _WireAd(Ad, frozen=True):
    # Timestamps as sent, read in ``__post_init__`` by pydantic's rules (``Timestamp``): msgspec
    # reads RFC 3339 only, and rounds digits beyond the microsecond where pydantic cuts them.
    start_date: Any = None
    end_date: Any = None
    activation_date: Any = None


class CategoryGroup(Part, frozen=True):
    id: Any
    name: str
    subcategories: tuple[CategoryGroup, ...] = ()

    def __post_init__(self) -> None:
        if (value := self.id).__class__ is not str or not value:  # nearly always a text: as is
            _set(self, "id", wire_id(value))


class Address(Part, frozen=True):
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class StoreLocation(Part, frozen=True):
    store_name: str | None = None
    address: Address | None = None
    phone_number: str | None = None
    distance: float | None = None
    latitude: float | None = None
    longitude: float | None = None


def _keyed_ads(ads: dict[str, Ad]) -> dict[str, Ad]:
    """Give each ad its map key as ``ad_id``, warning when an inner ``adId`` disagrees."""
    for key, ad in ads.items():
        if not key:  # a decoded key is a text: only an empty one is no id
            wire_id(key)
        hint = ad.ad_id_hint
        if hint is not None and hint != key and not _same_id(hint, key):
            logger.warning(
                "cardlytics ad id differs from its map key; key kept", extra={"ad_id": key}
            )
        _set(ad, "ad_id", key)
    return ads


def _same_id(hint: Any, key: str) -> bool:
    try:
        return wire_id(hint) == key
    except ValueError:
        return False


_TEXT = {str}


def _ranked_ids_present(name: str, ids: Sequence[Any], ads: dict[str, Ad]) -> tuple[str, ...]:
    # nearly always non-empty texts, which wire_id keeps as they are
    texts = ids if set(map(type, ids)) <= _TEXT and "" not in ids else [wire_id(i) for i in ids]
    if all(map(ads.__contains__, texts)):
        return tuple(texts)
    missing = [text for text in texts if text not in ads]
    logger.warning(
        "cardlytics ranking lists ads it did not return; skipped",
        extra={"ranking": name, "missing_ad_ids": missing[:20]},
    )
    return tuple(text for text in texts if text in ads)


class Ads(Part, frozen=True):
    """A getAds answer: ads keyed by adId, rankings of those ids, categories keyed by adId.

    Maps sent as ``null`` read as empty."""

    request_id: str | None = None
    ads: dict[str, Ad] = msgspec.field(default_factory=dict)
    rankings: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    categories: dict[str, CategoryGroup] = msgspec.field(default_factory=dict)
    store_locations: dict[str, tuple[StoreLocation, ...]] | None = None

    def __post_init__(self) -> None:
        ads = _keyed_ads(self.ads) if self.ads is not None else {}
        rankings = {
            name: _ranked_ids_present(name, ids, ads) for name, ids in (self.rankings or {}).items()
        }
        # decoded keys are texts: only an empty one is no id
        if "" in (self.categories or ()) or "" in (self.store_locations or ()):
            wire_id("")  # raises, as for any empty id
        _set(self, "ads", ads)
        _set(self, "rankings", rankings)
        _set(self, "categories", self.categories or {})

    def ranked(self, name: str = "all") -> tuple[Ad, ...]:
        """The ads of one ranking, in ranking order (``all`` is always there upstream)."""
        return tuple(self.ads[ad_id] for ad_id in self.rankings.get(name, ()))


class _WireAds(Ads, frozen=True):
    # What is decoded: maps may be null, and ranked ids may be numbers. ``Ads`` declares what
    # ``__post_init__`` leaves, for the readers.
    ads: dict[str, _WireAd] | None = msgspec.field(default_factory=dict)  # type: ignore[assignment]
    rankings: dict[str, list[Any]] | None = msgspec.field(default_factory=dict)  # type: ignore[assignment]
    categories: dict[str, CategoryGroup] | None = msgspec.field(default_factory=dict)  # type: ignore[assignment]


_ADS = msgspec.json.Decoder(_WireAds, strict=False, float_hook=Decimal)


# The usual answer read with less Python: its enum values all known, its timestamps all with a
# zone, no warning to give. There the enums are typed, so msgspec finds their members itself,
# and nothing is logged; any other answer is refused here (a ValueError in ``__post_init__``)
# and read again by the rules above, which decide what is kept, refused and logged. Such an
# answer (an enum value newer than us) costs a second, whole decode.


class _PlainReward(AdReward, frozen=True):
    reward_type: RewardType | None = None
    activation_model: ActivationModel | None = None

    def __post_init__(self) -> None:
        _amounts(self)


class _PlainAd(_WireAd, frozen=True):
    ad_type: AdType | None = None
    reward: _PlainReward | None = None
    activation_state: AdActivationState | None = None
    visibility_state: AdVisibilityState | None = None
    redemption_state: AdRedemptionState | None = None

    def __post_init__(self) -> None:
        if (sent := self.start_date) is not None:
            _set(self, "start_date", zoned_timestamp(sent))
        if (sent := self.end_date) is not None:
            _set(self, "end_date", zoned_timestamp(sent))
        if (sent := self.activation_date) is not None:
            _set(self, "activation_date", zoned_timestamp(sent))


class _PlainAds(_WireAds, frozen=True):
    ads: dict[str, _PlainAd] | None = msgspec.field(default_factory=dict)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # what ``Ads`` warns about, refused: with them the rules above read it
        ads, rankings, categories = self.ads, self.rankings, self.categories
        if ads is None or rankings is None or categories is None or "" in ads:
            raise ValueError("not a plain answer")
        if "" in categories or "" in (self.store_locations or ()):
            raise ValueError("not a plain answer")
        for key, ad in ads.items():
            if ad.ad_id_hint is not None and ad.ad_id_hint != key:
                raise ValueError("not a plain answer")
            _set(ad, "ad_id", key)
        for ids in rankings.values():
            if not set(map(type, ids)) <= _TEXT or not all(map(ads.__contains__, ids)):
                raise ValueError("not a plain answer")
        _set(self, "rankings", {name: tuple(ids) for name, ids in rankings.items()})


_PLAIN_ADS = msgspec.json.Decoder(_PlainAds, strict=False, float_hook=Decimal)


def read_ads(content: bytes | str) -> Ads:
    """A getAds answer from its JSON text; raises ``msgspec.DecodeError`` (its subclass
    ``msgspec.ValidationError`` for a wrong shape)."""
    try:
        return _PLAIN_ADS.decode(content)
    except msgspec.DecodeError:
        return _ADS.decode(content)


_AD_MAP = msgspec.json.Decoder(dict[str, _WireAd], strict=False, float_hook=Decimal)
_JSON_TEXT = msgspec.json.Encoder(decimal_format="number")


def convert_ads(ads: Any) -> dict[str, Ad]:
    """An ``ads`` map another answer holds, already read by ``wire.loads``, read as getAds reads
    its own: written back as JSON (a Decimal as its number text), so that one decoder decides
    (``msgspec.convert`` of Python values is stricter, e.g. on a Decimal ``10.0`` for an int).
    Raises ``msgspec.ValidationError``."""
    return _keyed_ads({**_AD_MAP.decode(_JSON_TEXT.encode(ads))})
