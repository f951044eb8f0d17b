"""Offer mutations end to end: activation, parking, events in one call, validation, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox

CUSTOMER = "customer-linked"
CLIENT_EVENT = "POST /v2/events/clientEvent"
GET_ADS = "POST /v2/ads/getAds"

PAYLOAD = """
  offer { id activationState visibilityState activationDate serveToken }
  errors { __typename message ... on ValidationError { field } ... on RejectedError { upstream } }
"""


def _act(mutation: str, offer_id: str, extra: str = "") -> str:
    # Literals, not variables: tests.support.gateway passes variables in a form gql deprecates.
    return f'mutation {{ {mutation}(input: {{offerId: "{offer_id}"{extra}}}) {{ {PAYLOAD} }} }}'


async def _offers(gateway: Gateway, token: str | None) -> list[dict[str, Any]]:
    result = await gateway.execute(
        "{ offers { nodes { id activationState visibilityState } } }", token=token
    )
    assert result.errors == []
    assert result.data is not None
    nodes: list[dict[str, Any]] = result.data["offers"]["nodes"]
    return nodes


async def _first(gateway: Gateway, token: str, state: str) -> str:
    offers = await _offers(gateway, token)
    return str(next(o["id"] for o in offers if o["activationState"] == state))


async def test_activation_moves_the_offer_to_activated(gateway: Gateway, sandbox: Sandbox) -> None:
    token = gateway.customer(CUSTOMER)
    offer_id = await _first(gateway, token, "NEW")
    sandbox.reset_calls("cardlytics")

    result = await gateway.execute(_act("activateOffer", offer_id), token=token)

    assert result.errors == []
    assert result.data is not None
    payload = result.data["activateOffer"]
    assert payload["errors"] == []
    assert payload["offer"]["id"] == offer_id
    assert payload["offer"]["activationState"] == "ACTIVATED"
    assert payload["offer"]["activationDate"]
    calls = sandbox.calls("cardlytics")
    assert calls[CLIENT_EVENT] == 1
    assert calls[GET_ADS] == 2  # the serve token before, the offer as it now is after
    after = await gateway.execute(
        f'{{ offer(id: "{offer_id}") {{ activationState }} }}', token=token
    )
    assert after.data == {"offer": {"activationState": "ACTIVATED"}}


async def test_park_hides_the_offer_and_unpark_shows_it_again(gateway: Gateway) -> None:
    token = gateway.customer(CUSTOMER)
    offer_id = (await _offers(gateway, token))[0]["id"]

    parked = await gateway.execute(_act("parkOffer", offer_id, ", section: DASHBOARD"), token=token)

    assert parked.data is not None
    assert parked.data["parkOffer"]["errors"] == []
    # read back through the widest filter: the default one shows VISIBLE offers only
    assert parked.data["parkOffer"]["offer"]["visibilityState"] == "PARKED"
    assert offer_id not in {o["id"] for o in await _offers(gateway, token)}

    unparked = await gateway.execute(_act("unparkOffer", offer_id), token=token)

    assert unparked.data is not None
    assert unparked.data["unparkOffer"]["offer"]["visibilityState"] == "VISIBLE"
    assert offer_id in {o["id"] for o in await _offers(gateway, token)}


async def test_an_unknown_offer_is_not_found_and_nothing_is_sent(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await gateway.execute(
        _act("activateOffer", "999999999"), token=gateway.customer(CUSTOMER)
    )

    assert result.data is not None
    payload = result.data["activateOffer"]
    assert payload["offer"] is None
    [error] = payload["errors"]
    assert error["__typename"] == "NotFoundError"
    assert "offerId" in error["message"]
    assert CLIENT_EVENT not in sandbox.calls("cardlytics")


async def test_an_upstream_refusal_is_a_rejected_error(gateway: Gateway, sandbox: Sandbox) -> None:
    token = gateway.customer(CUSTOMER)
    offer_id = await _first(gateway, token, "NEW")
    sandbox.faults("cardlytics", {"match": CLIENT_EVENT, "error_status": 400})

    result = await gateway.execute(_act("activateOffer", offer_id), token=token)

    assert result.errors == []
    assert result.data is not None
    payload = result.data["activateOffer"]
    assert payload["offer"] is None
    [error] = payload["errors"]
    assert error["__typename"] == "RejectedError"
    assert error["upstream"] == "cardlytics"
    assert error["message"]
    sandbox.faults("cardlytics")
    states = {o["id"]: o["activationState"] for o in await _offers(gateway, token)}
    assert states[offer_id] == "NEW"


@pytest.mark.parametrize("mutation", ["activateOffer", "parkOffer", "unparkOffer"])
@pytest.mark.parametrize(("role", "code"), [(None, "UNAUTHENTICATED"), ("agent", "FORBIDDEN")])
async def test_only_customers_change_offers(
    gateway: Gateway, sandbox: Sandbox, mutation: str, role: str | None, code: str
) -> None:
    token = gateway.agent() if role == "agent" else None

    result = await gateway.execute(_act(mutation, "1000053130"), token=token)

    assert result.data == {mutation: None}
    assert result.codes == [code]
    assert sandbox.calls("cardlytics") == {}


def _events(events: list[str], channel: str = "") -> str:
    return (
        f"mutation {{ recordOfferEvents(input: {{{channel} events: [{', '.join(events)}]}}) {{"
        " recorded errors { __typename message ... on ValidationError { field } } } }"
    )


async def test_five_impressions_are_one_client_event_call(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    token = gateway.customer(CUSTOMER)
    offers = await _offers(gateway, token)
    new = [o["id"] for o in offers if o["activationState"] == "NEW"]
    shown = [o["id"] for o in offers][:5]
    assert len(shown) == 5 and set(shown) & set(new)  # some were never seen before
    sandbox.reset_calls("cardlytics")

    impressions = [
        f'{{offerId: "{offer_id}", type: IMPRESSION, section: LANDING, displayPosition: {i}}}'
        for i, offer_id in enumerate(shown)
    ]
    result = await gateway.execute(_events(impressions), token=token)

    assert result.errors == []
    assert result.data == {"recordOfferEvents": {"recorded": 5, "errors": []}}
    calls = sandbox.calls("cardlytics")
    assert calls[CLIENT_EVENT] == 1
    assert calls[GET_ADS] == 1  # every id looked up in the same answer
    states = {o["id"]: o["activationState"] for o in await _offers(gateway, token)}
    assert all(states[offer_id] != "NEW" for offer_id in shown)  # seen: NEW -> SERVED


async def test_every_event_kind_goes_in_one_call(gateway: Gateway, sandbox: Sandbox) -> None:
    token = gateway.customer(CUSTOMER)
    offer_id = (await _offers(gateway, token))[0]["id"]
    sandbox.reset_calls("cardlytics")
    events = [
        f'{{offerId: "{offer_id}", type: {kind}, occurredAt: "2026-01-01T10:00:00Z"}}'
        for kind in ("IMPRESSION", "EXPANDED", "COLLAPSED", "LINK_CLICKED")
    ]

    result = await gateway.execute(_events(events, "channel: MOBILE_APP,"), token=token)

    assert result.data == {"recordOfferEvents": {"recorded": 4, "errors": []}}
    assert sandbox.calls("cardlytics")[CLIENT_EVENT] == 1


async def test_anonymous_visitors_report_impressions_of_welcome_offers(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    offer_id = (await _offers(gateway, None))[0]["id"]

    result = await gateway.execute(_events([f'{{offerId: "{offer_id}", type: IMPRESSION}}']))

    assert result.data == {"recordOfferEvents": {"recorded": 1, "errors": []}}
    assert sandbox.calls("cardlytics")[CLIENT_EVENT] == 1


async def test_events_are_checked_before_anything_is_sent(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    token = gateway.customer(CUSTOMER)
    offer_id = (await _offers(gateway, token))[0]["id"]
    sandbox.reset_calls("cardlytics")

    empty = await gateway.execute(_events([]), token=token)
    negative = await gateway.execute(
        _events([f'{{offerId: "{offer_id}", type: IMPRESSION, displayPosition: -1}}']),
        token=token,
    )
    assert sandbox.calls("cardlytics") == {}  # both refused before any call
    unknown = await gateway.execute(
        _events(
            [
                f'{{offerId: "{offer_id}", type: IMPRESSION}}',
                '{offerId: "999999999", type: IMPRESSION}',
            ]
        ),
        token=token,
    )

    assert empty.data is not None and negative.data is not None and unknown.data is not None
    assert empty.data["recordOfferEvents"] == {
        "recorded": None,
        "errors": [
            {
                "__typename": "ValidationError",
                "message": "at least one event is needed",
                "field": ["input", "events"],
            }
        ],
    }
    [position] = negative.data["recordOfferEvents"]["errors"]
    assert position["field"] == ["input", "events", "0", "displayPosition"]
    [missing] = unknown.data["recordOfferEvents"]["errors"]
    assert missing["__typename"] == "NotFoundError"
    assert "input.events.1.offerId" in missing["message"]
    assert CLIENT_EVENT not in sandbox.calls("cardlytics")


async def test_agents_report_no_offer_events(gateway: Gateway, sandbox: Sandbox) -> None:
    result = await gateway.execute(
        _events(['{offerId: "1", type: IMPRESSION}']), token=gateway.agent()
    )

    assert result.data == {"recordOfferEvents": None}
    assert result.codes == ["FORBIDDEN"]
    assert sandbox.calls("cardlytics") == {}


ENROL = "mutation { logEnrollment { enrolled errors { __typename message } } }"


async def test_log_enrollment(gateway: Gateway, sandbox: Sandbox) -> None:
    result = await gateway.execute(ENROL, token=gateway.customer(CUSTOMER))

    assert result.data == {"logEnrollment": {"enrolled": True, "errors": []}}
    assert sandbox.calls("cardlytics")[CLIENT_EVENT] == 1


async def test_log_enrollment_needs_a_customer(gateway: Gateway, sandbox: Sandbox) -> None:
    anonymous = await gateway.execute(ENROL)
    agent = await gateway.execute(ENROL, token=gateway.agent())

    assert anonymous.codes == ["UNAUTHENTICATED"]
    assert agent.codes == ["FORBIDDEN"]
    assert sandbox.calls("cardlytics") == {}
