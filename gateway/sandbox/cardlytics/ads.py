"""``POST /v2/ads/getAds``: the customer's offers, filtered, ranked, each with a new serve token.

Our reading of the request (C2#11): the state filters apply first (``activationStates`` defaults
to all three, ``visibilityStates`` to VISIBLE only, ``redemptionStates`` to no filter);
``includeExpiredAds=false`` drops ended ads and ``true`` adds those ended in the last 120 days;
``maxAdLimit`` truncates the ranked result and nothing ever paginates. ``channel`` is validated
but does not filter: every sample ad runs on every channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from gateway.sandbox.cardlytics.adcopy import ad_copy
from gateway.sandbox.cardlytics.bodies import Problems, is_one_of, read_json_object, shown
from gateway.sandbox.cardlytics.catalog import LOGO_BASE_URL
from gateway.sandbox.cardlytics.model import AdSpec, AdState, Customer, iso, number
from gateway.sandbox.cardlytics.request_ids import request_id
from gateway.sandbox.cardlytics.sessions import CustomerDep
from gateway.sandbox.cardlytics.state import SimDep, Simulator
from gateway.sandbox.cardlytics.vocab import (
    ACTIVATION_STATES,
    CHANNELS,
    REDEMPTION_STATES,
    SECTIONS,
    VISIBILITY_STATES,
    VISIBLE,
)

__all__ = ["render_ad", "router"]

EXPIRED_LOOKBACK = timedelta(days=120)
_INT_MAX = 2**31 - 1  # "1 to int. max value": a Java int
_LOGO_SIZES = {"large": 627, "small": 128}

router = APIRouter()


@dataclass(frozen=True)
class AdQuery:
    channel: str
    sections: frozenset[str] | None
    category_ids: frozenset[str] | None
    curation_ids: frozenset[str] | None
    activation_states: frozenset[str]
    visibility_states: frozenset[str]
    redemption_states: frozenset[str] | None
    max_ad_limit: int | None
    return_metadata: bool
    include_expired: bool


@router.post("/v2/ads/getAds")
async def get_ads(request: Request, sim: SimDep, customer: CustomerDep) -> dict[str, Any]:
    query = _parse(await read_json_object(request))
    chosen = select(sim, customer, query, datetime.now(UTC))
    ads = {
        spec.ad_id: render_ad(
            spec,
            state,
            serve_token=sim.serve_tokens.issue(customer.customer_id, spec.ad_id, query.channel),
            assets=query.return_metadata,
        )
        for spec, state in chosen
    }
    return {
        "requestId": request_id(),
        "ads": ads,
        "rankings": {"all": list(ads)},
        "categories": {spec.ad_id: _category(spec) for spec, _ in chosen},
        "storeLocations": None,
    }


def _parse(body: dict[str, Any]) -> AdQuery:
    problems = Problems()
    channel = body.get("channel")
    if channel is None:
        problems.add("channel: is required")
    elif not is_one_of(channel, CHANNELS):
        problems.add(f"channel: {shown(channel)} is not one of {', '.join(sorted(CHANNELS))}")
    max_ad_limit = body.get("maxAdLimit")
    if max_ad_limit is not None and (
        isinstance(max_ad_limit, bool)
        or not isinstance(max_ad_limit, int)
        or not 1 <= max_ad_limit <= _INT_MAX
    ):
        problems.add(f"maxAdLimit: must be an integer from 1 to {_INT_MAX}")
    query = AdQuery(
        channel=str(channel),
        sections=_set(problems.choices(body, "sections", SECTIONS)),
        category_ids=_set(problems.strings(body, "categoryIds")),
        curation_ids=_set(problems.strings(body, "curationIds")),
        activation_states=_set(problems.choices(body, "activationStates", ACTIVATION_STATES))
        or frozenset(ACTIVATION_STATES),
        visibility_states=_set(problems.choices(body, "visibilityStates", VISIBILITY_STATES))
        or frozenset({VISIBLE}),
        redemption_states=_set(problems.choices(body, "redemptionStates", REDEMPTION_STATES)),
        max_ad_limit=max_ad_limit,
        return_metadata=problems.boolean(body, "returnMetadata", default=False),
        include_expired=problems.boolean(body, "includeExpiredAds", default=False),
    )
    problems.raise_if_any()
    return query


def _set(values: tuple[str, ...] | None) -> frozenset[str] | None:
    return frozenset(values) if values else None


def select(
    sim: Simulator, customer: Customer, query: AdQuery, now: datetime
) -> list[tuple[AdSpec, AdState]]:
    chosen = [
        (spec, state)
        for ad_id, state in customer.ads.items()
        if _wanted(spec := sim.ad(ad_id), state, query, now)
    ]
    return chosen[: query.max_ad_limit]


def _wanted(spec: AdSpec, state: AdState, query: AdQuery, now: datetime) -> bool:
    if spec.ended(now) and (not query.include_expired or spec.end < now - EXPIRED_LOOKBACK):
        return False
    if state.activation not in query.activation_states:
        return False
    if state.visibility not in query.visibility_states:
        return False
    if query.redemption_states is not None and state.redemption not in query.redemption_states:
        return False
    return (
        (query.sections is None or not query.sections.isdisjoint(spec.sections))
        and (query.category_ids is None or spec.category.id in query.category_ids)
        and (query.curation_ids is None or not query.curation_ids.isdisjoint(spec.curation_ids))
    )


def render_ad(
    spec: AdSpec, state: AdState, *, serve_token: str | None, assets: bool
) -> dict[str, Any]:
    """An Ad object (B3), fields in the seed's order; optional ones only when they have a value."""
    ad: dict[str, Any] = {"adType": "CASH_BACK_OFFER"}
    if serve_token is not None:
        ad["adServeToken"] = serve_token
    ad |= {"startDate": iso(spec.start), "endDate": iso(spec.end)}
    if state.activated_at is not None:
        ad["activationDate"] = iso(state.activated_at)
    ad |= {
        "merchantName": spec.merchant,
        "sections": list(spec.sections),
        "reward": _reward(spec),
        "activationState": state.activation,
        "visibilityState": state.visibility,
    }
    if state.redemption is not None:
        ad["redemptionState"] = state.redemption
    if assets:
        ad["assets"] = {"logo": _logo(spec), "copy": {"type": "AD_COPY", "value": ad_copy(spec)}}
    ad["isAffiliateMarketing"] = spec.affiliate
    return ad


def _reward(spec: AdSpec) -> dict[str, Any]:
    reward = spec.reward
    requirement: dict[str, Any] = {
        "minSpendAmount": number(reward.min_spend),
        "purchaseChannels": list(reward.channels),
    }
    if reward.purchase_types:
        requirement["purchaseTypes"] = list(reward.purchase_types)
    requirement["merchantUrlLinkClickRequired"] = reward.url_click_required
    return {
        "rewardType": reward.reward_type,
        "rewardAmount": number(reward.amount),
        "maxRewardAmount": number(reward.max_amount),
        "isMultiRedemption": reward.multi_redemption,
        "purchaseRequirement": requirement,
        "activationModel": reward.activation_model,
    }


def _logo(spec: AdSpec) -> dict[str, Any]:
    keys = dict(zip(_LOGO_SIZES, spec.logo_keys, strict=True))
    value = {
        size: {"url": f"{LOGO_BASE_URL}/{keys[size]}.jpg", "width": px, "height": px}
        for size, px in _LOGO_SIZES.items()
    }
    return {"type": "IMAGE_URL", "value": value}


def _category(spec: AdSpec) -> dict[str, str]:
    return {"name": spec.category.name, "id": spec.category.id}
