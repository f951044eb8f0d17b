"""The upstream calls' HTTP/1.1 client: a connection pool on asyncio, httptools' parser.

httpx's own transport (httpcore over anyio) cost more CPU per upstream call than the rest of
the call together; aiohttp, which replaced it, still took ~15 % of the gateway's CPU on the home
screen in its own layers (its session, request writer, response handler and timers, URL and
header objects). This client does only what the upstream calls need: one request at a time per
connection, written as one buffer; the answer read whole by httptools (llhttp, as uvicorn reads
requests) from an ``asyncio.Protocol``. Clients keep the ``httpx.AsyncClient`` API
(``HTTP1Transport`` is an httpx transport); ``gateway.upstreams.lane`` sends through ``exchange``
directly, past httpx's own objects. Content-Encoding is left to httpx's decoders.

What a production client needs, and what it does here:

- Connections are kept alive and reused newest first, for ``Limits.keepalive_expiry`` seconds of
  idleness; one the server closed (or answered with ``Connection: close``, or as HTTP/1.0 without
  keep-alive) is never reused, nor one whose socket has anything to read while idle (a close the
  loop has not yet delivered). A HEAD answer closes its connection (the parser cannot be told
  that such an answer has no body; the upstreams are never sent HEAD).
- ``Limits.max_connections`` bounds the requests in flight on this transport, all hosts together,
  as aiohttp's ``limit`` did; the rest wait their turn in arrival order, up to the pool timeout:
  ``httpx.PoolTimeout`` (aiohttp's counted the wait and the connect together and raised a connect
  timeout; both are timeouts to ``UpstreamHTTP``). ``max_keepalive_connections`` is not applied
  (nor was it by aiohttp).
- Timeouts: connect -> ``httpx.ConnectTimeout`` (a refused connection is a ``ConnectError``,
  never a timeout); no byte of the answer for ``read`` seconds -> ``httpx.ReadTimeout``, the clock
  restarting with every byte received (aiohttp's ``sock_read``). Writes are not timed (nor were
  they): a request is a few hundred bytes written to the socket's buffer.
- The server closing before the answer's head is complete, or a malformed head ->
  ``httpx.RemoteProtocolError``; a reset connection, or a body cut short or malformed ->
  ``httpx.ReadError``: aiohttp's failures as the gateway mapped them. A body without length or
  chunking is read until the server closes.
- A pooled connection that the server ends before any byte of its answer (it closed the idle
  connection as we sent) is tried once more on a new connection when the method is idempotent
  (aiohttp's list: GET, HEAD, OPTIONS, TRACE, PUT, DELETE); aiohttp did so on new connections
  too, but there the server has no such excuse. A POST fails: the server may have acted on it,
  and ``UpstreamHTTP`` repeats what its caller says is safe to repeat.
- A request cancelled in flight closes its connection (its answer may still come) and frees its
  place in the pool.
- https: ``ssl.create_default_context()`` (or the one given), with the host name for SNI and
  certificate checks.
- A control character in a header (a CR or LF would split the request) is aiohttp's
  ``ValueError``, raised before anything is sent. No cookies are kept: one customer's answers
  never add to another's requests.
"""

from __future__ import annotations

import asyncio
import re
import select
import socket
import ssl
from collections import deque
from collections.abc import Mapping
from typing import NamedTuple, cast

import httptools
import httpx

__all__ = ["HTTP1Transport", "Origin", "Reply", "Timeouts", "check_head", "origin_of"]

RawHeaders = list[tuple[bytes, bytes]]

# aiohttp's: requests it repeated once when a pooled connection turned out closed
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FRAMING = (b"content-length", b"transfer-encoding")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # aiohttp's: controls but the tab


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int


class Timeouts(NamedTuple):
    connect: float | None
    read: float | None
    pool: float | None

    @classmethod
    def of(cls, timeout: Mapping[str, float | None]) -> Timeouts:
        """From httpx's timeout dict (``httpx.Timeout.as_dict()``, a request's extension)."""
        return cls(timeout.get("connect"), timeout.get("read"), timeout.get("pool"))


class Reply(NamedTuple):
    status: int
    reason: bytes
    headers: RawHeaders
    content: bytes


def origin_of(url: httpx.URL) -> Origin:
    scheme = url.scheme
    return Origin(scheme, url.raw_host.decode("ascii"), url.port or _DEFAULT_PORTS[scheme])


