"""Session tokens over real HTTP: one startSession per customer, shared, bounded, refreshed.

Counts come from the simulator's own call accounting, so they show what reached the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

from gateway.customer_ids import ANONYMOUS, HashedCustomerId
from gateway.upstreams.cardlytics import SessionTokens
from gateway.upstreams.cardlytics.events import log_enrollment
from gateway.upstreams.errors import (
    UpstreamAuthenticationFailed,
    UpstreamRejected,
    UpstreamUnavailable,
)
from gateway.upstreams.http import UpstreamHTTP
from gateway.upstreams.resilience import RetryPolicy
from tests.support.sandbox import Sandbox
from tests.upstreams.cardlytics_support import (
    ALL_OFFERS,
    CLIENT_EVENT,
    CLIENT_ID,
    GET_ADS,
    HASHER,
    SECRET,
    START_SESSION,
    Recorder,
    calls_to,
    cardlytics_client,
    customer,
    expire_sessions,
)

StartSandbox = Callable[..., AbstractContextManager[Sandbox]]


async def test_fifty_concurrent_calls_for_one_customer_start_one_session(
    sandbox: Sandbox,
) -> None:
    # given
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        answers = await asyncio.gather(
            *(client.offers.get_ads(customer(1), ALL_OFFERS) for _ in range(50))
        )

    # then
    assert all(answer.ads for answer in answers)
    assert calls_to(sandbox, START_SESSION, GET_ADS) == {START_SESSION: 1, GET_ADS: 50}


async def test_fifty_customers_start_fifty_sessions_and_reuse_them(sandbox: Sandbox) -> None:
    # given
    customers = [customer(n) for n in range(50)]
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        await asyncio.gather(*(client.sessions.token(c) for c in customers))
        tokens = await asyncio.gather(*(client.sessions.token(c) for c in customers))

    # then
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 50}
    assert len(set(tokens)) == 50


async def test_anonymous_viewers_share_one_session_sent_as_the_sentinel(sandbox: Sandbox) -> None:
    # given
    recorder = Recorder()
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        # when
        ads = await asyncio.gather(
            *(client.offers.get_ads(ANONYMOUS, ALL_OFFERS) for _ in range(5))
        )

    # then
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 1}
    assert set(recorder.headers("x-source-customer-id")) == {"no-user-available"}
    assert len(ads[0].ads) == 6  # the welcome basket


async def test_a_raw_customer_id_is_refused_before_anything_is_sent(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(ValueError, match="HashedCustomerId"):
            await client.sessions.token(HashedCustomerId("customer-1"))
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 0}


async def test_an_expired_token_is_replaced_before_cardlytics_refuses_it(
    start_sandbox: StartSandbox,
) -> None:
    # given: tokens live 2 s upstream; the client refreshes at half that for short-lived tokens
    with start_sandbox(session_token_ttl_s=2.0) as sandbox:
        async with cardlytics_client(sandbox.cardlytics_url) as client:
            first = await client.sessions.token(customer(1))
            await client.offers.get_ads(customer(1), ALL_OFFERS)

            # when
            await asyncio.sleep(1.1)
            await client.offers.get_ads(customer(1), ALL_OFFERS)
            second = await client.sessions.token(customer(1))

        # then: a new session, and no 401 on the way (getAds went out once per call)
        assert first != second
        assert calls_to(sandbox, START_SESSION, GET_ADS) == {START_SESSION: 2, GET_ADS: 2}


async def test_a_token_refused_mid_flight_is_refreshed_once_and_the_call_repeated(
    sandbox: Sandbox,
) -> None:
    # given
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        before = await client.sessions.token(customer(1))
        sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": 401, "times": 1})

        # when
        ads = await client.offers.get_ads(customer(1), ALL_OFFERS)

        # then
        assert ads.ads
        assert await client.sessions.token(customer(1)) != before
    assert calls_to(sandbox, START_SESSION, GET_ADS) == {START_SESSION: 2, GET_ADS: 2}


async def test_sessions_that_cardlytics_forgot_are_renewed_once_for_all_waiting_callers(
    sandbox: Sandbox,
) -> None:
    # given: a cached token, then the simulator drops every session it issued
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        await client.sessions.token(customer(1))
        sandbox.reset()

        # when: fifty calls all present the stale token
        answers = await asyncio.gather(
            *(client.offers.get_ads(customer(1), ALL_OFFERS) for _ in range(50))
        )

    # then: one new session between them
    assert all(answer.ads for answer in answers)
    calls = calls_to(sandbox, START_SESSION, GET_ADS)
    assert calls[START_SESSION] == 1
    assert 51 <= calls[GET_ADS] <= 100


async def test_tokens_expired_upstream_are_refreshed_once_and_the_call_repeated(
    sandbox: Sandbox,
) -> None:
    # given: Cardlytics ends every session while ours is still cached
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        await client.sessions.token(customer(1))
        sandbox.reset_calls("cardlytics")
        await expire_sessions(sandbox)

        # when
        await client.events.send(customer(1), [log_enrollment()])

    # then
    assert calls_to(sandbox, START_SESSION, CLIENT_EVENT) == {START_SESSION: 1, CLIENT_EVENT: 2}


async def test_start_session_sends_the_credentials_and_the_hashed_id_only(
    sandbox: Sandbox,
) -> None:
    # given
    recorder = Recorder()
    async with cardlytics_client(sandbox.cardlytics_url, recorder=recorder) as client:
        # when
        await client.sessions.token(customer(1))

    # then
    (request,) = recorder.requests
    assert recorder.bodies("/startSession") == [
        {"clientId": CLIENT_ID, "secret": SECRET.get_secret_value()}
    ]
    assert request.headers["x-source-customer-id"] == customer(1)
    assert "authorization" not in request.headers


async def test_a_second_401_is_the_callers_authentication_failure(sandbox: Sandbox) -> None:
    # given
    sandbox.faults("cardlytics", {"match": GET_ADS, "error_status": 401})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        with pytest.raises(UpstreamAuthenticationFailed) as caught:
            await client.offers.get_ads(customer(1), ALL_OFFERS)

    # then: one refresh, one repeat, no loop
    assert caught.value.status == 401
    assert calls_to(sandbox, START_SESSION, GET_ADS) == {START_SESSION: 2, GET_ADS: 2}


async def test_the_cache_never_grows_past_its_bound(sandbox: Sandbox) -> None:
    # given
    async with cardlytics_client(sandbox.cardlytics_url, token_cache_size=5) as client:
        sizes = []
        # when
        for n in range(20):
            await client.sessions.token(customer(n))
            sizes.append(len(client.sessions))
        await asyncio.gather(*(client.sessions.token(customer(n)) for n in range(100, 130)))

        # then
        assert max(sizes) == 5 and len(client.sessions) == 5
        latest = await client.sessions.token(customer(200))
        assert await client.sessions.token(customer(200)) == latest  # still cached
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 51}


async def test_a_transient_503_on_start_session_is_retried(sandbox: Sandbox) -> None:
    # given
    sandbox.faults("cardlytics", {"match": START_SESSION, "error_status": 503, "times": 2})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        ads = await client.offers.get_ads(customer(1), ALL_OFFERS)

    # then
    assert ads.ads
    assert calls_to(sandbox, START_SESSION, GET_ADS) == {START_SESSION: 3, GET_ADS: 1}


async def test_a_failed_fetch_reaches_every_waiter_and_is_not_cached(sandbox: Sandbox) -> None:
    # given
    sandbox.faults("cardlytics", {"match": START_SESSION, "error_status": 503, "times": 3})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        # when
        results = await asyncio.gather(
            *(client.sessions.token(customer(1)) for _ in range(10)), return_exceptions=True
        )
        # then: one fetch (three attempts) failed for all ten, and the next caller tries again
        assert all(isinstance(r, UpstreamUnavailable) for r in results)
        assert await client.sessions.token(customer(1))
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 4}


async def test_wrong_client_credentials_fail_without_repeating(sandbox: Sandbox) -> None:
    async with cardlytics_client(sandbox.cardlytics_url, secret=SecretStr("wrong")) as client:
        with pytest.raises(UpstreamAuthenticationFailed, match="client credentials refused"):
            await client.offers.get_ads(customer(1), ALL_OFFERS)
    assert calls_to(sandbox, START_SESSION, GET_ADS) == {START_SESSION: 1, GET_ADS: 0}


async def test_a_customer_who_is_not_enrolled_is_rejected_with_cardlytics_reason(
    sandbox: Sandbox,
) -> None:
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        with pytest.raises(UpstreamRejected, match="not enrolled"):
            await client.sessions.token(HASHER("customer-not-enrolled"))
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 1}


async def test_a_caller_giving_up_does_not_cancel_the_fetch_others_wait_for(
    sandbox: Sandbox,
) -> None:
    # given
    sandbox.faults("cardlytics", {"match": START_SESSION, "latency_ms": 200, "times": 1})
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        impatient = asyncio.create_task(client.sessions.token(customer(1)))
        patient = asyncio.create_task(client.sessions.token(customer(1)))
        await asyncio.sleep(0.05)

        # when
        impatient.cancel()

        # then
        assert await patient
    assert calls_to(sandbox, START_SESSION) == {START_SESSION: 1}


# --- expiry from the token itself (a fake Cardlytics, fake clocks) ------------------------------


class FakeStartSession:
    """Answers startSession with a JWT whose ``exp`` is ``lifetime_s`` from the wall clock."""

    def __init__(
        self, wall_clock: Callable[[], float], lifetime_s: float | None, claim: str = "exp"
    ) -> None:
        self.wall_clock = wall_clock
        self.lifetime_s = lifetime_s
        self.claim = claim
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.issued += 1
        if self.lifetime_s is None:
            token = f"opaque-{self.issued}"
        else:
            expires = self.wall_clock() + self.lifetime_s
            claim: Any = expires
            if self.claim == "sessionExpirationTimestamp":
                claim = datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z")
            token = jwt.encode({self.claim: claim, "n": self.issued}, "k" * 32, algorithm="HS256")
        return httpx.Response(200, json={"sessionToken": token})


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def _tokens_over_time(
    lifetime_s: float | None, steps: list[float], claim: str = "exp", **options: Any
) -> tuple[int, list[str]]:
    clock = Clock()
    fake = FakeStartSession(clock, lifetime_s, claim)
    async with httpx.AsyncClient(
        base_url="http://cardlytics.test", transport=httpx.MockTransport(fake)
    ) as client:
        http = UpstreamHTTP("cardlytics", client, retry=RetryPolicy(attempts=1))
        sessions = SessionTokens(
            http,
            client_id="c",
            secret=SecretStr("s"),
            clock=clock,
            wall_clock=clock,
            **options,
        )
        seen = []
        for step in steps:
            clock.now += step
            seen.append(await sessions.token(customer(1)))
    return fake.issued, seen


@pytest.mark.parametrize(
    ("lifetime_s", "steps", "issued"),
    [
        # a one-hour token (the legacy docs' lifetime) is kept until 60 s before its exp
        (3600.0, [0, 3539, 2], 2),
        # a 15-minute token: refreshed at 14 minutes
        (900.0, [0, 839, 2], 2),
        # a very short one is kept for half its life, never refetched on every call
        (10.0, [0, 4.9, 0.2], 2),
    ],
)
async def test_each_token_is_kept_until_its_own_exp_minus_the_skew(
    lifetime_s: float, steps: list[float], issued: int
) -> None:
    count, seen = await _tokens_over_time(lifetime_s, steps, ttl_s=900.0, refresh_skew_s=60.0)
    assert count == issued
    assert seen[0] == seen[1] != seen[2]


async def test_the_documented_session_expiration_claim_is_read_when_exp_is_absent() -> None:
    count, seen = await _tokens_over_time(
        3600.0, [0, 3539, 2], claim="sessionExpirationTimestamp", ttl_s=900.0
    )
    assert count == 2
    assert seen[0] == seen[1] != seen[2]


async def test_a_token_that_is_not_a_jwt_lives_the_configured_ttl_minus_the_skew() -> None:
    count, seen = await _tokens_over_time(None, [0, 839, 2], ttl_s=900.0, refresh_skew_s=60.0)
    assert count == 2
    assert seen == ["opaque-1", "opaque-1", "opaque-2"]
