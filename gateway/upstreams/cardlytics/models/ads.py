"""getAds: the request filter we send and the ads, rankings and categories we get back."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Any, NotRequired

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
    with_config,
)
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

from gateway.upstreams.cardlytics.models.base import (
    Id,
    Timestamp,
    WireModel,
    id_text,
    none_as_empty,
)
from gateway.upstreams.cardlytics.models.enums import (
    AdActivationState,
    AdRedemptionState,
    AdVisibilityState,
    Channel,
    OpenActivationModel,
    OpenActivationState,
    OpenAdType,
    OpenRedemptionState,
    OpenRewardType,
    OpenVisibilityState,
    Section,
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
    "PurchaseRequirement",
    "StoreLocation",
    "key_ads_by_map_key",
]

logger = logging.getLogger("gateway.upstreams.cardlytics")

MAX_INT32 = 2**31 - 1


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


# The parts of an ad below are plain dicts (TypedDicts), not models: a getAds answer holds
# hundreds of them, and a dict of strings and numbers is neither a model instance with its own
# fields-set nor an object the garbage collector has to walk on every pass.
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


class Ads(WireModel):
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
