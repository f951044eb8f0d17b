"""Offers: the types a screen sees, their queries, and the mutations that act on them.

Every type here maps an ``OfferView`` (an upstream ``Ad`` plus what the whole getAds answer knows
about it); resolvers in ``resolvers.offers`` do the loading.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.relay import PageInfo
from strawberry.schema.name_converter import NameConverter
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    StrawberryType,
    get_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.unset import UNSET

from gateway.context import Context
from gateway.upstreams.cardlytics.models import (
    Ad,
    AdCopy,
    AdReward,
    Ads,
    AdsQuery,
    CategoryGroup,
    Channel,
    ImageVariants,
    PurchaseRequirement,
    Section,
)
from gateway.upstreams.errors import UpstreamError
from resolvers.offers import (
    DEFAULT_CHANNEL,
    MAX_EVENTS,
    OfferAction,
    OfferEventKind,
    OfferEventRequest,
    OfferView,
    ads_query,
    load_ads,
    load_offer_view,
    perform_offer_action,
    record_enrollment,
    record_offer_events,
    require_event_reporter,
)
from resolvers.viewer import require_customer
from schema.errors import NotAllowedError, NotFoundError, UserError, ValidationError, user_error_for

__all__ = [
    "Category",
    "Offer",
    "OfferConnection",
    "OffersMutation",
    "OffersQuery",
    "Ranking",
    "open_value",
    "resolve_offer",
]

Info = strawberry.Info[Context, None]

# The upstream vocabularies we send are exposed as they are (a value outside them is refused
# before any call); what we only receive gets an UNKNOWN member instead (below).
strawberry.enum(Channel, description="Where the customer sees the offers (Cardlytics channel).")
strawberry.enum(Section, description="The screen section an offer is shown in.")

MAX_PAGE = 100


@strawberry.enum(description="NEW -> SERVED (seen) -> ACTIVATED. UNKNOWN: a value newer than us.")
class OfferActivationState(Enum):
    NEW = "NEW"
    SERVED = "SERVED"
    ACTIVATED = "ACTIVATED"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="Whether the customer parked (hid) the offer.")
class OfferVisibilityState(Enum):
    VISIBLE = "VISIBLE"
    PARKED = "PARKED"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="Redemption progress; null while nothing was redeemed.")
class OfferRedemptionState(Enum):
    PROCESSING = "PROCESSING"
    FULLY_REDEEMED = "FULLY_REDEEMED"
    UNKNOWN = "UNKNOWN"


@strawberry.enum
class OfferType(Enum):
    CASH_BACK_OFFER = "CASH_BACK_OFFER"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="How the reward is computed.")
class RewardType(Enum):
    PERCENT_AMOUNT_PURCHASE = "PERCENT_AMOUNT_PURCHASE"
    FIXED_AMOUNT_PURCHASE = "FIXED_AMOUNT_PURCHASE"
    METERED_AMOUNT_PURCHASE = "METERED_AMOUNT_PURCHASE"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="Whether the customer must activate the offer to earn.")
class ActivationModel(Enum):
    ACTIVATABLE = "ACTIVATABLE"
    AUTO_ACTIVATED = "AUTO_ACTIVATED"
    UNKNOWN = "UNKNOWN"


E = TypeVar("E", bound=Enum)


def open_value(kind: type[E], value: str | None) -> E | None:
    """The member for ``value``, UNKNOWN for one we do not know, None for none."""
    # Cardlytics adds values over time; a new one must not fail the screen.
    return _open_members(kind)[None if value is None else str(value)]


class _OpenMembers(dict[str | None, E | None]):
    """``open_value`` as one dict lookup, ``members[value]``, seven times per offer: Enum's own
    lookup costs several times more, and reading ``kind.UNKNOWN`` as much as the lookup. An
    upstream enum member finds its text's entry (a ``StrEnum`` hashes and compares as its text).
    """

    def __init__(self, kind: type[E]) -> None:
        super().__init__({str(member.value): member for member in kind})
        self[None] = None
        self.unknown = kind["UNKNOWN"]

    def __missing__(self, value: str | None) -> E | None:
        return self.unknown


@functools.cache  # one map per enum, shared by open_value and the offer builders
def _open_members(kind: type[E]) -> _OpenMembers[E]:
    return _OpenMembers(kind)


def _known(values: list[E] | None, field: str, info: Info) -> list[str] | None:
    if values is None:
        return None
    if any(value.name == "UNKNOWN" for value in values):
        raise bad_input(info, f"{field}: UNKNOWN cannot be filtered on", field)
    return [str(value.value) for value in values]


def bad_input(info: Info, message: str, field: str) -> GraphQLError:
    """A top-level BAD_USER_INPUT error for a query argument (mutations use UserErrors)."""
    # Given a path, graphql-core keeps the error as it is, so the code below is what is shown.
    return GraphQLError(
        message, path=info.path.as_list(), extensions={"code": "BAD_USER_INPUT", "field": field}
    )


# --- types --------------------------------------------------------------------------------


@strawberry.type(
    name="PurchaseRequirement", description="What a purchase must look like to earn the reward."
)
class PurchaseRequirementType:
    min_spend_amount: Decimal | None
    purchase_channels: list[str] = strawberry.field(description="e.g. IN_STORE, ONLINE.")
    purchase_types: list[str]
    merchant_url_link_click_required: bool | None

    @classmethod
    def from_upstream(cls, requirement: PurchaseRequirement) -> PurchaseRequirementType:
        return cls(
            min_spend_amount=requirement.min_spend_amount,
            purchase_channels=list(requirement.purchase_channels),
            purchase_types=list(requirement.purchase_types),
            merchant_url_link_click_required=requirement.merchant_url_link_click_required,
        )


def _requirement(reward: strawberry.Parent[OfferReward]) -> PurchaseRequirementType | None:
    if reward.requirement is None:
        return None
    return PurchaseRequirementType.from_upstream(reward.requirement)


@strawberry.type(name="OfferReward", description="What the customer earns.")
class OfferReward:
    requirement: strawberry.Private[PurchaseRequirement | None]
    type: RewardType | None
    amount: Decimal | None = strawberry.field(
        description="A percentage for PERCENT_AMOUNT_PURCHASE, else an amount of money."
    )
    max_amount: Decimal | None
    is_multi_redemption: bool | None
    min_spend_amount: Decimal | None
    # built only when a document asks: the home screen does not, for any of its offers
    purchase_requirement: PurchaseRequirementType | None = strawberry.field(resolver=_requirement)
    activation_model: ActivationModel | None

    @classmethod
    def from_upstream(cls, reward: AdReward) -> OfferReward:
        built = cls.__new__(cls)  # as Offer.from_view builds
        built.requirement = reward.purchase_requirement
        built.type = _REWARD_TYPES[reward.reward_type]
        built.amount = reward.reward_amount
        built.max_amount = reward.max_reward_amount
        built.is_multi_redemption = reward.is_multi_redemption
        built.min_spend_amount = reward.min_spend_amount
        built.activation_model = _ACTIVATION_MODELS[reward.activation_model]
        return built


@strawberry.type
class Image:
    url: str
    width: int | None
    height: int | None


@strawberry.type
class Logo:
    small: Image | None
    large: Image | None


@strawberry.type(description="An offer's texts. `postMessage` may contain HTML.")
class OfferCopy:
    headline: str | None
    subheadline: str | None
    pre_message: str | None
    short_pre_message: str | None
    reward_copy: str | None
    post_message: str | None
    thank_you_message: str | None
    terms_and_conditions: str | None


@strawberry.type(description="The category Cardlytics files an offer under.")
class OfferCategory:
    id: strawberry.ID
    name: str


@strawberry.type(description="A cash-back offer (a Cardlytics ad), as the viewer sees it now.")
class Offer:
    id: strawberry.ID = strawberry.field(description="The Cardlytics adId.")
    merchant_name: str
    type: OfferType | None
    reward: OfferReward | None
    activation_state: OfferActivationState | None
    visibility_state: OfferVisibilityState | None
    redemption_state: OfferRedemptionState | None
    start_date: datetime | None
    end_date: datetime | None
    activation_date: datetime | None = strawberry.field(
        description="When the customer activated it; null until then."
    )
    sections: list[str] = strawberry.field(
        description="Cardlytics section names, as sent (unknown ones kept)."
    )
    category: OfferCategory | None
    rank: int | None = strawberry.field(
        description="1-based position in the viewer's ranking of all offers."
    )
    # The answer's own part: a Logo's fields and its images' are its attributes, so no Logo or
    # Image is built per offer (each cost an object, its dict and five stores).
    logo: ImageVariants | None = strawberry.field(graphql_type=Logo | None)
    copy: OfferCopy | None
    serve_token: str | None = strawberry.field(
        description="Cardlytics' token for this serving; the gateway sends it with offer events."
    )
    is_affiliate_marketing: bool | None
    channel: Channel = strawberry.field(description="The channel this offer was served for.")

    @classmethod
    def from_view(cls, view: OfferView) -> Offer:
        category = _category(view.category) if view.category is not None else None
        return cls.of(view.ad, category, view.rank, view.channel)

    @classmethod
    def of(
        cls, ad: Ad, category: OfferCategory | None, rank: int | None, channel: Channel
    ) -> Offer:
        # Strawberry types are dataclasses with keyword-only __init__s. For the ~55 offers of a
        # home screen, each with a reward, a category and a copy, those calls cost three to four
        # times the stores they make (callgrind), so the offer builders store every field on a
        # new instance themselves (test_offers_are_built_with_every_field checks that none is
        # left out).
        assets = ad.assets
        built = cls.__new__(cls)
        built.id = strawberry.ID(ad.ad_id)
        built.merchant_name = ad.merchant_name
        built.type = _OFFER_TYPES[ad.ad_type]
        built.reward = OfferReward.from_upstream(ad.reward) if ad.reward else None
        built.activation_state = _ACTIVATION_STATES[ad.activation_state]
        built.visibility_state = _VISIBILITY_STATES[ad.visibility_state]
        built.redemption_state = _REDEMPTION_STATES[ad.redemption_state]
        built.start_date = ad.start_date
        built.end_date = ad.end_date
        built.activation_date = ad.activation_date
        built.sections = list(ad.sections)
        built.category = category
        built.rank = rank
        built.logo = assets.logo.value if assets is not None and assets.logo is not None else None
        built.copy = (
            _copy(assets.ad_copy) if assets is not None and assets.ad_copy is not None else None
        )
        built.serve_token = ad.ad_serve_token
        built.is_affiliate_marketing = ad.is_affiliate_marketing
        built.channel = channel
        return built


_OFFER_TYPES = _open_members(OfferType)
_ACTIVATION_STATES = _open_members(OfferActivationState)
_VISIBILITY_STATES = _open_members(OfferVisibilityState)
_REDEMPTION_STATES = _open_members(OfferRedemptionState)
_REWARD_TYPES = _open_members(RewardType)
_ACTIVATION_MODELS = _open_members(ActivationModel)


def _category(category: CategoryGroup) -> OfferCategory:
    built = OfferCategory.__new__(OfferCategory)
    built.id = strawberry.ID(category.id)
    built.name = category.name
    return built


def _copy(copy: AdCopy) -> OfferCopy:
    texts = copy.value
    built = OfferCopy.__new__(OfferCopy)
    built.headline = texts.get("headline")
    built.subheadline = texts.get("subheadline")
    built.pre_message = texts.get("preMessage")
    built.short_pre_message = texts.get("shortPreMessage")
    built.reward_copy = texts.get("rewardCopy")
    built.post_message = texts.get("postMessage")
    built.thank_you_message = texts.get("thankYouMessage")
    built.terms_and_conditions = texts.get("termsAndConditions")
    return built


@strawberry.type(description="Offers in one Cardlytics ranking, best first.")
class Ranking:
    name: str
    offers: list[Offer]


@strawberry.type(description="A category with the viewer's offers in it, in ranking order.")
class Category:
    id: strawberry.ID
    name: str
    offers: list[Offer]


@strawberry.type
class OfferEdge:
    cursor: str
    node: Offer


@strawberry.type(description="The ranked offers, a page at a time.")
class OfferConnection:
    edges: list[OfferEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Offers matching the filter, all pages.")

    @strawberry.field
    def nodes(self) -> list[Offer]:
        return [edge.node for edge in self.edges]


@strawberry.input(description="Narrows the offers; every list left out means no filter.")
class OfferFilter:
    channel: Channel = DEFAULT_CHANNEL
    sections: list[Section] | None = None
    category_ids: list[strawberry.ID] | None = None
    curation_ids: list[strawberry.ID] | None = None
    activation_states: list[OfferActivationState] | None = None
    visibility_states: list[OfferVisibilityState] | None = strawberry.field(
        default=None, description="Left out: VISIBLE only (Cardlytics' default)."
    )
    redemption_states: list[OfferRedemptionState] | None = None
    include_expired: bool = strawberry.field(
        default=False, description="Also offers that ended in the last 120 days."
    )


def _filter_from_input(
    cls: type[OfferFilter], value: Mapping[str, Any], context: InputContext
) -> OfferFilter:
    """Strawberry's own conversion of an ``OfferFilter`` input, with what it works out for each
    field (GraphQL name, type, how to convert) worked out once: Strawberry does it for every
    field of every value, some 0.65 M instructions per filter, three filters per home screen."""
    converter = context.config.name_converter
    fields = _FILTER_FIELDS.get(converter)
    if fields is None:
        fields = _FILTER_FIELDS[converter] = _InputFields.of(cls, converter)
    values: dict[str, Any] = dict(fields.implicit)
    for name, python_name, field_type, convert in fields.converted:
        if name in value:
            values[python_name] = convert(value[name], field_type, name, context)
    return cls(**values)


_Convert = Callable[[Any, Any, str, InputContext], Any]


@dataclass(frozen=True)
class _InputFields:
    """What Strawberry's ``convert_argument`` works out per field of an input type."""

    # None for each field without a default (graphql-core has made sure the value sets it)
    implicit: dict[str, None]
    # GraphQL name, Python name, Strawberry type and conversion of each field, in its order
    converted: list[tuple[str, str, StrawberryType | type, _Convert]]

    @classmethod
    def of(cls, input_type: type, converter: NameConverter) -> _InputFields:
        definition = get_object_definition(input_type, strict=True)
        fields = definition.fields
        implicit = {
            field.python_name: None
            for field in fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }
        converted = []
        for field in fields:
            field_type = field.resolve_type(type_definition=definition)
            name = converter.from_field(field)
            converted.append((name, field.python_name, field_type, _conversion(field_type)))
        return cls(implicit, converted)


