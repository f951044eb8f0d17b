"""The direct lane: a plain ``httpx.AsyncClient``'s requests sent past httpx's own layers.

Over the gateway's ``HTTP1Transport`` (``gateway.upstreams.http1``), httpx's own layers (its URL,
Request, Headers and Response objects, auth, redirect and cookie handling) would cost about as
much as the exchange itself. ``DirectRequests`` writes what ``AsyncClient.request`` would send for
a plain client (no auth, hooks, cookies, redirects or client params: the gateway's) straight to
the transport, and hands back a ``DirectAnswer`` instead of an ``httpx.Response``. Failures are
the httpx errors the transport raises under httpx, so ``UpstreamHTTP`` tells a timeout from an
outage as before.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Mapping
from typing import Any

import httpx
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.upstreams.http1 import HTTP1Transport, Origin, Timeouts, check_head, origin_of

__all__ = ["DirectAnswer", "DirectRequests", "direct_requests"]

HeaderList = list[tuple[str, str]]

# A path httpx would send unchanged after the base URL: "/"-led segments of unreserved characters
# and %XX escapes, none of them "." or "..", no "//" start (httpx would read an authority there).
_PLAIN_PATH = re.compile(r"(?!//)(?:/(?!\.\.?(?:/|$))(?:[\w.~-]|%[0-9A-Fa-f]{2})*)*", re.ASCII)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON = "application/json"
_CLOSED = "Cannot send a request, as the client has been closed."  # httpx's words


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
    """``client.request`` for a plain client over an ``HTTP1Transport``, byte for byte: the same
    URL, headers (names, values and order) and body on the wire, the same timeouts and errors.

    The client's settings are read once, here: the gateway never changes them afterwards."""

    def __init__(self, client: httpx.AsyncClient, transport: HTTP1Transport) -> None:
        self._client = client
        self._transport = transport
        self._origin = origin_of(client.base_url)
        # httpx ends a base URL's path in "/"
        self._base_path = client.base_url.raw_path.decode("ascii").removesuffix("/") + "/"
        self._host = ("Host", client.base_url.netloc.decode("ascii"))
        # keyed by lower-case name, as httpx merges request headers over the client's
        self._defaults = {
            name.lower(): (name, value)
            for name, value in (
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in client.headers.raw
            )
        }
        self._timeouts = Timeouts.of(client.timeout.as_dict())

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
        origin, target = self._route(url, params)
        body, wire_headers = self._encode(method, headers, content, json)
        head = "".join(
            [
                f"{method} {target} HTTP/1.1\r\n",
                *[f"{name}: {value}\r\n" for name, value in wire_headers],
                "\r\n",
            ]
        )
        check_head(head, len(wire_headers))
        try:
            reply = await self._transport.exchange(
                method, origin, head.encode() + body, self._timeouts
            )
        except httpx.TransportError as error:
            where = httpx.URL(
                scheme=origin.scheme, host=origin.host, port=origin.port, raw_path=target.encode()
            )
            error.request = httpx.Request(method, where)
            raise
        # as aiohttp, which this lane was first written over, read them
        headers_read = CIMultiDictProxy(
            CIMultiDict(
                (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
                for name, value in reply.headers
            )
        )
        content = reply.content
        if "Content-Encoding" in headers_read:
            # httpx's decoders: the same encodings understood, the same DecodingError otherwise
            content = httpx.Response(reply.status, headers=reply.headers, content=content).content
        return DirectAnswer(reply.status, headers_read, content)

    def _route(self, path: str, params: Mapping[str, Any] | None) -> tuple[Origin, str]:
        """Where httpx would send ``path``: the origin, and the target on the request line."""
        if not _PLAIN_PATH.fullmatch(path):
            # a query in the path, dot segments, characters to escape: httpx's own rules
            url = self._client.build_request("GET", path, params=params).url
            return origin_of(url), url.raw_path.decode("ascii")
        target = self._base_path + path.lstrip("/")
        # httpx writes any non-empty params, even ones that encode to nothing ("?")
        return self._origin, f"{target}?{httpx.QueryParams(params)}" if params else target

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
    if not isinstance(transport, HTTP1Transport):
        return None
    plain = (
        not client._mounts  # a proxy or another transport for some URLs
        and client.auth is None
        and not client.base_url.userinfo  # httpx would send it as basic auth
        and not client.base_url.query
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
