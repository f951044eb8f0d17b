"""The composed gateway: its endpoints over real HTTP and its wiring to the simulators."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from gateway.app import create_app
from gateway.context import Upstreams
from gateway.settings import Settings
from gateway.upstreams.cardlytics.models import AdsQuery
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread


def settings_for(sandbox: Sandbox, **overrides: object) -> Settings:
    return Settings(
        cardlytics_base_url=sandbox.cardlytics_url,
        clickbank_base_url=sandbox.clickbank_url,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def gateway_url(sandbox: Sandbox) -> Iterator[str]:
    with serve_in_thread(create_app(settings_for(sandbox))) as url:
        yield url


def test_health_and_readiness(gateway_url: str) -> None:
    assert httpx.get(f"{gateway_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway_url}/readyz").json()
    assert ready == {
        "status": "ready",
        "upstreams": {"cardlytics": "closed", "clickbank": "closed"},
    }


def test_request_id_is_echoed_when_safe_and_replaced_when_not(gateway_url: str) -> None:
    kept = httpx.get(f"{gateway_url}/healthz", headers={"X-Request-Id": "abc-123.x"})
    assert kept.headers["x-request-id"] == "abc-123.x"
    replaced = httpx.get(f"{gateway_url}/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] not in ("", "bad id\twith spaces")
    fresh = httpx.get(f"{gateway_url}/healthz")
    assert fresh.headers["x-request-id"] != replaced.headers["x-request-id"]


async def test_lifespan_wires_both_clients_to_their_upstreams(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings_for(sandbox))
    caplog.set_level(logging.DEBUG)
    async with app.router.lifespan_context(app):
        upstreams: Upstreams = app.state.upstreams
        customer = upstreams.customer_ids("alice")
        ads = await upstreams.cardlytics.offers.get_ads(customer, AdsQuery(channel="OLB"))
        assert ads.ads, "the sandbox gives every customer offers"
        assert await upstreams.clickbank.count() >= 1
    assert sandbox.calls("cardlytics")["POST /v2/session/startSession"] == 1
    # The raw customer id is hashed before it leaves the gateway, and never logged.
    assert any(getattr(record, "path", None) == "/v2/ads/getAds" for record in caplog.records)
    # extras included: a structured field is as much a leak as the message
    assert not [vars(record) for record in caplog.records if "alice" in str(vars(record))]
