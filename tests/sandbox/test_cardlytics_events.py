"""Cardlytics simulator: POST /v2/events/clientEvent, its validation and its effect on the ads."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.settings import SandboxSettings
from tests.sandbox.cardlytics_client import (
    ANONYMOUS,
    CardlyticsApi,
    CustomerSession,
    ad_event,
    assert_error,
    customer_id,
    event,
)
from tests.support.sandbox import Sandbox

StartSandbox = Callable[..., AbstractContextManager[Sandbox]]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cardlytics"
SAMPLES = ["client_event_log_enrollment", "client_event_activate_offer", "client_event_impression"]
SAMPLE_RESPONSE: dict[str, Any] = json.loads((FIXTURES / "client_event_response.json").read_bytes())

# The full public ClientEvent list with the ClientEventType each belongs to (upstreams.md B3).
EVENT_TYPES = {
    "DisplayElementExpanded": "AdInteraction",
    "DisplayElementCollapsed": "AdInteraction",
    "UrlLinkClicked": "AdInteraction",
    "UrlLinkContinue": "AdInteraction",
    "ActivateOffer": "AdInteraction",
    "ParkOffer": "AdInteraction",
    "UnParkOffer": "AdInteraction",
    "UnParkAllOffers": "SessionAction",
    "AdViewableImpression": "AdImpression",
    "LogEnrollment": "SessionAction",
    "RewardSummaryLinkClicked": "CustomerProfileAction",
    "LearnMoreLinkClicked": "CustomerProfileAction",
    "FaqLinkClicked": "CustomerProfileAction",
    "ExpiredOffersLinkClicked": "AdInteraction",
}
KINDS = sorted(set(EVENT_TYPES.values()))
# Events about one ad; ExpiredOffersLinkClicked is an AdInteraction about a list, not an ad.
AD_EVENTS = sorted(
    name
    for name, kind in EVENT_TYPES.items()
    if kind in {"AdInteraction", "AdImpression"} and name != "ExpiredOffersLinkClicked"
)
MISMATCHED = [
    (name, kind) for name, right in EVENT_TYPES.items() for kind in KINDS if kind != right
]

# The seed's ActivateOffer sample exactly as printed: its trailing commas make it invalid JSON.
SEED_ACTIVATE_OFFER = b"""{
    "clientEvents": [
        {
            "clientEventId": "12395199-1565-4565-bf99-3f94ee505d12",
            "clientEventType": "AdInteraction",
            "clientEvent": "ActivateOffer",
            "clientEventTimestamp": "2024-10-01T07:00:00Z",
            "clientEventMetadata": {
                "serveToken": "SERVE_TOKEN",
                "section": "Dashboard",
                "channel": "OLB",
            }
        }
    ]
}"""


class Offers:
    """One customer's session and a view of their ads in every state."""

    def __init__(self, sandbox: Sandbox, n: int | str = 1) -> None:
        self.session: CustomerSession = CardlyticsApi(sandbox.cardlytics_url).session(
            customer_id(n)
        )

    def all(self) -> dict[str, dict[str, Any]]:
        ads: dict[str, dict[str, Any]] = self.session.ads_ok(
            activationStates=["NEW", "SERVED", "ACTIVATED"],
            visibilityStates=["VISIBLE", "PARKED"],
        )["ads"]
        return ads

    def one(self, activation: str = "NEW", visibility: str = "VISIBLE") -> tuple[str, str]:
        """(adId, fresh serve token) of an activatable ad in the given states."""
        for ad_id, ad in self.all().items():
            if (
                ad["activationState"] == activation
                and ad["visibilityState"] == visibility
                and ad["reward"]["activationModel"] == "ACTIVATABLE"
            ):
                return ad_id, ad["adServeToken"]
        raise AssertionError(f"no {activation} {visibility} ad")

    def some(self, count: int) -> list[tuple[str, str]]:
        return [(ad_id, ad["adServeToken"]) for ad_id, ad in list(self.all().items())[:count]]

    def token(self) -> str:
        return self.some(1)[0][1]

    def state(self, ad_id: str) -> dict[str, Any]:
        return self.all()[ad_id]


def sample(name: str, serve_token: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_bytes())
    for item in body["clientEvents"]:
        item["clientEventId"] = str(uuid.uuid4())
        if "clientEventMetadata" in item:
            item["clientEventMetadata"]["serveToken"] = serve_token
    return body