class HTTP1Transport(httpx.AsyncBaseTransport):
    """A pool of HTTP/1.1 connections bounded by ``limits``; see the module's docstring."""

    def __init__(
        self, limits: httpx.Limits | None = None, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        limits = limits or httpx.Limits()
        self._free = limits.max_connections  # places left for requests in flight; None: no bound
        self._expiry = limits.keepalive_expiry
        self._ssl = ssl_context
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._idle: dict[Origin, list[_Connection]] = {}  # oldest first
        self._open: set[_Connection] = set()
        self._sweep: asyncio.TimerHandle | None = None

    async def exchange(
        self, method: str, origin: Origin, request: bytes, timeouts: Timeouts
    ) -> Reply:
        """Send ``request`` (its head and body, as written on the wire) and read the answer."""
        if self._free is not None:
            if self._free > 0 and not self._waiters:
                self._free -= 1
            else:
                await self._wait_for_place(timeouts.pool)
        connection: _Connection | None = None
        try:
            connection = self._idle_connection(origin)
            if connection is None:
                connection = await self._connect(origin, timeouts.connect)
                return await connection.exchange(method, request, timeouts.read)
            try:
                return await connection.exchange(method, request, timeouts.read)
            except (httpx.RemoteProtocolError, httpx.ReadError):
                if not (connection.ended_unanswered and method in IDEMPOTENT_METHODS):
                    raise
            connection = await self._connect(origin, timeouts.connect)
            return await connection.exchange(method, request, timeouts.read)
        except BaseException:
            if connection is not None:
                connection.abort()
            raise
        finally:
            if connection is not None and connection.reusable:
                self._keep(connection)
            self._free_place()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        head = [request.method.encode("ascii"), b" ", url.raw_path, b" HTTP/1.1\r\n"]
        for name, value in request.headers.raw:
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        wire = b"".join(head)
        check_head(wire.decode("latin-1"), len(request.headers.raw))  # byte for byte
        try:
            reply = await self.exchange(
                request.method,
                origin_of(url),
                wire + await request.aread(),
                Timeouts.of(request.extensions.get("timeout", {})),
            )
        except httpx.TransportError as error:
            error.request = request
            raise
        return httpx.Response(
            reply.status,
            headers=reply.headers,
            content=reply.content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reply.reason},
        )

    async def aclose(self) -> None:
        for connection in self._open:
            connection.abort()
        self._open.clear()
        self._idle.clear()
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None

    # --- the pool's places ----------------------------------------------------------------------

    async def _wait_for_place(self, timeout_s: float | None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout_s):
                await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():  # handed a place as it gave up
                self._free_place()
            else:
                waiter.cancel()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if isinstance(error, TimeoutError):
                raise httpx.PoolTimeout("Timed out waiting for a connection") from error
            raise

    def _free_place(self) -> None:
        if self._free is None:
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the place passes straight to the longest waiting
                return
        self._free += 1

    # --- connections ----------------------------------------------------------------------------

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.closed:
                continue
            if self._expiry is not None and (
                connection.idle_since + self._expiry < asyncio.get_running_loop().time()
            ):
                # the newest is past its time, so are the older ones
                for stale in (*idle, connection):
                    stale.abort()
                idle.clear()
                return None
            if connection.spoke_while_idle():
                connection.abort()
                continue
            return connection
        return None

    async def _connect(self, origin: Origin, timeout_s: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = None
        if origin.scheme == "https":
            tls = self._ssl = self._ssl or ssl.create_default_context()
        try:
            async with asyncio.timeout(timeout_s):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self, loop, origin),
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls else None,
                )
        except TimeoutError as error:  # before OSError: a TimeoutError is one
            raise httpx.ConnectTimeout(f"Timed out connecting to {origin.host}") from error
        except OSError as error:  # refused, unreachable, no such host, bad certificate
            raise httpx.ConnectError(f"Cannot connect to {origin.host}: {error}") from error
        return connection

    def _keep(self, connection: _Connection) -> None:
        loop = asyncio.get_running_loop()
        connection.idle_since = loop.time()
        self._idle.setdefault(connection.origin, []).append(connection)
        if self._sweep is None and self._expiry is not None:
            self._sweep = loop.call_at(connection.idle_since + self._expiry, self._expire)

    def _expire(self) -> None:
        """Close what has been idle too long, so sockets do not linger; again while any is idle."""
        self._sweep = None
        assert self._expiry is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() - self._expiry
        oldest: float | None = None
        for idle in self._idle.values():
            while idle and idle[0].idle_since <= deadline:
                idle.pop(0).abort()
            if idle and (oldest is None or idle[0].idle_since < oldest):
                oldest = idle[0].idle_since
        if oldest is not None:
            self._sweep = loop.call_at(oldest + self._expiry, self._expire)

    def _forget(self, connection: _Connection) -> None:
        self._open.discard(connection)
        idle = self._idle.get(connection.origin)
        if idle and connection in idle:
            idle.remove(connection)


