"""Cardlytics simulator: POST /v2/session/startSession and the session every other call needs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from gateway.sandbox.cardlytics import ads
from gateway.sandbox.cardlytics.data import UNENROLLED_RAW_ID
from tests.sandbox.cardlytics_client import (
    ANONYMOUS,
    CLIENT_ID,
    HTTP,
    SECRET,
    CardlyticsApi,
    ad_event,
    assert_error,
    customer_id,
    event,
)
from tests.support.sandbox import Sandbox

StartSandbox = Callable[..., AbstractContextManager[Sandbox]]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cardlytics"

EVERY_STATE: dict[str, Any] = {
    "activationStates": ["NEW", "SERVED", "ACTIVATED"],
    "visibilityStates": ["VISIBLE", "PARKED"],
    "includeExpiredAds": True,
}


def api_of(sandbox: Sandbox) -> CardlyticsApi:
    return CardlyticsApi(sandbox.cardlytics_url)


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_start_session_answers_a_session_token_that_opens_the_api(sandbox: Sandbox) -> None:
    # given
    api = api_of(sandbox)
    # when
    response = api.start_session(customer_id(1))
    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"sessionToken", "requestId"}
    session = api.session(customer_id(1))
    assert session.get_ads().status_code == 200


def test_the_seed_sample_request_names_the_accepted_fields(sandbox: Sandbox) -> None:
    # given: the seed's sample, {"clientId": "String", "secret": "String"}, with our values
    sample = json.loads((FIXTURES / "start_session_request.json").read_bytes())
    credentials = {"clientId": CLIENT_ID, "secret": SECRET}
    # when
    response = api_of(sandbox).start_session(customer_id(1), {k: credentials[k] for k in sample})
    # then
    assert response.status_code == 200, response.text


def test_start_session_echoes_the_request_id(sandbox: Sandbox) -> None:
    response = api_of(sandbox).start_session(
        customer_id(1), headers={"X-CDLX-Request-Id": "req-start-1"}
    )
    assert response.json()["requestId"] == "req-start-1"


@pytest.mark.parametrize(
    "credentials",
    [
        {"clientId": CLIENT_ID, "secret": "not-the-secret"},
        {"clientId": "someone-else", "secret": SECRET},
        {"clientId": CLIENT_ID},
        {"secret": SECRET},
        {},
        # The seed's error text says "clientSecret" and public sample code posts snake_case;
        # only the documented field names count (C2#3).
        {"clientId": CLIENT_ID, "clientSecret": SECRET},
        {"client_id": CLIENT_ID, "client_secret": SECRET},
        {"clientId": CLIENT_ID, "secret": 12345},
    ],
    ids=["wrong-secret", "wrong-id", "no-secret", "no-id", "empty", "clientSecret", "snake", "int"],
)
def test_wrong_or_missing_credentials_answer_500_as_documented(
    sandbox: Sandbox, credentials: dict[str, Any]
) -> None:
    response = api_of(sandbox).start_session(customer_id(1), credentials)
    assert_error(response, 500, "InternalServerError")


def test_a_body_that_is_not_json_is_unreadable(sandbox: Sandbox) -> None:
    response = HTTP.post(
        f"{sandbox.cardlytics_url}/v2/session/startSession",
        content=b'{"clientId": "sandbox-client", "secret": "sandbox-secret",}',
        headers={"Content-Type": "application/json", "x-source-customer-id": customer_id(1)},
    )
    assert_error(response, 400, "HttpMessageNotReadable")


def test_the_customer_header_is_required(sandbox: Sandbox) -> None:
    response = api_of(sandbox).start_session(None)
    body = assert_error(response, 400, "ValidationException")
    assert any("x-source-customer-id" in e for e in body["validationErrors"])


def test_a_customer_who_is_not_enrolled_gets_the_documented_400(sandbox: Sandbox) -> None:
    response = api_of(sandbox).start_session(
        customer_id(UNENROLLED_RAW_ID.removeprefix("customer-"))
    )
    body = assert_error(response, 400, "ValidationException")
    assert body["title"] == "User is not enrolled in the program and should not receive events."


def test_the_token_lives_15_minutes_by_default(sandbox: Sandbox) -> None:
    # given
    before = time.time()
    # when
    token = api_of(sandbox).session(customer_id(1)).token
    # then
    decoded = claims(token)
    assert 899 <= decoded["exp"] - before <= 901
    expires = datetime.fromisoformat(decoded["sessionExpirationTimestamp"])
    assert abs(expires.timestamp() - decoded["exp"]) <= 1
    assert expires.tzinfo == UTC or expires.utcoffset() is not None


def test_the_token_is_bound_to_the_customer_it_was_issued_for(sandbox: Sandbox) -> None:
    # given
    mine = api_of(sandbox).session(customer_id(1))
    # when
    as_someone_else = mine.get_ads(headers={"x-source-customer-id": customer_id(2)})
    as_anonymous = mine.get_ads(headers={"x-source-customer-id": ANONYMOUS})
    # then
    assert_error(as_someone_else, 401, "SessionValidationException")
    assert_error(as_anonymous, 401, "SessionValidationException")
    assert mine.get_ads().status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"],
    ids=["absent", "empty", "garbage", "basic"],
)
def test_calls_without_a_valid_token_are_401(sandbox: Sandbox, authorization: str | None) -> None:
    # given
    headers = {"Content-Type": "application/json", "x-source-customer-id": customer_id(1)}
    if authorization is not None:
        headers["Authorization"] = authorization
    # when
    ads = HTTP.post(
        f"{sandbox.cardlytics_url}/v2/ads/getAds", json={"channel": "OLB"}, headers=headers
    )
    events = HTTP.post(
        f"{sandbox.cardlytics_url}/v2/events/clientEvent",
        json={"clientEvents": [event("LogEnrollment", "SessionAction")]},
        headers=headers,
    )
    # then
    assert_error(ads, 401, "SessionValidationException")
    assert_error(events, 401, "SessionValidationException")


def test_a_token_from_another_simulator_is_not_accepted(
    sandbox: Sandbox, start_sandbox: StartSandbox
) -> None:
    # given
    with start_sandbox() as other:
        foreign = api_of(other).session(customer_id(1))
    mine = api_of(sandbox).session(customer_id(1))
    # when
    response = replace(mine, token=foreign.token).get_ads()
    # then
    assert_error(response, 401, "SessionValidationException")


def test_the_legacy_session_token_header_is_also_accepted(sandbox: Sandbox) -> None:
    session = api_of(sandbox).session(customer_id(1))
    response = HTTP.post(
        f"{sandbox.cardlytics_url}/v2/ads/getAds",
        json={"channel": "OLB"},
        headers={
            "Content-Type": "application/json",
            "X-CDLX-Session-Token": session.token,
            "x-source-customer-id": session.customer_id,
        },
    )
    assert response.status_code == 200, response.text


def test_a_customer_may_hold_several_sessions_at_once(sandbox: Sandbox) -> None:
    api = api_of(sandbox)
    first, second = api.session(customer_id(1)), api.session(customer_id(1))
    assert first.token != second.token
    assert first.get_ads().status_code == 200
    assert second.get_ads().status_code == 200


def test_an_expired_token_is_401_until_a_new_session_starts(start_sandbox: StartSandbox) -> None:
    with start_sandbox(session_token_ttl_s=0.5) as sandbox:
        # given
        api = api_of(sandbox)
        session = api.session(customer_id(1))
        token = session.ads_ok()["ads"].popitem()[1]["adServeToken"]
        # when
        time.sleep(0.6)
        # then
        assert_error(session.get_ads(), 401, "SessionValidationException")
        assert_error(
            session.send_events(ad_event("ActivateOffer", token)),
            401,
            "SessionValidationException",
        )
        assert api.session(customer_id(1)).get_ads().status_code == 200


def test_the_control_endpoint_expires_every_session_now(sandbox: Sandbox) -> None:
    # given
    api = api_of(sandbox)
    sessions = [api.session(customer_id(1)), api.session(customer_id(2)), api.session(ANONYMOUS)]
    # when
    api.expire_tokens()
    # then
    for session in sessions:
        assert_error(session.get_ads(), 401, "SessionValidationException")
    assert api.session(customer_id(1)).get_ads().status_code == 200


def test_no_user_available_gets_the_welcome_basket_only(sandbox: Sandbox) -> None:
    # given
    api = api_of(sandbox)
    known = set()
    for n in range(1, 6):
        known |= set(api.session(customer_id(n)).ads_ok(**EVERY_STATE)["ads"])
    # when
    welcome = api.session(ANONYMOUS).ads_ok(**EVERY_STATE)
    again = api.session(ANONYMOUS).ads_ok(**EVERY_STATE)
    # then
    assert welcome["ads"], "the welcome basket is empty"
    assert len(welcome["ads"]) < 10
    assert welcome["rankings"] == again["rankings"]
    assert not set(welcome["ads"]) & known
    now = datetime.now(UTC)
    for ad in welcome["ads"].values():
        assert ad["activationState"] == "NEW"
        assert ad["reward"]["activationModel"] == "ACTIVATABLE"
        assert (
            datetime.fromisoformat(ad["startDate"]) <= now <= datetime.fromisoformat(ad["endDate"])
        )


def test_every_failure_uses_the_documented_error_body(sandbox: Sandbox) -> None:
    session = api_of(sandbox).session(customer_id(1))
    echo = {"X-CDLX-Request-Id": "req-failure-3"}
    wrong_method = HTTP.get(f"{sandbox.cardlytics_url}/v2/ads/getAds", headers=echo)
    unknown_path = session.post("/v2/ads/getAllAds", {"channel": "OLB"}, headers=echo)
    assert assert_error(wrong_method, 405, "MethodNotAllowed")["requestId"] == "req-failure-3"
    assert assert_error(unknown_path, 404, "NotFound")["requestId"] == "req-failure-3"


def test_an_injected_fault_echoes_the_request_id(sandbox: Sandbox) -> None:
    # given
    session = api_of(sandbox).session(customer_id(1))
    sandbox.faults("cardlytics", {"match": "POST /v2/ads/getAds", "error_status": 503, "times": 1})
    # when
    response = session.get_ads(headers={"X-CDLX-Request-Id": "req-fault-9"})
    # then
    assert assert_error(response, 503, "ServiceUnavailable")["requestId"] == "req-fault-9"
    assert session.get_ads().status_code == 200


def test_a_simulator_bug_answers_500_and_keeps_the_connection_usable(
    start_sandbox: StartSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a bug planted in getAds, for one call
    calls = []
    real_select = ads.select

    def broken(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("planted bug")
        return real_select(*args)

    monkeypatch.setattr(ads, "select", broken)
    with start_sandbox() as sandbox, httpx.Client(timeout=5) as client:
        session = api_of(sandbox).session(customer_id(1))
        url = f"{sandbox.cardlytics_url}/v2/ads/getAds"
        # when
        first = client.post(url, json={"channel": "OLB"}, headers=session.headers())
        second = client.post(url, json={"channel": "OLB"}, headers=session.headers())
    # then
    assert_error(first, 500, "InternalServerError")
    assert second.status_code == 200
