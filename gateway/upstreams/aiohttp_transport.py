"""httpx's client API over aiohttp's connection pool and HTTP parser.

httpx's own transport (httpcore over anyio) costs more CPU per call than the rest of a small
upstream call together; aiohttp's C parser does the same work for a fraction of it. Clients keep
the ``httpx.AsyncClient`` API (timeouts, base URL, headers, ``MockTransport`` in tests); only the
network underneath changes.

Unlike ``httpx_aiohttp.AiohttpTransport`` (whose exception map reports a refused connection as a
connect *timeout*), failures here become the httpx errors httpx itself would raise, so
``UpstreamHTTP`` tells a timeout from an outage as before. Bodies are read whole: every caller
reads them whole anyway. aiohttp keeps no cookies here: responses for one customer must never
add anything to another's requests.
"""

from __future__ import annotations

import aiohttp
import httpx
from multidict import CIMultiDict

__all__ = ["AiohttpTransport"]


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

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        headers = CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        )
        try:
            async with self._open().request(
                request.method,
                str(request.url),
                headers=headers,
                data=request.content or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    # aiohttp's "connect" covers waiting for a pooled connection too
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            ) as answer:
                content = await answer.read()
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
