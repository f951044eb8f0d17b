"""Offers: one getAds per distinct filter per request, and the offer events that change them.

Cardlytics has no get-by-id for ads, so every offer a document asks for (the offers list,
``offer(id)``, rankings, categories, and joins from rewards or tickets) is read from a getAds
answer. The request's ``AdsLoader`` (an aiodataloader keyed by the normalised ``AdsQuery``) makes
that one call per distinct filter, however many fields ask.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import cast

import msgspec
from aiodataloader import DataLoader

from gateway.context import Context
from gateway.upstreams.cardlytics.events import (
    activate_offer,
    ad_viewable_impression,
    display_element_collapsed,
    display_element_expanded,
    log_enrollment,
    park_offer,
    unpark_offer,
    url_link_clicked,
)
from gateway.upstreams.cardlytics.models import (
    Ad,
    AdEventMetadata,
    Ads,
    AdsQuery,
    AdVisibilityState,
    CategoryGroup,
    Channel,
    ClientEvent,
    Section,
)
from resolvers.errors import Forbidden
from resolvers.viewer import require_customer

__all__ = [
    "DEFAULT_CHANNEL",
    "DEFAULT_SECTION",
    "MAX_EVENTS",
    "AdsLoader",
    "OfferAction",
    "OfferEventKind",
    "OfferEventRequest",
    "OfferView",
    "ads_loader",
    "ads_query",
    "load_ads",
    "load_offer",
    "load_offer_view",
    "lookup_query",
    "offer_views",
    "perform_offer_action",
    "record_enrollment",
    "record_offer_events",
    "require_event_reporter",
]

#: The channel a document gets when it names none: the gateway serves the banks' apps.
DEFAULT_CHANNEL = Channel.MOBILE_APP
#: Reported with an event when neither the client nor the ad names a usable section.
DEFAULT_SECTION = Section.DASHBOARD
#: Upper bound on events in one recordOfferEvents: a scrolled list, not a bulk import.
MAX_EVENTS = 100


def ads_query(
    channel: Channel = DEFAULT_CHANNEL,
    *,
    sections: Iterable[Section] | None = None,
    category_ids: Iterable[str] | None = None,
    curation_ids: Iterable[str] | None = None,
    activation_states: Iterable[str] | None = None,
    visibility_states: Iterable[str] | None = None,
    redemption_states: Iterable[str] | None = None,
    include_expired: bool = False,
) -> AdsQuery:
    """The normalised getAds filter: equal filters (order, repeats) make one loader key.

    Assets (logos, copy) are always asked for, so that every field of ``Offer`` comes from the
    same call whatever the document selects; ``includeExpiredAds`` is sent only when true so the
    default filter stays one key.
    """
    return _query(
        channel,
        _tuple(sections),
        _tuple(category_ids),
        _tuple(curation_ids),
        _tuple(activation_states),
        _tuple(visibility_states),
        _tuple(redemption_states),
        include_expired,
    )


# Validating a filter costs some 40 K instructions, for each of the three offer fields of a home
# screen and each offer(id); screens send the same few filters, and an AdsQuery is immutable.
@functools.lru_cache(maxsize=1024)
def _query(
    channel: Channel,
    sections: tuple[Section, ...] | None,
    category_ids: tuple[str, ...] | None,
    curation_ids: tuple[str, ...] | None,
    activation_states: tuple[str, ...] | None,
    visibility_states: tuple[str, ...] | None,
    redemption_states: tuple[str, ...] | None,
    include_expired: bool,
) -> AdsQuery:
    return AdsQuery(
        channel=channel,
        sections=sections,
        category_ids=category_ids,
        curation_ids=curation_ids,
        activation_states=activation_states,
        visibility_states=visibility_states,
        redemption_states=redemption_states,
        return_metadata=True,
        include_expired_ads=True if include_expired else None,
    )


def lookup_query(channel: Channel = DEFAULT_CHANNEL) -> AdsQuery:
    """The widest filter: what ``offer(id)`` falls back to for a parked or recently ended ad."""
    return ads_query(
        channel,
        visibility_states=(AdVisibilityState.VISIBLE, AdVisibilityState.PARKED),
        include_expired=True,
    )


def _tuple(values: Iterable[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


class AdsLoader(DataLoader[AdsQuery, Ads]):
    """getAds for one viewer, one call per distinct filter, for the life of one request."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self._context = context

    async def batch_load_fn(self, keys: list[AdsQuery]) -> list[Ads]:
        client = self._context.upstreams.cardlytics.offers
        customer = self._context.customer_id
        # Distinct filters run concurrently; a failure is returned, not raised, so it fails only
        # the fields that asked for that filter.
        answers = await asyncio.gather(
            *(client.get_ads(customer, key) for key in keys), return_exceptions=True
        )
        for answer in answers:
            if isinstance(answer, BaseException) and not isinstance(answer, Exception):
                raise answer  # cancellation is the request's, not one filter's
        # aiodataloader rejects the load of a key whose value is an Exception instance.
        return cast(list[Ads], answers)


def ads_loader(context: Context) -> AdsLoader:
    return AdsLoader(context)


async def load_ads(context: Context, query: AdsQuery) -> Ads:
    return await context.loader(ads_loader).load(query)


# A msgspec Struct, as the ads are: built for every offer of a screen, where a frozen dataclass's
# __init__ cost some thirty times as much (its stores go through object.__setattr__). No cycles:
# not tracked by the collector.
class OfferView(msgspec.Struct, frozen=True, gc=False):
    """An ad with what only the whole getAds answer knows about it."""

    ad: Ad
    category: CategoryGroup | None
    # 1-based position in the "all" ranking; None when the ranking does not list it
    rank: int | None
    channel: Channel


