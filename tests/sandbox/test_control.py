"""The shared fault injection and call accounting, exercised over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.support.sandbox import Sandbox


def test_injected_error_applies_times_then_clears(sandbox: Sandbox) -> None:
    # given
    sandbox.faults("clickbank", {"match": "GET /nowhere", "error_status": 503, "times": 2})
    url = f"{sandbox.url}/clickbank/nowhere"
    # when
    statuses = [httpx.get(url).status_code for _ in range(3)]
    # then
    assert statuses == [503, 503, 404]
    assert sandbox.calls("clickbank") == {"GET /nowhere": 3}


def test_injected_latency_delays_the_answer(sandbox: Sandbox) -> None:
    sandbox.faults("cardlytics", {"match": "GET /*", "latency_ms": 200})
    response = httpx.get(f"{sandbox.url}/cardlytics/x")
    assert response.elapsed.total_seconds() >= 0.2


def test_reset_clears_rules_and_counts(sandbox: Sandbox) -> None:
    sandbox.faults("cardlytics", {"match": "*", "error_status": 500})
    httpx.get(f"{sandbox.url}/cardlytics/x")
    sandbox.reset()
    assert httpx.get(f"{sandbox.url}/cardlytics/_sandbox/faults").json() == []
    assert sandbox.calls("cardlytics") == {}


def test_faulted_and_served_calls_count_under_one_route_template(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": "GET /rest/1.3/tickets/*", "error_status": 503})
    assert httpx.get(f"{sandbox.clickbank_url}/tickets/4100002").status_code == 503
    sandbox.faults("clickbank")
    httpx.get(f"{sandbox.clickbank_url}/tickets/4100003")
    assert sandbox.calls("clickbank") == {"GET /rest/1.3/tickets/{ticket_id}": 2}


def test_a_hanging_call_is_counted_on_arrival(sandbox: Sandbox) -> None:
    sandbox.faults("cardlytics", {"match": "POST /v2/ads/getAds", "hang_s": 1})
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{sandbox.cardlytics_url}/v2/ads/getAds", json={}, timeout=0.2)
    assert sandbox.calls("cardlytics") == {"POST /v2/ads/getAds": 1}
