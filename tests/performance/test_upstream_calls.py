"""What the home screen costs upstream once warm, and under many customers at once."""

from __future__ import annotations

import asyncio

from tests.performance.support import GET_ADS, HOME, START_SESSION, client, post
from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox


async def test_a_warm_home_screen_is_one_get_ads_and_no_session(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    token = gateway.customer("customer-linked")
    async with client() as http:
        await post(http, gateway, HOME, {"first": 50}, token)  # warms the session token
        sandbox.reset_calls("cardlytics")

        body = await post(http, gateway, HOME, {"first": 50}, token)

    assert len(body["data"]["offers"]["edges"]) == min(50, body["data"]["offers"]["totalCount"])
    calls = sandbox.calls("cardlytics")
    assert calls[GET_ADS] == 1
    assert START_SESSION not in calls


async def test_200_concurrent_requests_of_20_customers_start_20_sessions(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    tokens = [gateway.customer(f"crowd-{n}") for n in range(20)]
    async with client() as http:
        bodies = await asyncio.gather(
            *(post(http, gateway, HOME, {"first": 5}, tokens[n % 20]) for n in range(200))
        )

    assert all(body["data"]["viewer"]["role"] == "CUSTOMER" for body in bodies)
    calls = sandbox.calls("cardlytics")
    assert calls[START_SESSION] == 20
    assert calls[GET_ADS] == 200
