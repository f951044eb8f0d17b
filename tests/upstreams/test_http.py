"""The shared request core against a real server: retries, breaker, timeouts, request ids.

The sandbox's unknown paths answer 404; fault rules make them fail on demand, so these tests need
neither simulator's business logic. Each runs over httpx's own transport and over the gateway's
(``HTTP1Transport``, where ``UpstreamHTTP`` takes its direct lane past httpx).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from gateway.logs import request_id_scope
from gateway.upstreams.errors import (
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.upstreams.http import Answer, UpstreamHTTP
from gateway.upstreams.http1 import HTTP1Transport
from gateway.upstreams.resilience import CircuitBreaker, RetryPolicy
from tests.support.sandbox import Sandbox

PATH = "/probe"
CALL_KEY = "GET /probe"


def classify(response: Answer, request_id: str) -> UpstreamError | None:
    if response.status_code >= 500:
        return UpstreamUnavailable("probe", "server error", status=response.status_code)
    if response.status_code == 404:
        return UpstreamNotFound("probe", "not found", status=404, request_id=request_id)
    return None


def _transport(kind: str) -> httpx.AsyncBaseTransport | None:
    return HTTP1Transport(httpx.Limits(max_connections=4)) if kind == "http1" else None


@pytest.fixture(params=["httpx", "http1"])
async def http(sandbox: Sandbox, request: pytest.FixtureRequest) -> AsyncIterator[UpstreamHTTP]:
    async with httpx.AsyncClient(
        base_url=f"{sandbox.url}/clickbank", timeout=0.5, transport=_transport(request.param)
    ) as client:
        yield UpstreamHTTP(
            "probe",
            client,
            retry=RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02),
            breaker=CircuitBreaker(failure_threshold=2, reset_timeout_s=0.3),
            request_id_header="X-Request-Id",
        )


async def test_idempotent_call_recovers_from_a_transient_503(
    http: UpstreamHTTP, sandbox: Sandbox
) -> None:
    sandbox.faults("clickbank", {"match": CALL_KEY, "error_status": 503, "times": 1})
    with pytest.raises(UpstreamNotFound):  # the path answers 404 once the fault has passed
        await http.send("GET", PATH, classify=classify, idempotent=True)
    assert sandbox.calls("clickbank") == {CALL_KEY: 2}


async def test_non_idempotent_call_is_sent_once(http: UpstreamHTTP, sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": CALL_KEY, "error_status": 503, "times": 1})
    with pytest.raises(UpstreamUnavailable):
        await http.send("GET", PATH, classify=classify, idempotent=False)
    assert sandbox.calls("clickbank") == {CALL_KEY: 1}


async def test_client_errors_are_not_retried(http: UpstreamHTTP, sandbox: Sandbox) -> None:
    with pytest.raises(UpstreamNotFound) as caught:
        await http.send("GET", PATH, classify=classify, idempotent=True)
    assert sandbox.calls("clickbank") == {CALL_KEY: 1}
    assert caught.value.request_id  # every call carries a request id


async def test_hang_beyond_read_timeout_is_a_timeout(http: UpstreamHTTP, sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": CALL_KEY, "hang_s": 2})
    with pytest.raises(UpstreamTimeout):
        await http.send("GET", PATH, classify=classify, idempotent=False)


async def test_open_breaker_fails_fast_without_calling_then_recovers(
    http: UpstreamHTTP, sandbox: Sandbox
) -> None:
    sandbox.faults("clickbank", {"match": CALL_KEY, "error_status": 503})
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            await http.send("GET", PATH, classify=classify, idempotent=False)
    started = time.perf_counter()
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await http.send("GET", PATH, classify=classify, idempotent=True)
    assert time.perf_counter() - started < 0.05
    assert sandbox.calls("clickbank") == {CALL_KEY: 2}
    # once the reset timeout passes and the upstream is healthy, one trial closes it again
    sandbox.faults("clickbank")
    await asyncio.sleep(0.35)
    with pytest.raises(UpstreamNotFound):
        await http.send("GET", PATH, classify=classify, idempotent=False)
    assert http.breaker.state == "closed"


@pytest.mark.parametrize("kind", ["httpx", "http1"])
async def test_incoming_request_id_is_sent_upstream(sandbox: Sandbox, kind: str) -> None:
    seen: list[str] = []

    def capture(response: Answer, request_id: str) -> UpstreamError | None:
        seen.append(orjson.loads(response.content)["requestId"])  # the simulator echoes it
        return None

    async with httpx.AsyncClient(
        base_url=sandbox.cardlytics_url, timeout=5.0, transport=_transport(kind)
    ) as client:
        http = UpstreamHTTP("probe", client, request_id_header="X-CDLX-Request-Id")
        with request_id_scope("incoming-42"):
            await http.send(
                "POST",
                "/v2/session/startSession",
                classify=capture,
                idempotent=False,
                json={"clientId": "sandbox-client", "secret": "sandbox-secret"},
                headers={"x-source-customer-id": "a" * 64},
            )
    assert seen == ["incoming-42"]