def _view(ads: Ads, ad: Ad, channel: Channel) -> OfferView:
    ranked = ads.rankings.get("all", ())
    rank = ranked.index(ad.ad_id) + 1 if ad.ad_id in ranked else None
    return OfferView(ad=ad, category=ads.categories.get(ad.ad_id), rank=rank, channel=channel)


def offer_views(ads: Ads, channel: Channel) -> dict[str, OfferView]:
    """A view of each ad any ranking lists, by ad id, in the order the rankings first list them."""
    # Each ad's rank from one pass over the ranking, not a search of it per ad: the first
    # position of each id (zipped from the end, so that the first one is written last).
    ranked = ads.rankings.get("all", ())
    ranks = dict(zip(reversed(ranked), range(len(ranked), 0, -1), strict=True))
    every, categories = ads.ads, ads.categories
    views: dict[str, OfferView] = {}
    for ids in ads.rankings.values():
        for ad_id in ids:
            if ad_id not in views:
                views[ad_id] = OfferView(
                    every[ad_id], categories.get(ad_id), ranks.get(ad_id), channel
                )
    return views


async def load_offer_view(
    context: Context, ad_id: str, channel: Channel = DEFAULT_CHANNEL
) -> OfferView | None:
    """The offer ``ad_id`` as the viewer sees it now, or None if they have no such offer.

    Served from the default filter (the one the home screen uses, so usually already loaded);
    only an id missing there costs one more call, with the widest filter.
    """
    for query in (ads_query(channel), lookup_query(channel)):
        ads = await load_ads(context, query)
        if (ad := ads.ads.get(ad_id)) is not None:
            return _view(ads, ad, channel)
    return None


async def load_offer(context: Context, ad_id: str, channel: Channel = DEFAULT_CHANNEL) -> Ad | None:
    """The ad ``ad_id`` for cross-API joins (``CustomerTicket.offer``, ``Reward.offer``)."""
    view = await load_offer_view(context, ad_id, channel)
    return view.ad if view is not None else None


# --- events -------------------------------------------------------------------------------


class OfferAction(StrEnum):
    ACTIVATE = "activate"
    PARK = "park"
    UNPARK = "unpark"


_ACTION_EVENTS = {
    OfferAction.ACTIVATE: activate_offer,
    OfferAction.PARK: park_offer,
    OfferAction.UNPARK: unpark_offer,
}


class OfferEventKind(StrEnum):
    IMPRESSION = "impression"
    EXPANDED = "expanded"
    COLLAPSED = "collapsed"
    LINK_CLICKED = "link_clicked"


_KIND_EVENTS = {
    OfferEventKind.IMPRESSION: ad_viewable_impression,
    OfferEventKind.EXPANDED: display_element_expanded,
    OfferEventKind.COLLAPSED: display_element_collapsed,
    OfferEventKind.LINK_CLICKED: url_link_clicked,
}


@dataclass(frozen=True)
class OfferEventRequest:
    """One event as the client reported it, before the ad's serve token is looked up."""

    offer_id: str
    kind: OfferEventKind
    section: Section | None = None
    display_position: int | None = None
    occurred_at: datetime | None = None


def _section(view: OfferView, chosen: Section | None) -> Section:
    # The section the customer saw the ad in; else the first of the ad's own that Cardlytics
    # accepts back, so an event never fails on a section the client did not know.
    if chosen is not None:
        return chosen
    for name in view.ad.sections:
        if name in Section._value2member_map_:
            return Section(name)
    return DEFAULT_SECTION


def _metadata(
    view: OfferView, section: Section | None, display_position: int | None = None
) -> AdEventMetadata:
    if not view.ad.ad_serve_token:
        raise ValueError(f"offer {view.ad.ad_id} has no serve token")
    return AdEventMetadata(
        serve_token=view.ad.ad_serve_token,
        section=_section(view, section),
        channel=view.channel,
        display_position=display_position,
        category_id=view.category.id if view.category is not None else None,
    )


async def perform_offer_action(
    context: Context, view: OfferView, action: OfferAction, section: Section | None
) -> OfferView | None:
    """Send activate / park / unpark for ``view``, then read the offer back as it now is."""
    customer = require_customer(context)
    event = _ACTION_EVENTS[action](_metadata(view, section))
    await context.upstreams.cardlytics.events.send(customer, [event])
    # What this request loaded before the event is stale now.
    context.loader(ads_loader).clear_all()
    return await load_offer_view(context, view.ad.ad_id, view.channel)


def require_event_reporter(context: Context) -> None:
    """Customers and anonymous visitors report what they saw; agents see no offers to report."""
    if context.viewer.is_agent:
        raise Forbidden("support agents do not report offer events")


async def record_offer_events(
    context: Context, items: Sequence[tuple[OfferEventRequest, OfferView]]
) -> int:
    """Every event in ONE clientEvent call; returns how many were sent."""
    require_event_reporter(context)
    events: list[ClientEvent] = [
        _KIND_EVENTS[request.kind](
            _metadata(view, request.section, request.display_position), at=request.occurred_at
        )
        for request, view in items
    ]
    await context.upstreams.cardlytics.events.send(context.customer_id, events)
    return len(events)


async def record_enrollment(context: Context) -> None:
    customer = require_customer(context)
    await context.upstreams.cardlytics.events.send(customer, [log_enrollment()])