def _conversion(field_type: StrawberryType | type) -> _Convert:
    """What ``convert_argument`` does with a value of ``field_type``: for a scalar or an enum
    (or a list of them), optional or not, nothing beyond copying a list; the rest is left to it.
    """
    inner = field_type
    if isinstance(inner, StrawberryOptional) and not isinstance(inner, StrawberryMaybe):
        inner = inner.of_type
    if _is_leaf(inner):
        return _unchanged
    if isinstance(inner, StrawberryList):
        item = inner.of_type
        if isinstance(item, StrawberryOptional) and not isinstance(item, StrawberryMaybe):
            item = item.of_type
        if _is_leaf(item):
            return _copied
    return _by_strawberry


def _is_leaf(field_type: object) -> bool:
    # Scalars Strawberry passes on as graphql-core parsed them, in any schema (not GlobalID).
    return isinstance(field_type, StrawberryEnumDefinition) or any(
        field_type is scalar for scalar in (str, int, float, bool, strawberry.ID)
    )


def _unchanged(value: Any, field_type: Any, name: str, context: InputContext) -> Any:
    return value


def _copied(value: Any, field_type: Any, name: str, context: InputContext) -> Any:
    # As Strawberry: graphql-core gives every request that omits a list the same default one.
    return value if value is None or value is UNSET else list(value)


