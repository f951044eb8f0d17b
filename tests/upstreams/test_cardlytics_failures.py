"""Failures as the client's callers meet them: typed, repeated only where safe, logged safely.

Faults are injected into the simulator (over real HTTP); answers it never gives (HTML error pages,
wrong shapes) come from small ``httpx.MockTransport`` handlers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx
import pytest

from gateway.logs import request_id_scope
from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.cardlytics.events import activate_offer, log_enrollment
from gateway.upstreams.cardlytics.models import AdEventMetadata, Channel, Section
from gateway.upstreams.errors import (
    UpstreamError,
    UpstreamMalformed,
    UpstreamNotAllowed,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.upstreams.http import UpstreamHTTP
from gateway.upstreams.resilience import CircuitBreaker
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import (
    ACCOUNT_LINK_POST,
    ALL_OFFERS,
    CLIENT_EVENT,
    GET_ADS,
    SECRET,
    START_SESSION,
    TICKETS_POST,
    Recorder,
    calls_to,
    cardlytics_client,
    customer,
    raw_customer_id,
)

ME = customer("failures")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, UpstreamNotAllowed),
        (404, UpstreamNotFound),
        (429, UpstreamRateLimited),
        (500, UpstreamUnavailable),
        (503, UpstreamUnavailable),
    ],
)
async def test_get_ads_failures_are_typed_and_not_repeated(
    sandbox: Sandbox, status: int, error: type[UpstreamError]
) -> None:
    # given
    sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": status, "times": 1})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        with pytest.raises(error) as caught:
            await client.offers.get_ads(ME, ALL_OFFERS)

    # then
    assert caught.value.status == status
    assert caught.value.request_id
    assert calls_to(sandbox, GET_ADS) == {GET_ADS: 1}


async def test_client_events_are_repeated_after_a_transient_failure_with_the_same_ids(
    sandbox: Sandbox,
) -> None:
    # given
    recorder = Recorder()
    sandbox.faults("cardlytics", {"match": CLIENT_EVENT, "error_status": 503, "times": 2})
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        # when
        accepted = await client.events.send(ME, [log_enrollment(), log_enrollment()])

    # then
    assert accepted.request_id
    first, second, third = recorder.bodies("/clientEvent")
    assert first == second == third
    assert calls_to(sandbox, CLIENT_EVENT) == {CLIENT_EVENT: 3}


async def test_client_events_whose_answer_was_lost_are_sent_again_safely(
    sandbox: Sandbox,
) -> None:
    # given: the first attempt reaches Cardlytics, but its answer comes too late
    recorder = Recorder()
    async with cardlytics_client(
        sandbox.cardlytics_url, recorder=recorder, read_timeout_s=0.3
    ) as client:
        ad = next(iter((await client.offers.get_ads(ME, ALL_OFFERS)).ads.values()))
        assert ad.ad_serve_token
        meta = AdEventMetadata(
            serve_token=ad.ad_serve_token, section=Section.MAP, channel=Channel.OLB
        )
        sandbox.faults("cardlytics", {"match": CLIENT_EVENT, "latency_ms": 600, "times": 1})

        # when
        await client.events.send(ME, [activate_offer(meta)])

    # then
    first, second = recorder.bodies("/clientEvent")
    assert first == second


async def test_get_ads_timing_out_is_a_timeout_and_not_repeated(sandbox: Sandbox) -> None:
    # given
    async with cardlytics_client(sandbox.cardlytics_url, read_timeout_s=0.3) as client:
        await client.sessions.token(ME)
        sandbox.faults("cardlytics", {"match": GET_ADS, "hang_s": 1, "times": 1})

        # when
        with pytest.raises(UpstreamTimeout):
            await client.offers.get_ads(ME, ALL_OFFERS)
    await asyncio.sleep(0.8)  # the hung request finishes server-side before we count
    assert calls_to(sandbox, GET_ADS) == {GET_ADS: 1}


async def test_a_truncated_answer_is_malformed(sandbox: Sandbox) -> None:
    sandbox.faults("cardlytics", {"match": GET_ADS, "malformed": True, "times": 1})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamMalformed, match="getAds: not JSON"):
            await client.offers.get_ads(ME, ALL_OFFERS)


async def test_starting_an_account_link_is_never_repeated(sandbox: Sandbox) -> None:
    sandbox.faults("cardlytics", {"match": ACCOUNT_LINK_POST, "error_status": 503})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.account_links.start(ME, "https://app.example.com/linked")
    assert calls_to(sandbox, ACCOUNT_LINK_POST) == {ACCOUNT_LINK_POST: 1}


async def test_creating_a_ticket_is_repeated_with_the_same_source_ticket_id(
    sandbox: Sandbox,
) -> None:
    # given
    recorder = Recorder()
    sandbox.faults("cardlytics", {"match": TICKETS_POST, "error_status": 503})
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        # when
        with pytest.raises(UpstreamUnavailable):
            await client.tickets.create(
                ME,
                source_ticket_id="support-42",
                offer_id="1000030804",
                transaction_ids=["1132328647"],
                description="no reward",
            )

    # then
    bodies = recorder.bodies("/csaapi/v2/tickets")
    assert len(bodies) == 3 and all(body == bodies[0] for body in bodies)
    assert bodies[0]["sourceTicketId"] == "support-42"
    assert calls_to(sandbox, TICKETS_POST) == {TICKETS_POST: 3}


async def test_an_open_breaker_answers_at_once_without_calling(sandbox: Sandbox) -> None:
    # given: two failures in a row open the breaker
    sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": 503})
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=30)
    async with cardlytics_client(sandbox.cardlytics_url, breaker=breaker) as client:
        for _ in range(2):
            with pytest.raises(UpstreamUnavailable, match="server error"):
                await client.offers.get_ads(ME, ALL_OFFERS)

        # when
        started = time.perf_counter()
        for call in (
            client.offers.get_ads(ME, ALL_OFFERS),
            client.events.send(ME, [log_enrollment()]),
            client.sessions.token(customer("someone else")),
        ):
            with pytest.raises(UpstreamUnavailable, match="circuit open"):
                await call

    # then
    assert time.perf_counter() - started < 0.1
    assert calls_to(sandbox, START_SESSION, GET_ADS, CLIENT_EVENT) == {
        START_SESSION: 1,
        GET_ADS: 2,
        CLIENT_EVENT: 0,
    }


# --- request ids and logs -----------------------------------------------------------------------


async def test_every_call_carries_the_request_id_and_its_echo_is_logged(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    recorder = Recorder()
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        # when
        with caplog.at_level(logging.INFO, "gateway.upstreams"), request_id_scope("gw-req-7"):
            ads = await client.offers.get_ads(ME, ALL_OFFERS)
            await client.events.send(ME, [log_enrollment()])

    # then
    assert recorder.headers("X-CDLX-Request-Id") == ["gw-req-7"] * 3
    assert ads.request_id == "gw-req-7"
    answers = [r for r in caplog.records if r.getMessage() == "cardlytics answer"]
    assert [(r.operation, r.cardlytics_request_id) for r in answers] == [  # type: ignore[attr-defined]
        ("startSession", "gw-req-7"),
        ("getAds", "gw-req-7"),
        ("clientEvent", "gw-req-7"),
    ]


async def test_calls_outside_a_gateway_request_get_an_id_each(sandbox: Sandbox) -> None:
    recorder = Recorder()
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        await client.offers.get_ads(ME, ALL_OFFERS)
        await client.offers.get_ads(ME, ALL_OFFERS)
    ids = recorder.headers("X-CDLX-Request-Id")
    assert len(ids) == 3 and len(set(ids)) == 3 and all(ids)


async def test_nothing_secret_reaches_the_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    email = "agent.smith@example.com"
    recorder = Recorder()
    sandbox.faults(
        "cardlytics",
        {"match": GET_ADS, "error_status": 401, "times": 1},
        {"match": TICKETS_POST, "error_status": 503},
    )
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        with caplog.at_level(logging.DEBUG):
            # when: a refresh after a 401, events, a failing ticket with an e-mail address
            await client.offers.get_ads(ME, ALL_OFFERS)
            await client.events.send(ME, [log_enrollment()])
            with pytest.raises(UpstreamUnavailable):
                await client.tickets.create(
                    ME,
                    source_ticket_id="t-secret",
                    offer_id="1",
                    transaction_ids=["2"],
                    description="d",
                    author_email_address=email,
                )

    # then
    tokens = {h.removeprefix("Bearer ") for h in recorder.headers("Authorization") if h}
    assert len(tokens) == 2
    secrets = [*tokens, SECRET.get_secret_value(), raw_customer_id("failures"), ME, email]
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "cardlytics answer" in logged
    for secret in secrets:
        assert secret not in logged


# --- answers the simulator never gives ----------------------------------------------------------


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/startSession"):
            return httpx.Response(200, json={"sessionToken": "opaque"})
        return handler(request)

    return httpx.MockTransport(route)


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (httpx.Response(502, html="<h1>Bad gateway</h1>"), UpstreamUnavailable, "server error"),
        (httpx.Response(400, text="nope"), UpstreamRejected, "request rejected"),
        (httpx.Response(400, json={"title": "Bad request"}), UpstreamRejected, "Bad request"),
        (httpx.Response(200, text="<html/>"), UpstreamMalformed, "not JSON"),
        (httpx.Response(200, json={"ads": []}), UpstreamMalformed, "unexpected shape"),
        (httpx.Response(200), UpstreamMalformed, "empty answer"),
        (httpx.Response(302), UpstreamMalformed, "unexpected status"),
    ],
)
async def test_answers_of_any_shape_become_typed_errors(
    answer: httpx.Response, error: type[UpstreamError], message: str
) -> None:
    async with cardlytics_client("http://cardlytics.test", transport=mock(lambda _: answer)) as c:
        with pytest.raises(error, match=message):
            await c.offers.get_ads(ME, ALL_OFFERS)


async def test_an_unexpected_shape_is_logged_by_location_without_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    body = {"ads": {"1": {"merchantName": ["customer@example.com"]}}}
    transport = mock(lambda _: httpx.Response(200, json=body))
    async with cardlytics_client("http://cardlytics.test", transport=transport) as client:
        # when
        with caplog.at_level(logging.WARNING), pytest.raises(UpstreamMalformed):
            await client.offers.get_ads(ME, ALL_OFFERS)

    # then
    (record,) = [r for r in caplog.records if "documented shape" in r.getMessage()]
    # msgspec's path (map keys elided) and message, which names types, never values
    assert record.problems == [  # type: ignore[attr-defined]
        ("$.ads[...].merchantName", "Expected `str`, got `array`")
    ]
    assert "customer@example.com" not in str(vars(record))


_SECRET = "customer@example.com"


@pytest.mark.parametrize(
    "body",
    [
        {"ads": {"1": {"merchantName": "m", "startDate": _SECRET}}},
        {"ads": {"1": {"merchantName": "m", "reward": {"rewardAmount": _SECRET}}}},
        {"ads": {"1": {"merchantName": "m", "adType": [_SECRET]}}},
        {"ads": {"1": {"merchantName": "m", "sections": {_SECRET: 1}}}},
        {"categories": {"1": {"id": {_SECRET: 1}, "name": "n"}}},
        {"rankings": {"all": [{_SECRET: 1}]}},
    ],
)
async def test_a_value_the_getads_reader_refuses_is_not_logged(
    caplog: pytest.LogCaptureFixture, body: dict[str, object]
) -> None:
    # given: refused by msgspec itself or by a Struct's __post_init__
    transport = mock(lambda _: httpx.Response(200, json=body))
    async with cardlytics_client("http://cardlytics.test", transport=transport) as client:
        # when
        with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamMalformed, match="shape"):
            await client.offers.get_ads(ME, ALL_OFFERS)

    # then
    (record,) = [r for r in caplog.records if "documented shape" in r.getMessage()]
    assert record.problems  # type: ignore[attr-defined]
    assert _SECRET not in caplog.text + str([vars(r) for r in caplog.records])


async def test_an_empty_acknowledgement_of_client_events_is_accepted() -> None:
    transport = mock(lambda _: httpx.Response(200))
    async with cardlytics_client("http://cardlytics.test", transport=transport) as client:
        accepted = await client.events.send(ME, [log_enrollment()])
    assert accepted.request_id is None


async def test_a_client_without_the_request_id_header_is_refused() -> None:
    async with httpx.AsyncClient() as client:
        http = UpstreamHTTP("cardlytics", client)
        with pytest.raises(ValueError, match="X-CDLX-Request-Id"):
            CardlyticsClient(http, client_id="c", secret=SECRET)
