"""httpx's client API over aiohttp's connection pool and HTTP parser, and a direct lane past httpx.

httpx's own transport (httpcore over anyio) costs more CPU per call than the rest of a small
upstream call together; aiohttp's C parser does the same work for a fraction of it. Clients keep
the ``httpx.AsyncClient`` API (timeouts, base URL, headers, ``MockTransport`` in tests); only the
network underneath changes.

Even over aiohttp, httpx's own layers (its URL, Request, Headers and Response objects, auth,
redirect and cookie handling) cost about as much again. ``DirectRequests`` sends what
``AsyncClient.request`` would send for a plain client (no auth, hooks, cookies, redirects or
client params: the gateway's) straight to the transport's aiohttp session, and hands back a
``DirectAnswer`` instead of an ``httpx.Response``.

Unlike ``httpx_aiohttp.AiohttpTransport`` (whose exception map reports a refused connection as a
connect *timeout*), failures here become the httpx errors httpx itself would raise, so
``UpstreamHTTP`` tells a timeout from an outage as before. Bodies are read whole: every caller
reads them whole anyway. aiohttp keeps no cookies here: responses for one customer must never
add anything to another's requests.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDictProxy

__all__ = ["AiohttpTransport", "DirectAnswer", "DirectRequests", "direct_requests"]

HeaderList = list[tuple[str, str]]

# A path httpx would send unchanged after the base URL: "/"-led segments of unreserved characters
# and %XX escapes, none of them "." or "..", no "//" start (httpx would read an authority there).
_PLAIN_PATH = re.compile(r"(?!//)(?:/(?!\.\.?(?:/|$))(?:[\w.~-]|%[0-9A-Fa-f]{2})*)*", re.ASCII)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON = "application/json"
_CLOSED = "Cannot send a request, as the client has been closed."  # httpx's words


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (its pool bounded by ``limits``), opened on first use."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Made inside the running loop: aiohttp binds a session to the loop it was created in.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 5.0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,  # httpx decodes by Content-Encoding
                # httpx already set the headers it sends; aiohttp would add a Content-Type to a
                # body sent without one
                skip_auto_headers=("Content-Type",),
            )
        return self._session

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        timeouts: aiohttp.ClientTimeout,
    ) -> tuple[aiohttp.ClientResponse, bytes]:
        async with self._open().request(
            method,
            url,
            headers=headers,
            data=body or None,
            allow_redirects=False,
            timeout=timeouts,
        ) as answer:
            return answer, await answer.read()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        ]
        timeout = _timeout(request.extensions.get("timeout", {}))
        try:
            answer, content = await self._exchange(
                request.method, str(request.url), headers, request.content, timeout
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _as_httpx_error(error, request) from error
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            content=content,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class DirectAnswer:
    """An upstream's answer as ``UpstreamHTTP``'s classifiers read it (its ``Answer``): headers
    as received, case-insensitive; content decoded by Content-Encoding as httpx decodes it."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: CIMultiDictProxy[str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        # httpx's reading of the charset, its UTF-8 fallback and its "replace" of bad bytes; read
        # by one caller (an XSD), so built when asked rather than kept in step by hand
        headers = [("Content-Type", value) for value in self.headers.getall("Content-Type", ())]
        return httpx.Response(self.status_code, headers=headers, content=self.content).text