def _by_strawberry(value: Any, field_type: Any, name: str, context: InputContext) -> Any:
    return context.convert(value, field_type, name)


_FILTER_FIELDS: dict[NameConverter, _InputFields] = {}
get_object_definition(OfferFilter, strict=True).from_input = _filter_from_input


@dataclass(frozen=True)
class _Ranked:
    """One getAds answer's offers, each built once, in every ranking's order."""

    ads: Ads
    rankings: dict[str, list[Offer]]

    @classmethod
    def of(cls, ads: Ads, channel: Channel) -> _Ranked:
        # Each ad any ranking lists, once, in the order the rankings first list them, with its
        # rank in "all" (the first position of each id: zipped from the end, so that the first
        # one is written last); offers of one category share its OfferCategory.
        ranked = ads.rankings.get("all", ())
        ranks = dict(zip(reversed(ranked), range(len(ranked), 0, -1), strict=True))
        every, groups = ads.ads, ads.categories
        categories: dict[str, OfferCategory] = {}
        offers: dict[str, Offer] = {}
        for ids in ads.rankings.values():
            for ad_id in ids:
                if ad_id in offers:
                    continue
                category = None
                if (group := groups.get(ad_id)) is not None:
                    category = categories.get(group.id)
                    if category is None or category.name != group.name:
                        category = categories[group.id] = _category(group)
                offers[ad_id] = Offer.of(every[ad_id], category, ranks.get(ad_id), channel)
        rankings = {name: [offers[ad_id] for ad_id in ids] for name, ids in ads.rankings.items()}
        return cls(ads, rankings)


