"""``POST /v2/events/clientEvent``: validate every event, then apply them all, or none.

Each (clientEventType, clientEvent) pair must match the full public list (B3, C2#8). Events about
one ad need ``clientEventMetadata`` with a ``serveToken`` this customer got from getAds within the
last hour, a ``section`` and a ``channel``; ``displayPosition`` is optional (C2#7). Any invalid
event makes the whole request a 400 that lists every problem. Effects: ActivateOffer, ParkOffer,
UnParkOffer, UnParkAllOffers and AdViewableImpression (NEW -> SERVED) change the ad's states; the
rest are only recorded. An event id already applied for this customer is accepted and skipped, even
once its serve token has expired, so a client may resend a batch. Events of ``no-user-available``
change nothing: its welcome basket is shared by every anonymous visitor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from gateway.sandbox.cardlytics.bodies import (
    Problems,
    is_one_of,
    read_json_object,
    shown,
    timestamp,
)
from gateway.sandbox.cardlytics.model import Customer
from gateway.sandbox.cardlytics.request_ids import request_id
from gateway.sandbox.cardlytics.sessions import CustomerDep
from gateway.sandbox.cardlytics.state import SimDep, Simulator
from gateway.sandbox.cardlytics.vocab import (
    ACTIVATED,
    AD_EVENTS,
    CHANNELS,
    CLIENT_EVENT_TYPES,
    CLIENT_EVENTS,
    NEW,
    PARKED,
    SECTIONS,
    SERVED,
    VISIBLE,
)

__all__ = ["router"]

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

router = APIRouter()


@dataclass(frozen=True)
class ClientEvent:
    event_id: str
    name: str
    ad_id: str | None


@router.post("/v2/events/clientEvent")
async def client_event(request: Request, sim: SimDep, customer: CustomerDep) -> dict[str, Any]:
    events = _parse(await read_json_object(request), sim, customer)
    now = datetime.now(UTC)
    for event in events:
        if event.event_id in customer.applied_events:
            continue
        customer.applied_events.add(event.event_id)
        if not customer.anonymous:
            _EFFECTS.get(event.name, _recorded_only)(customer, event, now)
    return {"requestId": request_id()}


def _parse(body: dict[str, Any], sim: Simulator, customer: Customer) -> list[ClientEvent]:
    problems = Problems()
    items = body.get("clientEvents")
    if not isinstance(items, list) or not items:
        problems.add("clientEvents: must be a non-empty array")
        problems.raise_if_any()
    assert isinstance(items, list)
    checker = _EventChecker(sim, customer, problems)
    events = [checker.check(item, f"clientEvents[{n}]") for n, item in enumerate(items)]
    problems.raise_if_any()
    return [event for event in events if event is not None]


@dataclass
class _EventChecker:
    sim: Simulator
    customer: Customer
    problems: Problems

    def check(self, item: Any, where: str) -> ClientEvent | None:
        if not isinstance(item, dict):
            self.problems.add(f"{where}: must be an object")
            return None
        before = len(self.problems.messages)
        event_id, name = item.get("clientEventId"), item.get("clientEvent")
        if not isinstance(event_id, str) or not _GUID.fullmatch(event_id):
            self.problems.add(f"{where}.clientEventId: must be a GUID")
        self._pair(item.get("clientEventType"), name, where)
        if timestamp(item.get("clientEventTimestamp")) is None:
            self.problems.add(f"{where}.clientEventTimestamp: must be an ISO-8601 date-time")
        for_an_ad = is_one_of(name, AD_EVENTS)
        # The client retries with the same GUIDs, possibly after the serve token's hour is up.
        resend = isinstance(event_id, str) and event_id in self.customer.applied_events
        ad_id = self._metadata(item.get("clientEventMetadata"), for_an_ad, resend, where)
        if len(self.problems.messages) > before:
            return None
        return ClientEvent(str(event_id), str(name), ad_id)

    def _pair(self, kind: Any, name: Any, where: str) -> None:
        if not is_one_of(kind, CLIENT_EVENT_TYPES):
            self.problems.add(f"{where}.clientEventType: {shown(kind)} is not a ClientEventType")
        if not is_one_of(name, CLIENT_EVENTS):
            self.problems.add(f"{where}.clientEvent: {shown(name)} is not a ClientEvent")
        elif is_one_of(kind, CLIENT_EVENT_TYPES) and CLIENT_EVENTS[name] != kind:
            self.problems.add(
                f"{where}.clientEvent: {shown(name)} is a {CLIENT_EVENTS[name]} event, not {kind}"
            )

    def _metadata(self, meta: Any, for_an_ad: bool, resend: bool, where: str) -> str | None:
        where = f"{where}.clientEventMetadata"
        if meta is None:
            if for_an_ad:
                self.problems.add(f"{where}: is required for this clientEvent")
            return None
        if not isinstance(meta, dict):
            self.problems.add(f"{where}: must be an object")
            return None
        for key, allowed in (("section", SECTIONS), ("channel", CHANNELS)):
            if meta.get(key) is None and not for_an_ad:
                continue
            if not is_one_of(meta.get(key), allowed):
                self.problems.add(f"{where}.{key}: {shown(meta.get(key))} is not a valid {key}")
        position = meta.get("displayPosition")
        if position is not None and (
            isinstance(position, bool) or not isinstance(position, int) or position < 0
        ):
            self.problems.add(f"{where}.displayPosition: must be an integer >= 0")
        self._optional_strings(meta, where)
        if meta.get("serveToken") is None and not for_an_ad:
            return None
        return self._serve_token(meta.get("serveToken"), f"{where}.serveToken", resend)

    def _optional_strings(self, meta: dict[str, Any], where: str) -> None:
        slots = meta.get("imageSlots")
        if slots is not None and (
            not isinstance(slots, list) or not all(isinstance(s, str) for s in slots)
        ):
            self.problems.add(f"{where}.imageSlots: must be an array of strings")
        for key in ("categoryId", "curationId"):
            if meta.get(key) is not None and not isinstance(meta[key], str):
                self.problems.add(f"{where}.{key}: must be a string")

    def _serve_token(self, value: Any, where: str, resend: bool) -> str | None:
        token = self.sim.serve_tokens.get(value) if isinstance(value, str) else None
        if token is None or token.customer_id != self.customer.customer_id:
            self.problems.add(f"{where}: is not a serve token issued to this customer")
            return None
        if token.expired() and not resend:
            self.problems.add(f"{where}: has expired; fetch the ads again")
            return None
        return token.ad_id


def _activate(customer: Customer, event: ClientEvent, now: datetime) -> None:
    state = customer.ads[str(event.ad_id)]
    if state.activation != ACTIVATED:
        state.activation, state.activated_at = ACTIVATED, now


def _park(customer: Customer, event: ClientEvent, now: datetime) -> None:
    customer.ads[str(event.ad_id)].visibility = PARKED


def _unpark(customer: Customer, event: ClientEvent, now: datetime) -> None:
    customer.ads[str(event.ad_id)].visibility = VISIBLE


def _unpark_all(customer: Customer, event: ClientEvent, now: datetime) -> None:
    for state in customer.ads.values():
        state.visibility = VISIBLE


def _viewed(customer: Customer, event: ClientEvent, now: datetime) -> None:
    state = customer.ads[str(event.ad_id)]
    if state.activation == NEW:
        state.activation = SERVED


def _recorded_only(customer: Customer, event: ClientEvent, now: datetime) -> None:
    return None


_EFFECTS: dict[str, Callable[[Customer, ClientEvent, datetime], None]] = {
    "ActivateOffer": _activate,
    "ParkOffer": _park,
    "UnParkOffer": _unpark,
    "UnParkAllOffers": _unpark_all,
    "AdViewableImpression": _viewed,
}
