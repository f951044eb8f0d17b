"""The HTTP/1.1 transport under the upstream clients: the same answers and the same failures as
httpx's own transport, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.upstreams.http1 import HTTP1Transport
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import free_port, serve_in_thread

LIMITS = httpx.Limits(max_connections=4)


def _client(base_url: str, *, read_s: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(read_s, connect=2.0),
        transport=HTTP1Transport(LIMITS),
    )


async def test_a_post_and_its_answer_go_through_unchanged(sandbox: Sandbox) -> None:
    async with _client(sandbox.cardlytics_url) as client:
        response = await client.post(
            "/v2/session/startSession",
            json={"clientId": "sandbox-client", "secret": "sandbox-secret"},
            headers={"x-source-customer-id": "a" * 64, "X-CDLX-Request-Id": "rid-1"},
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["sessionToken"]
    assert response.json()["requestId"] == "rid-1"  # our header reached the simulator
    assert sandbox.calls("cardlytics") == {"POST /v2/session/startSession": 1}


async def test_nobody_listening_is_a_connect_error_not_a_timeout() -> None:
    async with _client(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/healthz")


async def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout(sandbox: Sandbox) -> None:
    sandbox.faults("cardlytics", {"match": "POST /v2/session/startSession", "hang_s": 2})
    async with _client(sandbox.cardlytics_url, read_s=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/v2/session/startSession", json={})


async def test_connections_are_reused_and_closed_with_the_client(sandbox: Sandbox) -> None:
    transport = HTTP1Transport(LIMITS)
    async with httpx.AsyncClient(base_url=sandbox.url, transport=transport) as client:
        for _ in range(10):
            assert (await client.get("/healthz")).status_code == 200
        opened = set(transport._open)
        assert len(opened) == 1  # one kept-alive connection served all ten
    assert not transport._open
    assert all(connection.closed for connection in opened)


async def test_a_gateway_whose_upstream_is_down_says_unavailable(sandbox: Sandbox) -> None:
    settings = settings_for(sandbox, cardlytics_base_url=f"http://127.0.0.1:{free_port()}/c")
    with serve_in_thread(create_app(settings)) as url:
        gateway = Gateway(url, settings)
        result = await gateway.execute("{ offers(first: 1) { totalCount } }")
    assert result.data is None or result.data["offers"] is None
    assert result.codes == ["UPSTREAM_UNAVAILABLE"]


async def _echo_headers(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app answering with the request's headers, as the server received them."""
    if scope["type"] != "http":
        return
    body = json.dumps([[k.decode(), v.decode()] for k, v in scope["headers"]]).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def test_the_headers_on_the_wire_are_the_ones_httpx_built() -> None:
    with serve_in_thread(_echo_headers) as url:
        async with _client(url) as client:
            answer = await client.put("/x", content=b"", headers={"X-Api": "k"})
            posted = await client.post("/x", content=b"raw")
    received = [(name, value) for name, value in answer.json()]
    names = [name for name, _ in received]
    assert ("x-api", "k") in received
    assert ("content-length", "0") in received
    assert "content-type" not in names  # httpx sent none; the transport must not add one
    assert names.count("host") == 1 and names.count("content-length") == 1
    assert "content-type" not in [name for name, _ in posted.json()]


def test_sniffio_is_installed() -> None:
    # httpcore (under the JWKS client, and any httpx client without our transport) looks for
    # sniffio on every request when it is missing, retrying a failing import each time.
    import sniffio

    assert callable(sniffio.current_async_library)  # importable, and the real package