def _ranked_by_query(context: Context) -> dict[AdsQuery, _Ranked]:
    return {}


async def _ranked(
    info: Info, filter: OfferFilter | None
) -> tuple[list[Offer], dict[str, list[Offer]]]:
    """The filter's offers in ranking order, plus every ranking by name.

    ``offers``, ``rankings`` and ``categories`` read one getAds answer: its offers are built once
    per request and shared (kept while the loader gives the same answer; a mutation's fresh
    answer builds anew).
    """
    chosen = filter or OfferFilter()
    query = ads_query(
        chosen.channel,
        sections=chosen.sections,
        category_ids=[str(i) for i in chosen.category_ids] if chosen.category_ids else None,
        curation_ids=[str(i) for i in chosen.curation_ids] if chosen.curation_ids else None,
        activation_states=_known(chosen.activation_states, "activationStates", info),
        visibility_states=_known(chosen.visibility_states, "visibilityStates", info),
        redemption_states=_known(chosen.redemption_states, "redemptionStates", info),
        include_expired=chosen.include_expired,
    )
    ads = await load_ads(info.context, query)
    kept = info.context.loader(_ranked_by_query)
    ranked = kept.get(query)
    if ranked is None or ranked.ads is not ads:
        ranked = kept[query] = _Ranked.of(ads, chosen.channel)
    return ranked.rankings.get("all", []), ranked.rankings