class _Connection(asyncio.Protocol):
    """One connection and the exchange in flight on it; httptools calls the ``on_*`` methods."""

    def __init__(
        self, pool: HTTP1Transport, loop: asyncio.AbstractEventLoop, origin: Origin
    ) -> None:
        self.origin = origin
        self._pool = pool
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._poll: select.poll | None = None
        self._parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.reusable = False
        self.answered = False  # a byte of the current answer arrived
        self.ended_unanswered = False  # the server ended the connection before answering
        self._dropped = False  # we ended it
        self.idle_since = 0.0
        self._head_only = False
        self._head_done = False
        self._reply: asyncio.Future[Reply] | None = None
        self._reason = b""
        self._headers: RawHeaders = []
        self._body: list[bytes] = []
        self._read_s: float | None = None
        self._last_read = 0.0
        self._timer: asyncio.TimerHandle | None = None

    async def exchange(self, method: str, request: bytes, read_s: float | None) -> Reply:
        assert self._transport is not None
        self.reusable = False
        self.answered = False
        self._head_only = method == "HEAD"
        self._head_done = False
        self._reason = b""
        self._headers = []
        self._body = []
        reply: asyncio.Future[Reply] = self._loop.create_future()
        self._reply = reply
        self._read_s = read_s
        if read_s is not None:
            self._last_read = self._loop.time()
            self._timer = self._loop.call_at(self._last_read + read_s, self._check_read)
        self._transport.write(request)
        return await reply

    def abort(self) -> None:
        self.reusable = False
        self._dropped = True
        self._stop_timer()
        if not self.closed:
            self.closed = True
            if self._transport is not None:
                self._transport.abort()

    # --- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is none by class
        sock = transport.get_extra_info("socket")
        if sock is not None:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._poll = select.poll()
            self._poll.register(sock.fileno(), select.POLLIN)
        self._pool._open.add(self)

    def spoke_while_idle(self) -> bool:
        """Whether the socket has something to read (the server's close, most likely) that the
        loop has not delivered yet: a new request arriving in the same turn of the loop as the
        server's close would otherwise be written to a closed connection (httpcore checks too)."""
        return self._poll is not None and bool(self._poll.poll(0))

    def data_received(self, data: bytes) -> None:
        if self._reply is None or self._reply.done():
            self.abort()  # an answer to nothing asked: nothing after it can be trusted
            return
        self.answered = True
        if self._read_s is not None:
            self._last_read = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._finish()  # a 101: its head is the answer; the connection is no longer HTTP
        except httptools.HttpParserError as error:
            kind = httpx.ReadError if self._head_done else httpx.RemoteProtocolError
            self._fail(kind(f"Malformed answer: {error}"))

    def eof_received(self) -> bool:
        self.closed = True
        return False  # asyncio closes the transport, then calls connection_lost

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        self._pool._forget(self)
        if self._reply is None or self._reply.done():
            return
        self.ended_unanswered = not self.answered and not self._dropped
        if exc is not None:
            self._fail(httpx.ReadError(str(exc) or type(exc).__name__))
        elif not self._head_done:
            self._fail(httpx.RemoteProtocolError("Server disconnected"))
        elif not any(name.lower() in _FRAMING for name, _ in self._headers):
            self._finish()  # no length, no chunks: the body ends where the connection does
        else:
            self._fail(httpx.ReadError("Response payload is not completed"))

    # --- httptools ------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._reply is None or self._reply.done():
            self.abort()  # more after the answer: nothing after it can be trusted

    def on_status(self, reason: bytes) -> None:
        self._reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._head_done = True
        if self._head_only:
            self._finish()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # informational: the answer follows
            self._head_done = False
            self._reason = b""
            self._headers = []
            return
        self._finish(keep_alive=self._parser.should_keep_alive())

    # --- ends -----------------------------------------------------------------------------------

    def _finish(self, *, keep_alive: bool = False) -> None:
        reply = self._reply
        if reply is None or reply.done():
            return
        self._stop_timer()
        self.reusable = keep_alive and not self.closed and not self._head_only
        if not self.reusable:
            self.abort()
        reply.set_result(
            Reply(self._parser.get_status_code(), self._reason, self._headers, b"".join(self._body))
        )
        self._headers = []  # whatever the parser still reads is not this answer's

    def _fail(self, error: httpx.TransportError) -> None:
        self._stop_timer()
        self.abort()
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(error)

    def _check_read(self) -> None:
        assert self._read_s is not None
        self._timer = None
        due = self._last_read + self._read_s
        if due > self._loop.time():  # a byte came since: the clock restarts from it
            self._timer = self._loop.call_at(due, self._check_read)
        else:
            self._fail(httpx.ReadTimeout("Timed out reading the answer"))

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def check_head(head: str, header_count: int) -> None:
    """Refuse a control character (a CR or LF would split the request) in the request line or a
    header, with aiohttp's ValueError: a caller's bug, not the upstream's failure."""
    lines = header_count + 2  # the request line, the headers, the empty line
    if head.count("\r\n") != lines or _FORBIDDEN.search(head.replace("\r\n", "")):
        raise ValueError(
            "Forbidden control character detected in headers. Potential header injection attack."
        )
