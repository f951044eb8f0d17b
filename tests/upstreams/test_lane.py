"""The direct lane (``DirectRequests``) against httpx over the same HTTP/1.1 transport: the same
bytes on the wire, the same answers read, the same failures; and the gateway really uses it.

A raw TCP server on 127.0.0.1 records each request exactly as received (header names' case and
order included) and answers with canned bytes, so both sides see the wire itself.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.context import Upstreams
from gateway.upstreams.cardlytics.models import AdsQuery
from gateway.upstreams.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from gateway.upstreams.http import Answer, UpstreamHTTP
from gateway.upstreams.http1 import HTTP1Transport, origin_of
from gateway.upstreams.lane import DirectAnswer, DirectRequests, direct_requests
from gateway.upstreams.resilience import RetryPolicy
from tests.support.gateway import settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import free_port, read_request

LIMITS = httpx.Limits(max_connections=4)
HELLO = "héllo wörld".encode()


def _answer(status: str, headers: list[str], body: bytes) -> bytes:
    return "\r\n".join([f"HTTP/1.1 {status}", *headers, "", ""]).encode() + body


def _plain(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    return _answer(status, [*headers, f"Content-Length: {len(body)}"], body)


# What the server answers, by the request path's first segment.
ANSWERS: dict[str, bytes] = {
    "json": _plain(b'{"ok": true}', "Content-Type: application/json", "X-Trace: a", "X-Trace: b"),
    "latin1": _plain("café".encode("latin-1"), "Content-Type: text/plain; charset=ISO-8859-1"),
    "bogus-charset": _plain(HELLO, "Content-Type: text/plain; charset=no-such-codec"),
    "untyped": _plain(HELLO),
    "bad-utf8": _plain(b"caf\xe9", "Content-Type: text/plain"),
    "gzip": _plain(gzip.compress(HELLO), "Content-Encoding: gzip", "Content-Type: text/plain"),
    "deflate": _plain(zlib.compress(HELLO), "Content-Encoding: deflate"),
    "bad-gzip": _plain(b"not gzip at all", "Content-Encoding: gzip"),
    "chunked": _answer(
        "200 OK",
        ["Transfer-Encoding: chunked", "Content-Type: application/xml"],
        b"5\r\n<a/>\n\r\n0\r\n\r\n",
    ),
    "empty": _answer("204 No Content", [], b""),
    "redirect": _plain(b"", "Location: /json", status="302 Found"),
    "error": _plain(b"oops", status="503 Service Unavailable"),
}


@dataclass
class RawServer:
    """Keeps connections alive; "/stall" never answers, "/hang-up" closes without a word."""

    url: str = ""
    received: list[bytes] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head, body = await read_request(reader)
                self.received.append(head + body)
                path = head.split(b" ")[1].decode()
                kind = path.split("?")[0].rsplit("/", 1)[-1]
                if kind == "stall":
                    await asyncio.sleep(10)
                if kind == "hang-up":
                    break
                writer.write(ANSWERS.get(kind, ANSWERS["json"]))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[RawServer]:
    raw = RawServer()
    listening = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    raw.url = f"http://127.0.0.1:{port}/base/v1.3"
    async with listening:
        yield raw
        listening.close()


def _client(base_url: str, *, read_s: float = 5.0, **options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(read_s, connect=2.0),
        transport=HTTP1Transport(LIMITS),
        **options,
    )


def _lane(client: httpx.AsyncClient) -> DirectRequests:
    lane = direct_requests(client)
    assert lane is not None
    return lane


# --- requests ----------------------------------------------------------------------------------

PATHS = [
    "/json",
    "/tickets/123",
    "/tickets/a%2Fb%20c",
    "/tickets/A.B~c_d-e",
    "",
    "/",
    "json",  # httpx adds the "/" itself
    "/a b/é",  # escaped by httpx
    "/json?kept=1",
    "/./a/../json",
    "//elsewhere/x",
    "/100%",
    "/a.../..b",
]
PARAMS: list[dict[str, Any] | None] = [
    None,
    {},
    {"q": "a b+c&d=é/?#%20", "email": "x@y.z"},
    {"list": ["x", "y z"], "n": 3, "yes": True, "no": False, "none": None, "f": 1.5},
    {"nothing": []},
]


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:1/base/v1.3", "http://127.0.0.1:1/base/", "http://127.0.0.1:1"]
)
async def test_urls_are_the_ones_httpx_builds(base: str) -> None:
    async with _client(base) as client:
        lane = _lane(client)
        for path in PATHS:
            for params in PARAMS:
                url = client.build_request("GET", path, params=params).url
                expected = (origin_of(url), url.raw_path.decode("ascii"))
                assert lane._route(path, params) == expected, (path, params)


CALLS: list[dict[str, Any]] = [
    {"method": "GET", "url": "/json", "params": {"q": "a b+c&d=é", "l": ["1", "2"]}},
    {"method": "GET", "url": "/json", "headers": {"Accept": "application/xml", "Page": "2"}},
    {"method": "POST", "url": "/json", "json": {"clientId": "c", "secret": "ünï", "n": [1, 2.5]}},
    {"method": "POST", "url": "/json", "json": {"a": 1}, "headers": {"content-type": "text/x"}},
    {"method": "PUT", "url": "/json", "content": b""},
    {"method": "POST", "url": "/json", "content": b"raw bytes"},
    {"method": "POST", "url": "/json"},  # no body at all: httpx's Content-Length: 0 first
    {"method": "delete", "url": "/json", "headers": {"X-CDLX-Request-Id": "rid-1"}},
    {"method": "GET", "url": "/json", "headers": {"user-agent": "mine", "Host": "example.test"}},
]


@pytest.mark.parametrize("call", CALLS, ids=lambda call: f"{call['method']}-{sorted(call)}")
async def test_the_wire_carries_the_same_bytes_as_through_httpx(
    server: RawServer, call: dict[str, Any]
) -> None:
    async with _client(server.url) as client:
        await client.request(**call)
        await _lane(client).request(**call)
    through_httpx, direct = server.received
    assert direct == through_httpx


@pytest.mark.parametrize("call", CALLS, ids=lambda call: f"{call['method']}-{sorted(call)}")
async def test_the_transport_writes_what_httpx_own_transport_writes(
    server: RawServer, call: dict[str, Any]
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5.0) as client:  # httpcore's
        await client.request(**call)
    async with _client(server.url) as client:
        await client.request(**call)
    through_httpcore, through_http1 = server.received
    if "Host" in call.get("headers", {}):
        # h11 writes a Host the call gives first; aiohttp, and so the lane, kept it where it is
        assert sorted(through_http1.split(b"\r\n")) == sorted(through_httpcore.split(b"\r\n"))
    else:
        assert through_http1 == through_httpcore


# --- answers ------------------------------------------------------------------------------------


def _headers(answer: Answer) -> list[tuple[str, str]]:
    return [(name.lower(), value) for name, value in answer.headers.items()]


@pytest.mark.parametrize("kind", sorted(set(ANSWERS) - {"bad-gzip", "chunked"}))
async def test_answers_read_the_same_as_httpx_reads_them(server: RawServer, kind: str) -> None:
    async with _client(server.url) as client:
        expected = await client.get(f"/{kind}")
        answer = await _lane(client).request("GET", f"/{kind}")
    assert isinstance(answer, DirectAnswer)
    assert answer.status_code == expected.status_code
    assert answer.content == expected.content
    assert answer.text == expected.text
    assert _headers(answer) == expected.headers.multi_items()
    assert len(server.received) == 2  # no redirect followed


async def test_encoded_and_charset_answers_decode_as_httpx_decodes_them(
    server: RawServer,
) -> None:
    async with _client(server.url) as client:
        lane = _lane(client)
        json = await lane.request("GET", "/json")
        assert json.headers["CONTENT-TYPE"] == "application/json"  # any case, as httpx's
        assert json.headers.get("x-trace") == "a"
        assert (await lane.request("GET", "/gzip")).content == HELLO
        assert (await lane.request("GET", "/deflate")).text == HELLO.decode()
        assert (await lane.request("GET", "/latin1")).text == "café"
        assert (await lane.request("GET", "/bad-utf8")).text == "caf\ufffd"
        with pytest.raises(httpx.DecodingError):  # as through httpx: not a transport failure
            await lane.request("GET", "/bad-gzip")
        with pytest.raises(httpx.DecodingError):
            await client.get("/bad-gzip")


async def test_a_chunked_answer_differs_only_by_the_length_httpx_adds(server: RawServer) -> None:
    async with _client(server.url) as client:
        expected = await client.get("/chunked")
        answer = await _lane(client).request("GET", "/chunked")
    assert answer.content == expected.content == b"<a/>\n"
    assert answer.text == expected.text
    # httpx.Response adds a Content-Length for the bytes it was handed; nobody reads it
    assert [*_headers(answer), ("content-length", "5")] == expected.headers.multi_items()


# --- failures -----------------------------------------------------------------------------------


def _probe(answer: Answer, request_id: str) -> UpstreamError | None:
    if answer.status_code >= 500:
        return UpstreamUnavailable("probe", "server error", status=answer.status_code)
    return None


async def _failure(call: Callable[[], Awaitable[Any]]) -> type[BaseException]:
    try:
        await call()
    except Exception as error:
        return type(error)
    raise AssertionError("the call did not fail")


@pytest.mark.parametrize(
    ("path", "read_s", "expected", "cause"),
    [
        ("/stall", 0.2, UpstreamTimeout, httpx.ReadTimeout),
        ("/hang-up", 5.0, UpstreamUnavailable, httpx.RemoteProtocolError),
        ("/error", 5.0, UpstreamUnavailable, type(None)),
    ],
)
async def test_failures_are_the_same_upstream_errors(
    server: RawServer,
    path: str,
    read_s: float,
    expected: type[UpstreamError],
    cause: type[BaseException],
) -> None:
    async with _client(server.url, read_s=read_s) as client:
        http = UpstreamHTTP("probe", client, retry=RetryPolicy(attempts=1))
        with pytest.raises(expected) as caught:
            await http.send("GET", path, classify=_probe, idempotent=True)
        assert type(caught.value.__cause__) is cause
        # and httpx over the same transport fails the same way
        if cause is not type(None):
            assert await _failure(lambda: client.get(path)) is cause
            assert await _failure(lambda: _lane(client).request("GET", path)) is cause


async def test_a_refused_connection_is_unavailable_not_a_timeout() -> None:
    async with _client(f"http://127.0.0.1:{free_port()}") as client:
        http = UpstreamHTTP("probe", client, retry=RetryPolicy(attempts=1))
        with pytest.raises(UpstreamUnavailable) as caught:
            await http.send("GET", "/json", classify=_probe, idempotent=True)
        assert type(caught.value.__cause__) is httpx.ConnectError
        assert await _failure(lambda: client.get("/json")) is httpx.ConnectError


async def test_a_closed_client_refuses_as_httpx_does(server: RawServer) -> None:
    async with _client(server.url) as client:
        lane = _lane(client)
    with pytest.raises(RuntimeError, match="client has been closed"):
        await lane.request("GET", "/json")
    with pytest.raises(RuntimeError, match="client has been closed"):
        await client.get("/json")


# --- which lane ---------------------------------------------------------------------------------


async def _no_hook(request: httpx.Request) -> None:
    return None


@pytest.mark.parametrize(
    "options",
    [
        {"auth": ("user", "secret")},
        {"params": {"always": "1"}},
        {"cookies": {"c": "1"}},
        {"follow_redirects": True},
        {"event_hooks": {"request": [_no_hook]}},
        {"default_encoding": "latin-1"},
        {"base_url": "http://user:pw@127.0.0.1:1/"},
    ],
    ids=lambda options: next(iter(options)),
)
async def test_clients_with_more_to_them_keep_httpx(options: dict[str, Any]) -> None:
    async with _client(**{"base_url": "http://127.0.0.1:1/", **options}) as client:
        assert direct_requests(client) is None
    async with _client("http://127.0.0.1:1/") as client:
        assert direct_requests(client) is not None


async def test_other_transports_keep_httpx() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    async with httpx.AsyncClient(base_url="http://127.0.0.1:1", transport=mock) as client:
        assert direct_requests(client) is None
        http = UpstreamHTTP("probe", client)
        answer = await http.send("GET", "/x", classify=_probe, idempotent=True)
        assert isinstance(answer, httpx.Response)


async def test_the_gateway_calls_both_upstreams_through_the_lane(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def through_httpx(self: HTTP1Transport, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"{request.url.path} went through httpx")

    monkeypatch.setattr(HTTP1Transport, "handle_async_request", through_httpx)
    app = create_app(settings_for(sandbox))
    async with app.router.lifespan_context(app):
        upstreams: Upstreams = app.state.upstreams
        ads = await upstreams.cardlytics.offers.get_ads(
            upstreams.customer_ids("alice"), AdsQuery(channel="OLB")
        )
        assert ads.ads
        assert await upstreams.clickbank.count() >= 1
    assert sandbox.calls("cardlytics")["POST /v2/session/startSession"] == 1