@functools.lru_cache(maxsize=1024)  # the same few dozen on every page
def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"offer:{index}".encode()).decode()


def _offset(info: Info, after: str | None) -> int:
    if after is None:
        return 0
    try:
        kind, _, index = base64.urlsafe_b64decode(after.encode()).decode().partition(":")
        if kind == "offer" and index.isdigit():
            return int(index) + 1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise bad_input(info, "after: not a cursor this field gave out", "after")


async def _offers(
    info: Info,
    filter: OfferFilter | None = None,
    first: int | None = None,
    after: str | None = None,
) -> OfferConnection:
    if first is not None and not 0 <= first <= MAX_PAGE:
        raise bad_input(info, f"first: must be from 0 to {MAX_PAGE}", "first")
    start = _offset(info, after)
    offers, _ = await _ranked(info, filter)
    end = len(offers) if first is None else min(len(offers), start + first)
    edges = []
    for index in range(start, end):
        edge = OfferEdge.__new__(OfferEdge)  # as Offer.from_view builds
        edge.cursor, edge.node = _cursor(index), offers[index]
        edges.append(edge)
    return OfferConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=end < len(offers),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(offers),
    )


async def resolve_offer(
    context: Context, offer_id: str, channel: Channel = DEFAULT_CHANNEL
) -> Offer | None:
    """The ``Offer`` for an id, through the request's getAds loader: for joins from other types."""
    view = await load_offer_view(context, offer_id, channel)
    return Offer.from_view(view) if view is not None else None


