"""clientEvent: the events we report, with their (clientEvent, clientEventType) pairs (B3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from uuid import UUID

from pydantic import ConfigDict, Field, field_serializer, model_validator

from gateway.upstreams.cardlytics.models.base import Id, WireModel
from gateway.upstreams.cardlytics.models.enums import Channel, Section

__all__ = [
    "AD_EVENTS",
    "EVENT_TYPES",
    "AdEventMetadata",
    "ClientEvent",
    "ClientEventName",
    "ClientEventType",
]


class ClientEventType(StrEnum):
    AD_IMPRESSION = "AdImpression"
    AD_INTERACTION = "AdInteraction"
    CUSTOMER_PROFILE_ACTION = "CustomerProfileAction"
    SESSION_ACTION = "SessionAction"


class ClientEventName(StrEnum):
    DISPLAY_ELEMENT_EXPANDED = "DisplayElementExpanded"
    DISPLAY_ELEMENT_COLLAPSED = "DisplayElementCollapsed"
    URL_LINK_CLICKED = "UrlLinkClicked"
    URL_LINK_CONTINUE = "UrlLinkContinue"
    ACTIVATE_OFFER = "ActivateOffer"
    PARK_OFFER = "ParkOffer"
    UNPARK_OFFER = "UnParkOffer"
    UNPARK_ALL_OFFERS = "UnParkAllOffers"
    AD_VIEWABLE_IMPRESSION = "AdViewableImpression"
    LOG_ENROLLMENT = "LogEnrollment"
    REWARD_SUMMARY_LINK_CLICKED = "RewardSummaryLinkClicked"
    LEARN_MORE_LINK_CLICKED = "LearnMoreLinkClicked"
    FAQ_LINK_CLICKED = "FaqLinkClicked"
    EXPIRED_OFFERS_LINK_CLICKED = "ExpiredOffersLinkClicked"


_E, _T = ClientEventName, ClientEventType

#: The full public list (upstreams.md B3; the seed's table misses some, C2#8).
EVENT_TYPES: Final[Mapping[ClientEventName, ClientEventType]] = MappingProxyType(
    {
        _E.DISPLAY_ELEMENT_EXPANDED: _T.AD_INTERACTION,
        _E.DISPLAY_ELEMENT_COLLAPSED: _T.AD_INTERACTION,
        _E.URL_LINK_CLICKED: _T.AD_INTERACTION,
        _E.URL_LINK_CONTINUE: _T.AD_INTERACTION,
        _E.ACTIVATE_OFFER: _T.AD_INTERACTION,
        _E.PARK_OFFER: _T.AD_INTERACTION,
        _E.UNPARK_OFFER: _T.AD_INTERACTION,
        _E.UNPARK_ALL_OFFERS: _T.SESSION_ACTION,
        _E.AD_VIEWABLE_IMPRESSION: _T.AD_IMPRESSION,
        _E.LOG_ENROLLMENT: _T.SESSION_ACTION,
        _E.REWARD_SUMMARY_LINK_CLICKED: _T.CUSTOMER_PROFILE_ACTION,
        _E.LEARN_MORE_LINK_CLICKED: _T.CUSTOMER_PROFILE_ACTION,
        _E.FAQ_LINK_CLICKED: _T.CUSTOMER_PROFILE_ACTION,
        _E.EXPIRED_OFFERS_LINK_CLICKED: _T.AD_INTERACTION,
    }
)

#: Events about one ad: they need its serve token, section and channel.
AD_EVENTS: Final[frozenset[ClientEventName]] = frozenset(
    name
    for name, kind in EVENT_TYPES.items()
    if kind in (_T.AD_IMPRESSION, _T.AD_INTERACTION)
    and name is not _E.EXPIRED_OFFERS_LINK_CLICKED  # a link to a list, not to one ad
)


class AdEventMetadata(WireModel):
    """Where and how the customer met the ad (ClientEventAdMetadata)."""

    model_config = ConfigDict(extra="forbid")

    serve_token: str = Field(min_length=1)
    section: Section
    channel: Channel
    # documented as required, but every sample omits it: optional (C2#7)
    display_position: int | None = Field(default=None, ge=0, strict=True)
    image_slots: tuple[str, ...] | None = None
    category_id: Id | None = None
    curation_id: Id | None = None


class ClientEvent(WireModel):
    """One ClientEventMessage. Its id is fixed when it is built, so a retry re-sends the same id."""

    model_config = ConfigDict(extra="forbid")

    client_event_id: UUID
    client_event_type: ClientEventType
    client_event: ClientEventName
    client_event_timestamp: datetime
    client_event_metadata: AdEventMetadata | None = None

    @model_validator(mode="after")
    def _pair_and_metadata_agree(self) -> ClientEvent:
        expected = EVENT_TYPES[self.client_event]
        if self.client_event_type is not expected:
            raise ValueError(f"{self.client_event} is an {expected} event")
        if self.client_event in AD_EVENTS and self.client_event_metadata is None:
            raise ValueError(f"{self.client_event} needs the ad's metadata")
        if self.client_event_timestamp.tzinfo is None:
            raise ValueError("clientEventTimestamp needs a time zone")
        return self

    @field_serializer("client_event_timestamp")
    def _iso_utc(self, value: datetime) -> str:
        precision = "milliseconds" if value.microsecond else "seconds"
        return value.astimezone(UTC).isoformat(timespec=precision).replace("+00:00", "Z")