class DirectRequests:
    """``client.request`` for a plain client over an ``AiohttpTransport``, byte for byte: the same
    URL, headers (names, values and order) and body on the wire, the same timeouts and errors.

    The client's settings are read once, here: the gateway never changes them afterwards."""

    def __init__(self, client: httpx.AsyncClient, transport: AiohttpTransport) -> None:
        self._client = client
        self._transport = transport
        # httpx ends a base URL's path in "/", but writes an empty one (a bare host) as ""
        self._base = str(client.base_url).removesuffix("/") + "/"
        self._host = ("Host", client.base_url.netloc.decode("ascii"))
        # keyed by lower-case name, as httpx merges request headers over the client's
        self._defaults = {
            name.lower(): (name, value)
            for name, value in (
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in client.headers.raw
            )
        }
        self._timeout = _timeout(client.timeout.as_dict())

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> DirectAnswer:
        if self._client.is_closed:
            raise RuntimeError(_CLOSED)
        method = method.upper()
        full_url = self._url(url, params)
        body, wire_headers = self._encode(method, headers, content, json)
        try:
            answer, raw = await self._transport._exchange(
                method, full_url, wire_headers, body, self._timeout
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _as_httpx_error(error, httpx.Request(method, full_url)) from error
        if "Content-Encoding" in answer.headers:
            # httpx's decoders: the same encodings understood, the same DecodingError otherwise
            raw = httpx.Response(answer.status, headers=answer.raw_headers, content=raw).content
        return DirectAnswer(answer.status, answer.headers, raw)

    def _url(self, path: str, params: Mapping[str, Any] | None) -> str:
        if not _PLAIN_PATH.fullmatch(path):
            # a query in the path, dot segments, characters to escape: httpx's own rules
            return str(self._client.build_request("GET", path, params=params).url)
        url = self._base + path.lstrip("/")
        # httpx writes any non-empty params, even ones that encode to nothing ("?")
        return f"{url}?{httpx.QueryParams(params)}" if params else url

    def _encode(
        self, method: str, headers: Mapping[str, str] | None, content: bytes | None, json: Any
    ) -> tuple[bytes, HeaderList]:
        """The body, and the headers in httpx's order: Host (and an empty body's Content-Length)
        first, the client's defaults less those the call gives, the call's, the body's last."""
        given = headers or {}
        names = {name.lower() for name in given}
        wire = [pair for name, pair in self._defaults.items() if name not in names]
        wire.extend(given.items())
        names.update(self._defaults)
        body = b""
        body_headers: HeaderList = []
        if content is not None:
            body = content
            body_headers = [("Content-Length", str(len(body)))] if body else []
        elif json is not None:
            body = _json_body(json)
            body_headers = [("Content-Length", str(len(body))), ("Content-Type", _JSON)]
        for name, value in body_headers:
            if name.lower() not in names:  # the call's own win
                wire.append((name, value))
                names.add(name.lower())
        first: HeaderList = []
        if "host" not in names:
            first.append(self._host)
        if method in _BODY_METHODS and not names & {"content-length", "transfer-encoding"}:
            first.append(("Content-Length", "0"))
        return body, [*first, *wire]


def direct_requests(client: httpx.AsyncClient) -> DirectRequests | None:
    """The direct lane for ``client``, or None where only httpx itself does what it asks."""
    transport = client._transport
    if not isinstance(transport, AiohttpTransport):
        return None
    plain = (
        not client._mounts  # a proxy or another transport for some URLs
        and client.auth is None
        and not client.base_url.userinfo  # httpx would send it as basic auth
        and not client.params
        and not client.cookies
        and not client.follow_redirects
        and not any(client.event_hooks.values())
        and client._default_encoding == "utf-8"  # DirectAnswer.text's fallback
    )
    return DirectRequests(client, transport) if plain else None


def _json_body(value: Any) -> bytes:
    # httpx's own serialisation (httpx._content.encode_json), so the bytes are the same
    return jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def _timeout(timeout: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        # aiohttp's "connect" covers waiting for a pooled connection too
        connect=timeout.get("pool"),
        sock_connect=timeout.get("connect"),
        sock_read=timeout.get("read"),
    )


def _as_httpx_error(
    error: aiohttp.ClientError | TimeoutError, request: httpx.Request
) -> httpx.TransportError:
    message = str(error) or type(error).__name__
    kind: type[httpx.TransportError]
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(error, TimeoutError):  # sock_read, or an overall timeout
        kind = httpx.ReadTimeout
    elif isinstance(error, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError
    elif isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        kind = httpx.RemoteProtocolError
    elif isinstance(error, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        kind = httpx.ReadError
    else:
        kind = httpx.TransportError
    return kind(message, request=request)