async def _offer(info: Info, id: strawberry.ID, channel: Channel = DEFAULT_CHANNEL) -> Offer | None:
    return await resolve_offer(info.context, str(id), channel)


async def _rankings(info: Info, filter: OfferFilter | None = None) -> list[Ranking]:
    _, rankings = await _ranked(info, filter)
    return [Ranking(name=name, offers=offers) for name, offers in rankings.items()]


async def _categories(info: Info, filter: OfferFilter | None = None) -> list[Category]:
    offers, _ = await _ranked(info, filter)
    grouped: dict[str, Category] = {}
    for offer in offers:  # ranking order, so each category lists its best offers first
        category = offer.category
        if category is None:
            continue
        entry = grouped.get(category.id)
        if entry is None:  # not setdefault: that would build a Category for every offer
            entry = grouped[category.id] = Category(
                id=strawberry.ID(category.id), name=category.name, offers=[]
            )
        entry.offers.append(offer)
    return list(grouped.values())


@strawberry.type
class OffersQuery:
    offers: OfferConnection | None = strawberry.field(
        resolver=_offers,
        description=(
            "The viewer's offers in ranking order (anonymous viewers: the welcome offers). "
            "Null with UPSTREAM_UNAVAILABLE when Cardlytics fails; the rest still answers."
        ),
    )
    offer: Offer | None = strawberry.field(
        resolver=_offer, description="One offer by id; null when the viewer has no such offer."
    )
    rankings: list[Ranking] | None = strawberry.field(resolver=_rankings)
    categories: list[Category] | None = strawberry.field(resolver=_categories)


# --- mutations ----------------------------------------------------------------------------


@strawberry.input
class OfferActionInput:
    offer_id: strawberry.ID
    channel: Channel = DEFAULT_CHANNEL
    section: Section | None = strawberry.field(
        default=None, description="Where the customer acted; left out: the offer's own section."
    )


@strawberry.type
class OfferPayload:
    offer: Offer | None = strawberry.field(description="The offer as it is after the change.")
    errors: list[UserError]


@strawberry.type
class ActivateOfferPayload(OfferPayload):
    pass


@strawberry.type
class ParkOfferPayload(OfferPayload):
    pass


@strawberry.type
class UnparkOfferPayload(OfferPayload):
    pass


@strawberry.enum(description="What the customer did with an offer on screen.")
class OfferEventType(Enum):
    IMPRESSION = "impression"
    EXPANDED = "expanded"
    COLLAPSED = "collapsed"
    LINK_CLICKED = "link_clicked"


@strawberry.input
class OfferEventInput:
    offer_id: strawberry.ID
    type: OfferEventType
    section: Section | None = None
    display_position: int | None = strawberry.field(
        default=None, description="0-based position in the list shown."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened on the device; left out: now."
    )


@strawberry.input
class RecordOfferEventsInput:
    channel: Channel = DEFAULT_CHANNEL
    events: list[OfferEventInput]


@strawberry.type
class RecordOfferEventsPayload:
    recorded: int | None = strawberry.field(description="Events sent upstream (in one call).")
    errors: list[UserError]


@strawberry.type
class LogEnrollmentPayload:
    enrolled: bool | None
    errors: list[UserError]


async def _act(
    info: Info, input: OfferActionInput, action: OfferAction
) -> tuple[Offer | None, list[UserError]]:
    require_customer(info.context)  # before any upstream call
    view = await load_offer_view(info.context, str(input.offer_id), input.channel)
    if view is None:
        return None, [NotFoundError(message=f"input.offerId: no offer {input.offer_id}")]
    if not view.ad.ad_serve_token:
        return None, [NotAllowedError(message=f"offer {input.offer_id} can no longer be changed")]
    try:
        after = await perform_offer_action(info.context, view, action, input.section)
    except UpstreamError as error:
        if (user_error := user_error_for(error)) is None:
            raise
        return None, [user_error]
    return (Offer.from_view(after) if after else None), []


