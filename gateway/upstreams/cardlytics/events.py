"""clientEvent: reporting what the customer did with offers, many events in one call.

Each event gets its GUID and timestamp when it is built, so every retry of a send carries the
same ``clientEventId``s and Cardlytics can tell a repeat from a new event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.ads_cache import AdsCache
from gateway.upstreams.cardlytics.models import (
    EVENT_TYPES,
    Accepted,
    AdEventMetadata,
    ClientEvent,
    ClientEventName,
)
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.cardlytics.wire import Expect

__all__ = [
    "CLIENT_EVENT",
    "Events",
    "activate_offer",
    "ad_viewable_impression",
    "client_event",
    "display_element_collapsed",
    "display_element_expanded",
    "log_enrollment",
    "park_offer",
    "unpark_offer",
    "url_link_clicked",
]

CLIENT_EVENT = "/v2/events/clientEvent"


class Events:
    """``POST /v2/events/clientEvent``."""

    def __init__(self, transport: CardlyticsTransport, ads_cache: AdsCache) -> None:
        self._transport = transport
        self._ads_cache = ads_cache

    async def send(self, customer: HashedCustomerId, events: Sequence[ClientEvent]) -> Accepted:
        if not events:
            raise ValueError("at least one client event is needed")
        body = {
            "clientEvents": [event.model_dump(mode="json", exclude_none=True) for event in events]
        }
        try:
            return await self._transport.call(
                "POST",
                CLIENT_EVENT,
                customer,
                Expect("clientEvent", Accepted.model_validate, when_empty=Accepted),
                idempotent=True,  # the ids above were fixed before the first attempt
                json=body,
            )
        finally:
            # Even a failed send may have reached Cardlytics: the customer's ads may differ now.
            self._ads_cache.changed(customer)


def client_event(
    name: ClientEventName, metadata: AdEventMetadata | None = None, *, at: datetime | None = None
) -> ClientEvent:
    """Any documented event, with its type looked up and a fresh GUID."""
    return ClientEvent(
        client_event_id=uuid.uuid4(),
        client_event_type=EVENT_TYPES[name],
        client_event=name,
        client_event_timestamp=at or datetime.now(UTC),
        client_event_metadata=metadata,
    )


def activate_offer(metadata: AdEventMetadata, *, at: datetime | None = None) -> ClientEvent:
    return client_event(ClientEventName.ACTIVATE_OFFER, metadata, at=at)


def park_offer(metadata: AdEventMetadata, *, at: datetime | None = None) -> ClientEvent:
    return client_event(ClientEventName.PARK_OFFER, metadata, at=at)


def unpark_offer(metadata: AdEventMetadata, *, at: datetime | None = None) -> ClientEvent:
    return client_event(ClientEventName.UNPARK_OFFER, metadata, at=at)


def ad_viewable_impression(metadata: AdEventMetadata, *, at: datetime | None = None) -> ClientEvent:
    return client_event(ClientEventName.AD_VIEWABLE_IMPRESSION, metadata, at=at)


def display_element_expanded(
    metadata: AdEventMetadata, *, at: datetime | None = None
) -> ClientEvent:
    return client_event(ClientEventName.DISPLAY_ELEMENT_EXPANDED, metadata, at=at)


def display_element_collapsed(
    metadata: AdEventMetadata, *, at: datetime | None = None
) -> ClientEvent:
    return client_event(ClientEventName.DISPLAY_ELEMENT_COLLAPSED, metadata, at=at)


def url_link_clicked(metadata: AdEventMetadata, *, at: datetime | None = None) -> ClientEvent:
    return client_event(ClientEventName.URL_LINK_CLICKED, metadata, at=at)


def log_enrollment(*, at: datetime | None = None) -> ClientEvent:
    return client_event(ClientEventName.LOG_ENROLLMENT, at=at)