def errors_of(response: httpx.Response) -> list[str]:
    errors: list[str] = assert_error(response, 400, "ValidationException")["validationErrors"]
    return errors


# --- accepted requests ---


@pytest.mark.parametrize("name", SAMPLES)
def test_the_seed_samples_are_accepted_with_the_documented_answer(
    sandbox: Sandbox, name: str
) -> None:
    # given
    offers = Offers(sandbox)
    # when
    response = offers.session.post("/v2/events/clientEvent", sample(name, offers.token()))
    # then
    assert response.status_code == 200, response.text
    assert list(response.json()) == list(SAMPLE_RESPONSE)


def test_the_answer_echoes_the_request_id(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    response = offers.session.send_events(
        event("LogEnrollment", "SessionAction"), headers={"X-CDLX-Request-Id": "req-ev-7"}
    )
    assert response.json() == {"requestId": "req-ev-7"}


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_public_event_is_accepted_with_its_type(sandbox: Sandbox, name: str) -> None:
    offers = Offers(sandbox)
    kind = EVENT_TYPES[name]
    if kind in {"AdInteraction", "AdImpression"}:
        message = ad_event(name, offers.token(), kind=kind)
    else:
        message = event(name, kind)
    offers.session.events_ok(message)


@pytest.mark.parametrize(("name", "kind"), MISMATCHED)
def test_an_event_with_another_type_is_rejected(sandbox: Sandbox, name: str, kind: str) -> None:
    offers = Offers(sandbox)
    response = offers.session.send_events(ad_event(name, offers.token(), kind=kind))
    assert any("clientEvent" in e and name in e for e in errors_of(response))


@pytest.mark.parametrize(
    ("name", "kind"),
    [("ViewOffer", "AdInteraction"), ("activateOffer", "AdInteraction"), ("LogEnrollment", "X")],
)
def test_unknown_events_and_types_are_rejected(sandbox: Sandbox, name: str, kind: str) -> None:
    offers = Offers(sandbox)
    assert errors_of(offers.session.send_events(ad_event(name, offers.token(), kind=kind)))


def test_optional_metadata_may_be_sent(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    message = ad_event("DisplayElementExpanded", offers.token())
    message["clientEventMetadata"] |= {
        "displayPosition": 0,
        "imageSlots": ["logo", "smallRectangle"],
        "categoryId": "2",
        "curationId": "101",
    }
    offers.session.events_ok(message)


# --- what is rejected ---


@pytest.mark.parametrize("name", AD_EVENTS)
def test_ad_events_need_metadata(sandbox: Sandbox, name: str) -> None:
    offers = Offers(sandbox)
    response = offers.session.send_events(event(name, EVENT_TYPES[name]))
    assert any("clientEventMetadata" in e for e in errors_of(response))


@pytest.mark.parametrize("missing", ["serveToken", "section", "channel"])
def test_ad_event_metadata_needs_token_section_and_channel(sandbox: Sandbox, missing: str) -> None:
    offers = Offers(sandbox)
    message = ad_event("ActivateOffer", offers.token())
    del message["clientEventMetadata"][missing]
    assert any(missing in e for e in errors_of(offers.session.send_events(message)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("clientEventId", "not-a-guid"),
        ("clientEventId", 12395199),
        ("clientEventId", "{12395199-1565-4565-bf99-3f94ee505d12}"),
        ("clientEventId", "12395199-1565-4565-bf99-3f94ee505d12\n"),
        ("clientEventId", None),
        ("clientEventTimestamp", 1727766000),
        ("clientEventTimestamp", "yesterday"),
        ("clientEventTimestamp", "2024-10-01"),
        ("clientEventTimestamp", None),
        ("clientEventType", None),
        ("clientEventType", ["AdInteraction"]),
        ("clientEvent", None),
        ("clientEvent", {"name": "ActivateOffer"}),
    ],
)
def test_wrongly_typed_event_fields_are_rejected(sandbox: Sandbox, field: str, value: Any) -> None:
    offers = Offers(sandbox)
    message = ad_event("ActivateOffer", offers.token())
    message[field] = value
    assert any(field in e for e in errors_of(offers.session.send_events(message)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("section", "Sidebar"),
        ("section", 5),
        ("channel", "Web"),
        ("channel", ["OLB"]),
        ("serveToken", 123),
        ("displayPosition", -1),
        ("displayPosition", "3"),
        ("displayPosition", 1.5),
        ("displayPosition", True),
        ("imageSlots", "logo"),
        ("categoryId", 2),
        ("curationId", ["101"]),
    ],
)
def test_wrongly_typed_metadata_is_rejected(sandbox: Sandbox, field: str, value: Any) -> None:
    offers = Offers(sandbox)
    message = ad_event("ActivateOffer", offers.token())
    message["clientEventMetadata"][field] = value
    assert any(field in e for e in errors_of(offers.session.send_events(message)))


@pytest.mark.parametrize(
    "body",
    [{}, {"clientEvents": []}, {"clientEvents": {}}, {"clientEvents": ["x"]}, {"events": []}],
    ids=["empty", "no-events", "object", "not-objects", "other-name"],
)
def test_the_body_must_carry_a_list_of_events(sandbox: Sandbox, body: dict[str, Any]) -> None:
    offers = Offers(sandbox)
    assert any(
        "clientEvents" in e for e in errors_of(offers.session.post("/v2/events/clientEvent", body))
    )


def test_the_seed_sample_as_printed_is_not_json(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    content = SEED_ACTIVATE_OFFER.replace(b"SERVE_TOKEN", offers.token().encode())
    response = offers.session.post("/v2/events/clientEvent", content=content)
    assert_error(response, 400, "HttpMessageNotReadable")


CHANNEL = '"channel": "OLB"'
NOT_STRICT: dict[str, Callable[[str], str]] = {
    "NaN": lambda text: text.replace(CHANNEL, f'{CHANNEL}, "displayPosition": NaN'),
    "Infinity": lambda text: text.replace(CHANNEL, f'{CHANNEL}, "displayPosition": -Infinity'),
    "second-value": lambda text: text + " {}",
    "garbage": lambda text: text + "garbage",
    "leading": lambda text: "x" + text,
    # Which of two values would win is unspecified; a strict reader refuses to guess.
    "dup-in-event": lambda text: text.replace(
        '"clientEvent":', '"clientEvent": "LogEnrollment", "clientEvent":'
    ),
    "dup-top-level": lambda text: text.replace("{", '{"clientEvents": [], ', 1),
}


@pytest.mark.parametrize("mutate", NOT_STRICT.values(), ids=NOT_STRICT.keys())
def test_anything_but_strict_json_is_unreadable(
    sandbox: Sandbox, mutate: Callable[[str], str]
) -> None:
    # given
    offers = Offers(sandbox)
    ad_id, token = offers.one()
    text = json.dumps({"clientEvents": [ad_event("ActivateOffer", token)]})
    # when
    response = offers.session.post("/v2/events/clientEvent", content=mutate(text).encode())
    # then
    assert_error(response, 400, "HttpMessageNotReadable")
    assert offers.state(ad_id)["activationState"] == "NEW"


def test_bytes_that_are_not_utf8_are_unreadable(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    content = b'{"clientEvents": [{"clientEventId": "\xff\xfe"}]}'
    assert_error(
        offers.session.post("/v2/events/clientEvent", content=content),
        400,
        "HttpMessageNotReadable",
    )


def test_another_media_type_is_415(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    body = json.dumps({"clientEvents": [event("LogEnrollment", "SessionAction")]}).encode()
    response = offers.session.post(
        "/v2/events/clientEvent", content=body, headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "UnsupportedMediaType")


def test_one_bad_event_rejects_the_whole_batch_and_every_problem_is_listed(
    sandbox: Sandbox,
) -> None:
    # given
    offers = Offers(sandbox)
    ad_id, token = offers.one()
    good = ad_event("ActivateOffer", token)
    bad_id = ad_event("AdViewableImpression", token, kind="AdImpression", event_id="nope")
    bad_pair = ad_event("ParkOffer", token, kind="AdImpression")
    # when
    response = offers.session.send_events(good, bad_id, bad_pair)
    # then
    errors = errors_of(response)
    assert any(e.startswith("clientEvents[1]") for e in errors), errors
    assert any(e.startswith("clientEvents[2]") for e in errors), errors
    assert not any(e.startswith("clientEvents[0]") for e in errors), errors
    assert offers.state(ad_id)["activationState"] == "NEW"
    # and the good event alone still applies: the rejected batch left no trace of its GUID
    offers.session.events_ok(good)
    assert offers.state(ad_id)["activationState"] == "ACTIVATED"


# --- serve tokens ---


def test_an_unknown_serve_token_is_rejected(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    forged = (
        "CiQ3MGU5ZjQzMy0xMjQxLTRlZTctOTZlZi02ZWM4MDQwZjg3MzgQqoTjo6syGgoxMDAwMDYyNzQwIgVFbWFpbA=="
    )
    response = offers.session.send_events(ad_event("ActivateOffer", forged))
    assert any("serveToken" in e for e in errors_of(response))


def test_a_serve_token_of_another_customer_is_rejected(sandbox: Sandbox) -> None:
    mine, theirs = Offers(sandbox, 1), Offers(sandbox, 2)
    ad_id, token = theirs.one()
    response = mine.session.send_events(ad_event("ActivateOffer", token))
    assert any("serveToken" in e for e in errors_of(response))
    assert theirs.state(ad_id)["activationState"] == "NEW"


def test_expired_serve_tokens_are_rejected_until_the_ads_are_fetched_again(
    sandbox: Sandbox,
) -> None:
    # given
    api = CardlyticsApi(sandbox.cardlytics_url)
    offers = Offers(sandbox)
    ad_id, token = offers.one()
    # when
    api.expire_tokens()
    offers.session = api.session(customer_id(1))
    response = offers.session.send_events(ad_event("ActivateOffer", token))
    # then
    assert any("expired" in e for e in errors_of(response))
    assert offers.state(ad_id)["activationState"] == "NEW"
    fresh = offers.all()[ad_id]["adServeToken"]
    offers.session.events_ok(ad_event("ActivateOffer", fresh))
    assert offers.state(ad_id)["activationState"] == "ACTIVATED"


def test_a_serve_token_lives_serve_token_ttl_s(start_sandbox: StartSandbox) -> None:
    with start_sandbox(serve_token_ttl_s=0.5) as sandbox:
        # given
        offers = Offers(sandbox)
        (_, early), (_, late) = offers.some(2)
        offers.session.events_ok(ad_event("DisplayElementExpanded", early))
        # when
        time.sleep(0.6)
        response = offers.session.send_events(ad_event("DisplayElementExpanded", late))
        # then
        assert any("expired" in e for e in errors_of(response))


def test_a_serve_token_lives_an_hour_by_default() -> None:
    assert SandboxSettings().serve_token_ttl_s == 3600


# --- effects ---


def test_activate_offer_moves_the_ad_to_activated(sandbox: Sandbox) -> None:
    # given
    offers = Offers(sandbox)
    ad_id, token = offers.one("NEW")
    assert "activationDate" not in offers.state(ad_id)
    # when
    offers.session.events_ok(ad_event("ActivateOffer", token))
    # then
    after = offers.state(ad_id)
    assert after["activationState"] == "ACTIVATED"
    assert after["activationDate"].endswith("Z")


def test_activate_offer_works_from_served_too(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    ad_id, token = offers.one("SERVED")
    offers.session.events_ok(ad_event("ActivateOffer", token))
    assert offers.state(ad_id)["activationState"] == "ACTIVATED"


def test_an_impression_moves_new_to_served_and_nothing_else(sandbox: Sandbox) -> None:
    # given
    offers = Offers(sandbox)
    new_id, new_token = offers.one("NEW")
    active_id, active_token = offers.one("ACTIVATED")
    # when
    offers.session.events_ok(
        ad_event("AdViewableImpression", new_token, kind="AdImpression"),
        ad_event("AdViewableImpression", active_token, kind="AdImpression"),
    )
    # then
    assert offers.state(new_id)["activationState"] == "SERVED"
    assert offers.state(active_id)["activationState"] == "ACTIVATED"


def test_park_hides_the_ad_and_unpark_shows_it_again(sandbox: Sandbox) -> None:
    # given
    offers = Offers(sandbox)
    ad_id, token = offers.one()
    # when
    offers.session.events_ok(ad_event("ParkOffer", token))
    # then
    assert ad_id not in offers.session.ads_ok()["ads"]
    assert ad_id in offers.session.ads_ok(visibilityStates=["PARKED"])["ads"]
    offers.session.events_ok(ad_event("UnParkOffer", token))
    assert offers.session.ads_ok()["ads"][ad_id]["visibilityState"] == "VISIBLE"


def test_unpark_all_offers_shows_every_parked_ad(sandbox: Sandbox) -> None:
    # given
    offers = Offers(sandbox)
    assert any(ad["visibilityState"] == "PARKED" for ad in offers.all().values())
    # when
    offers.session.events_ok(event("UnParkAllOffers", "SessionAction"))
    # then
    assert all(ad["visibilityState"] == "VISIBLE" for ad in offers.all().values())


def test_other_events_are_recorded_without_changing_the_ad(sandbox: Sandbox) -> None:
    offers = Offers(sandbox)
    ad_id, token = offers.one()
    before = offers.state(ad_id)
    offers.session.events_ok(
        *(ad_event(name, token) for name in ("DisplayElementExpanded", "UrlLinkClicked"))
    )
    after = offers.state(ad_id)
    assert {k: v for k, v in after.items() if k != "adServeToken"} == {
        k: v for k, v in before.items() if k != "adServeToken"
    }


def test_events_of_anonymous_visitors_change_no_shared_welcome_offer(sandbox: Sandbox) -> None:
    # given
    api = CardlyticsApi(sandbox.cardlytics_url)
    visitor = api.session(ANONYMOUS)
    ad_id, ad = next(iter(visitor.ads_ok()["ads"].items()))
    # when
    visitor.events_ok(ad_event("ActivateOffer", ad["adServeToken"]))
    # then
    assert api.session(ANONYMOUS).ads_ok()["ads"][ad_id]["activationState"] == "NEW"


# --- resends ---


def test_resending_an_event_with_the_same_guid_applies_it_once(sandbox: Sandbox) -> None:
    # given
    offers = Offers(sandbox)
    ad_id, token = offers.one()
    park = ad_event("ParkOffer", token)
    offers.session.events_ok(park)
    offers.session.events_ok(ad_event("UnParkOffer", token))
    # when: the client retries the first request, GUID and all
    response = offers.session.send_events(park)
    # then
    assert response.status_code == 200, response.text
    assert offers.state(ad_id)["visibilityState"] == "VISIBLE"


def test_a_resend_after_the_serve_token_expired_is_still_accepted_once(
    sandbox: Sandbox,
) -> None:
    # given
    api = CardlyticsApi(sandbox.cardlytics_url)
    offers = Offers(sandbox)
    ad_id, token = offers.one()
    park = ad_event("ParkOffer", token)
    offers.session.events_ok(park)
    offers.session.events_ok(ad_event("UnParkOffer", token))
    api.expire_tokens()
    offers.session = api.session(customer_id(1))
    # when
    resent = offers.session.send_events(park)
    fresh = offers.session.send_events(ad_event("ParkOffer", token))
    # then
    assert resent.status_code == 200, resent.text
    assert offers.state(ad_id)["visibilityState"] == "VISIBLE"
    assert any("expired" in e for e in errors_of(fresh))


def test_a_resent_batch_is_answered_like_the_first(sandbox: Sandbox) -> None:
    # given
    offers = Offers(sandbox)
    (a, token_a), (b, token_b) = offers.one("NEW"), offers.one("SERVED")
    batch = [ad_event("ActivateOffer", token_a), ad_event("ActivateOffer", token_b)]
    first = offers.session.send_events(*batch)
    before = {ad_id: offers.state(ad_id)["activationDate"] for ad_id in (a, b)}
    # when
    again = offers.session.send_events(*batch)
    # then
    assert first.status_code == again.status_code == 200
    assert {ad_id: offers.state(ad_id)["activationDate"] for ad_id in (a, b)} == before


def test_the_same_guid_from_another_customer_is_their_own_event(sandbox: Sandbox) -> None:
    # given
    guid = str(uuid.uuid4())
    mine, theirs = Offers(sandbox, 1), Offers(sandbox, 2)
    my_ad, my_token = mine.one()
    their_ad, their_token = theirs.one()
    # when
    mine.session.events_ok(ad_event("ActivateOffer", my_token, event_id=guid))
    theirs.session.events_ok(ad_event("ActivateOffer", their_token, event_id=guid))
    # then
    assert mine.state(my_ad)["activationState"] == "ACTIVATED"
    assert theirs.state(their_ad)["activationState"] == "ACTIVATED"