async def _activate(info: Info, input: OfferActionInput) -> ActivateOfferPayload:
    offer, errors = await _act(info, input, OfferAction.ACTIVATE)
    return ActivateOfferPayload(offer=offer, errors=errors)


async def _park(info: Info, input: OfferActionInput) -> ParkOfferPayload:
    offer, errors = await _act(info, input, OfferAction.PARK)
    return ParkOfferPayload(offer=offer, errors=errors)


async def _unpark(info: Info, input: OfferActionInput) -> UnparkOfferPayload:
    offer, errors = await _act(info, input, OfferAction.UNPARK)
    return UnparkOfferPayload(offer=offer, errors=errors)


def _event_problems(events: Sequence[OfferEventInput]) -> list[UserError]:
    if not events:
        return [ValidationError(message="at least one event is needed", field=["input", "events"])]
    if len(events) > MAX_EVENTS:
        return [
            ValidationError(
                message=f"at most {MAX_EVENTS} events in one call", field=["input", "events"]
            )
        ]
    return [
        ValidationError(
            message="displayPosition must be 0 or more",
            field=["input", "events", str(i), "displayPosition"],
        )
        for i, event in enumerate(events)
        if event.display_position is not None and event.display_position < 0
    ]


async def _record_events(info: Info, input: RecordOfferEventsInput) -> RecordOfferEventsPayload:
    require_event_reporter(info.context)
    if problems := _event_problems(input.events):
        return RecordOfferEventsPayload(recorded=None, errors=problems)
    # Same filter for every id, so all lookups share the request's one getAds.
    views = await asyncio.gather(
        *(load_offer_view(info.context, str(e.offer_id), input.channel) for e in input.events)
    )
    missing: list[UserError] = [
        NotFoundError(message=f"input.events.{i}.offerId: no offer {event.offer_id}")
        for i, (event, view) in enumerate(zip(input.events, views, strict=True))
        if view is None or not view.ad.ad_serve_token
    ]
    if missing:
        return RecordOfferEventsPayload(recorded=None, errors=missing)
    items = [
        (
            OfferEventRequest(
                offer_id=str(event.offer_id),
                kind=OfferEventKind(event.type.value),
                section=event.section,
                display_position=event.display_position,
                occurred_at=_aware(event.occurred_at),
            ),
            view,
        )
        for event, view in zip(input.events, views, strict=True)
        if view is not None
    ]
    try:
        recorded = await record_offer_events(info.context, items)
    except UpstreamError as error:
        if (user_error := user_error_for(error)) is None:
            raise
        return RecordOfferEventsPayload(recorded=None, errors=[user_error])
    return RecordOfferEventsPayload(recorded=recorded, errors=[])


def _aware(moment: datetime | None) -> datetime | None:
    # A device clock without a zone is taken as UTC rather than refused.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


async def _log_enrollment(info: Info) -> LogEnrollmentPayload:
    try:
        await record_enrollment(info.context)
    except UpstreamError as error:
        if (user_error := user_error_for(error)) is None:
            raise
        return LogEnrollmentPayload(enrolled=None, errors=[user_error])
    return LogEnrollmentPayload(enrolled=True, errors=[])


@strawberry.type
class OffersMutation:
    activate_offer: ActivateOfferPayload | None = strawberry.field(
        resolver=_activate,
        description="Activate an offer (customers only); returns it as ACTIVATED.",
    )
    park_offer: ParkOfferPayload | None = strawberry.field(
        resolver=_park, description="Hide an offer from the default list (customers only)."
    )
    unpark_offer: UnparkOfferPayload | None = strawberry.field(
        resolver=_unpark, description="Show a parked offer again (customers only)."
    )
    record_offer_events: RecordOfferEventsPayload | None = strawberry.field(
        resolver=_record_events,
        description="Impressions, expand / collapse and link clicks, all in one upstream call.",
    )
    log_enrollment: LogEnrollmentPayload | None = strawberry.field(
        resolver=_log_enrollment, description="Record that the customer enrolled."
    )
