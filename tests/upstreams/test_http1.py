"""The HTTP/1.1 transport over real sockets: keep-alive and its ends, the pool's bound and its
queue, timeouts, bodies of every framing, odd and broken answers, cancellation, https.

A raw TCP server on 127.0.0.1 numbers its connections and answers each request by the last
segment of its path; the default answer's body is the number of the connection that served it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import ssl
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.upstreams.http1 import HTTP1Transport
from gateway.upstreams.lane import direct_requests
from tests.support.servers import read_request


def _answer(body: bytes, *headers: str, status: str = "HTTP/1.1 200 OK") -> bytes:
    head = [status, *headers, f"Content-Length: {len(body)}"]
    return "\r\n".join([*head, "", ""]).encode() + body


Writer = asyncio.StreamWriter


@dataclass
class Connection:
    number: int
    socket: Any
    requests: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class ScriptServer:
    url: str = ""
    port: int = 0
    connections: list[Connection] = field(default_factory=list)
    received: list[tuple[int, bytes]] = field(default_factory=list)  # (connection, head + body)
    in_flight: int = 0
    most_in_flight: int = 0
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        self.tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        connection = Connection(len(self.connections) + 1, writer.get_extra_info("socket"))
        self.connections.append(connection)
        try:
            while True:
                head, body = await read_request(reader)
                connection.requests += 1
                self.received.append((connection.number, head + body))
                method, target = head.split(b" ")[:2]
                kind = target.decode().split("?")[0].rsplit("/", 1)[-1]
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                try:
                    keep_going = await self.act(kind, method, connection, reader, writer)
                finally:
                    self.in_flight -= 1
                if not keep_going:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            connection.closed.set()
            writer.close()

    async def act(
        self,
        kind: str,
        method: bytes,
        connection: Connection,
        reader: asyncio.StreamReader,
        writer: Writer,
    ) -> bool:
        number = str(connection.number).encode()
        match kind:
            case "slow":
                await asyncio.sleep(0.1)
            case "stall":
                return await _until_closed(reader)
            case "hang-up":
                return False
            case "stale":  # the server closed it as the client sent: only a first request is read
                if connection.requests > 1:
                    return False
            case "close":  # says it will close, yet keeps the socket open: not to be reused
                writer.write(_answer(number, "Connection: close"))
                return True
            case "http10":
                writer.write(_answer(number, status="HTTP/1.0 200 OK"))
                return True
            case "then-close":
                writer.write(_answer(number))
                await writer.drain()
                return False
            case "drip":  # a byte every 0.1 s: longer in all than the read timeout
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
                for byte in b"drips":
                    await asyncio.sleep(0.1)
                    writer.write(bytes([byte]))
                return True
            case "head-then-stall":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
                return await _until_closed(reader)
            case "cut-head":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Le")
                return False
            case "cut-body":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                return False
            case "reset":
                linger = struct.pack("ii", 1, 0)  # closing sends a reset, not an end
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                writer.transport.abort()
                return False
            case "garbage":
                writer.write(b"NOT HTTP AT ALL\r\n\r\n")
                return True
            case "bad-chunk":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n")
                return True
            case "chunked":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                )
                return True
            case "until-close":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
                await writer.drain()
                return False
            case "no-content":
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                return True
            case "not-modified":  # the length of what would have been sent; no body follows
                writer.write(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")
                return True
            case "continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                writer.write(_answer(b"after", status="HTTP/1.1 201 Created"))
                return True
            case "head" if method == b"HEAD":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
                return True
            case "chatty":  # an answer, then bytes nobody asked for
                writer.write(_answer(number))
                await asyncio.sleep(0.05)
                writer.write(_answer(b"unasked"))
                return True
        writer.write(_answer(number))
        return True


async def _until_closed(reader: asyncio.StreamReader) -> bool:
    """Answers nothing until the client closes the connection (or ten seconds pass)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reader.read(), 10)
    return False


@pytest.fixture
async def server() -> AsyncIterator[ScriptServer]:
    script = ScriptServer()
    listening = await asyncio.start_server(script.handle, "127.0.0.1", 0)
    script.port = listening.sockets[0].getsockname()[1]
    script.url = f"http://127.0.0.1:{script.port}"
    async with listening:
        yield script
        listening.close()
        for task in script.tasks:
            task.cancel()


def _client(
    base_url: str, *, read_s: float = 5.0, pool_s: float = 5.0, **limits: Any
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(read_s, connect=2.0, pool=pool_s),
        transport=HTTP1Transport(httpx.Limits(**{"max_connections": 4, **limits})),
    )


async def _served_by(client: httpx.AsyncClient, path: str = "/json") -> int:
    response = await client.get(path)
    assert response.status_code == 200
    return int(response.content)


async def _failure(call: Callable[[], Awaitable[Any]]) -> type[BaseException]:
    try:
        await call()
    except Exception as error:
        return type(error)
    raise AssertionError("the call did not fail")


# --- keep-alive ---------------------------------------------------------------------------------


async def test_connections_are_kept_alive_and_the_newest_idle_one_is_used_first(
    server: ScriptServer,
) -> None:
    async with _client(server.url) as client:
        assert {await _served_by(client) for _ in range(5)} == {1}
        # two at once need two connections; the slow one comes back last, so is used next
        slow, fast = await asyncio.gather(_served_by(client, "/slow"), _served_by(client))
        assert (slow, fast) == (1, 2)
        assert await _served_by(client) == 1
    assert len(server.connections) == 2


async def test_an_idle_connection_expires(server: ScriptServer) -> None:
    async with _client(server.url, keepalive_expiry=0.1) as client:
        assert await _served_by(client) == 1
        await asyncio.wait_for(server.connections[0].closed.wait(), 1)  # closed while idle
        assert await _served_by(client) == 2


async def test_an_expired_connection_is_not_used_even_before_it_is_swept(
    server: ScriptServer,
) -> None:
    async with _client(server.url, keepalive_expiry=0.1) as client:
        assert await _served_by(client) == 1
        transport = client._transport
        assert isinstance(transport, HTTP1Transport)
        (connection,) = transport._open
        connection.idle_since -= 1  # as if idle for a second
        assert await _served_by(client) == 2
        await asyncio.wait_for(server.connections[0].closed.wait(), 1)


@pytest.mark.parametrize("path", ["/close", "/http10"])
async def test_an_answer_that_ends_the_connection_ends_it(server: ScriptServer, path: str) -> None:
    async with _client(server.url) as client:
        assert await _served_by(client, path) == 1
        await asyncio.wait_for(server.connections[0].closed.wait(), 1)  # closed by the client
        assert await _served_by(client) == 2


async def test_a_connection_the_server_closed_while_idle_is_not_reused(
    server: ScriptServer,
) -> None:
    async with _client(server.url) as client:
        assert await _served_by(client, "/then-close") == 1
        await asyncio.wait_for(server.connections[0].closed.wait(), 1)
        await asyncio.sleep(0.01)  # the client reads the end of the connection
        assert await _served_by(client) == 2
    assert server.connections[0].requests == 1


async def test_a_close_the_loop_has_not_delivered_yet_is_seen_before_reuse(
    server: ScriptServer,
) -> None:
    async with _client(server.url) as client:
        assert await _served_by(client) == 1
        # the server ends the idle connection while the loop is busy elsewhere: the next request
        # comes in the same turn, before the protocol hears of the close
        server.connections[0].socket.shutdown(socket.SHUT_WR)
        time.sleep(0.05)  # noqa: ASYNC251
        assert int((await client.post("/json")).content) == 2  # a POST is not tried twice
    assert [number for number, _ in server.received] == [1, 2]


async def test_a_stale_pooled_connection_is_tried_again_once_for_an_idempotent_request(
    server: ScriptServer,
) -> None:
    async with _client(server.url) as client:
        assert await _served_by(client) == 1
        assert await _served_by(client, "/stale") == 2  # the first connection closed unanswered
        assert [number for number, _ in server.received] == [1, 1, 2]


async def test_a_stale_pooled_connection_fails_a_post_without_sending_it_again(
    server: ScriptServer,
) -> None:
    async with _client(server.url) as client:
        assert await _served_by(client) == 1
        assert await _failure(lambda: client.post("/stale")) is httpx.RemoteProtocolError
        lane = direct_requests(client)
        assert lane is not None
        assert await _served_by(client) == 2
        assert await _failure(lambda: lane.request("POST", "/stale")) is httpx.RemoteProtocolError
    assert len(server.received) == 4


async def test_a_new_connection_closed_unanswered_is_not_tried_again(server: ScriptServer) -> None:
    async with _client(server.url) as client:
        assert await _failure(lambda: client.get("/hang-up")) is httpx.RemoteProtocolError
    assert len(server.received) == 1


async def test_bytes_nobody_asked_for_end_the_connection(server: ScriptServer) -> None:
    async with _client(server.url) as client:
        assert await _served_by(client, "/chatty") == 1
        await asyncio.wait_for(server.connections[0].closed.wait(), 1)
        assert await _served_by(client) == 2


# --- the pool's bound ---------------------------------------------------------------------------


async def test_requests_beyond_the_bound_wait_their_turn_in_order(server: ScriptServer) -> None:
    async with _client(server.url, max_connections=2) as client:
        answers = await asyncio.gather(*(client.get(f"/slow?n={n}") for n in range(6)))
    assert all(answer.status_code == 200 for answer in answers)
    assert server.most_in_flight == 2
    assert len(server.connections) == 2
    order = [head.split(b" ")[1].split(b"=")[1] for _, head in server.received]
    assert order == [str(n).encode() for n in range(6)]


async def test_waiting_longer_than_the_pool_timeout_is_a_pool_timeout(
    server: ScriptServer,
) -> None:
    async with _client(server.url, max_connections=1, pool_s=0.1) as client:
        stalled = asyncio.create_task(client.get("/stall"))
        await asyncio.sleep(0.05)
        assert await _failure(lambda: client.get("/json")) is httpx.PoolTimeout
        stalled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stalled
        assert await _served_by(client) == 2  # the cancelled request gave its place back


async def test_a_cancelled_request_closes_its_connection_and_frees_its_place(
    server: ScriptServer,
) -> None:
    async with _client(server.url, max_connections=1) as client:
        stalled = asyncio.create_task(client.get("/stall"))
        waiting = asyncio.create_task(client.get("/json"))
        await asyncio.sleep(0.05)
        stalled.cancel()
        await asyncio.wait_for(server.connections[0].closed.wait(), 1)
        assert int((await asyncio.wait_for(waiting, 1)).content) == 2
        transport = client._transport
        assert isinstance(transport, HTTP1Transport)
        assert transport._free == 1 and not transport._waiters


async def test_a_cancelled_wait_for_a_place_takes_none(server: ScriptServer) -> None:
    async with _client(server.url, max_connections=1) as client:
        slow = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.01)
        waiting = asyncio.create_task(client.get("/json"))
        await asyncio.sleep(0.01)
        waiting.cancel()
        assert (await slow).status_code == 200
        assert await _served_by(client) == 1
        transport = client._transport
        assert isinstance(transport, HTTP1Transport)
        assert transport._free == 1 and not transport._waiters


# --- timeouts and failures ----------------------------------------------------------------------


async def test_a_connection_not_accepted_in_time_is_a_connect_timeout() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(0)
        port = listening.getsockname()[1]
        loop = asyncio.get_running_loop()
        filled = []
        for _ in range(8):  # fill the accept queue until a connection attempt hangs
            try:
                async with asyncio.timeout(0.2):
                    filled.append(await loop.create_connection(asyncio.Protocol, "127.0.0.1", port))
            except TimeoutError:
                break
        else:
            pytest.skip("the accept queue never filled")
        client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=httpx.Timeout(5.0, connect=0.2),
            transport=HTTP1Transport(httpx.Limits()),
        )
        async with client:
            assert await _failure(lambda: client.get("/x")) is httpx.ConnectTimeout
        for transport, _ in filled:
            transport.close()


async def test_the_read_timeout_restarts_with_every_byte(server: ScriptServer) -> None:
    async with _client(server.url, read_s=0.25) as client:
        assert (await client.get("/drip")).content == b"drips"  # 0.5 s in all
        assert await _failure(lambda: client.get("/head-then-stall")) is httpx.ReadTimeout
        assert await _failure(lambda: client.get("/stall")) is httpx.ReadTimeout
    # the drip's connection served the next, which timed out: it is not reused
    assert [number for number, _ in server.received] == [1, 1, 2]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/hang-up", httpx.RemoteProtocolError),
        ("/cut-head", httpx.RemoteProtocolError),
        ("/garbage", httpx.RemoteProtocolError),
        ("/cut-body", httpx.ReadError),
        ("/bad-chunk", httpx.ReadError),
        ("/reset", httpx.ReadError),
    ],
)
async def test_broken_answers_are_the_errors_the_aiohttp_transport_gave(
    server: ScriptServer, path: str, expected: type[httpx.TransportError]
) -> None:
    async with _client(server.url) as client:
        lane = direct_requests(client)
        assert lane is not None
        for call in (lambda: client.get(path), lambda: lane.request("GET", path)):
            try:
                await call()
            except httpx.TransportError as error:
                assert type(error) is expected
                assert error.request.url.path == path  # httpx's errors say what they were for
            else:
                raise AssertionError(f"{path} did not fail")
        assert await _served_by(client) == len(server.connections)  # and all is well after


async def test_a_header_that_would_split_the_request_is_refused(server: ScriptServer) -> None:
    async with _client(server.url) as client:
        lane = direct_requests(client)
        assert lane is not None
        for value in ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b"]:
            with pytest.raises(ValueError, match="Forbidden control character"):
                await lane.request("GET", "/json", headers={"X-Ok": value})
            with pytest.raises(ValueError, match="Forbidden control character"):
                await client.get("/json", headers={"X-Ok": value})
        assert (await lane.request("GET", "/json", headers={"X-Ok": "a\tb"})).status_code == 200
    assert len(server.received) == 1


# --- bodies -------------------------------------------------------------------------------------


async def test_bodies_of_every_framing(server: ScriptServer) -> None:
    async with _client(server.url) as client:
        assert (await client.get("/chunked")).content == b"abcde"
        assert await _served_by(client) == 1  # reused after a chunked answer
        until_close = await client.get("/until-close")
        assert until_close.content == b"all of it"
        assert await _served_by(client) == 2
        no_content = await client.get("/no-content")
        assert (no_content.status_code, no_content.content) == (204, b"")
        not_modified = await client.get("/not-modified")
        assert (not_modified.status_code, not_modified.content) == (304, b"")
        assert await _served_by(client) == 2  # nothing read as a body after either
        after_continue = await client.get("/continue")
        assert (after_continue.status_code, after_continue.content) == (201, b"after")
        head = await client.head("/head")
        assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "5")
        assert await _served_by(client) == 3  # a HEAD answer's connection is not reused
    assert len(server.connections) == 3


async def test_a_large_body_arrives_whole(server: ScriptServer) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB, many reads

    async def big(
        kind: str,
        method: bytes,
        connection: Connection,
        reader: asyncio.StreamReader,
        writer: Writer,
    ) -> bool:
        writer.write(_answer(body))
        return True

    server.act = big  # type: ignore[method-assign]
    async with _client(server.url) as client:
        assert (await client.get("/big")).content == body
        lane = direct_requests(client)
        assert lane is not None
        assert (await lane.request("GET", "/big")).content == body
    assert len(server.connections) == 1


# --- closing ------------------------------------------------------------------------------------


async def test_closing_closes_every_connection(server: ScriptServer) -> None:
    client = _client(server.url)
    await asyncio.gather(_served_by(client, "/slow"), _served_by(client))
    stalled = asyncio.create_task(client.get("/stall"))
    await asyncio.sleep(0.05)
    await client.aclose()
    assert await _failure(lambda: stalled) is httpx.RemoteProtocolError
    assert len(server.connections) == 2  # one idle, one in flight: both closed
    for connection in server.connections:
        await asyncio.wait_for(connection.closed.wait(), 1)


# --- https --------------------------------------------------------------------------------------


def _self_signed(directory: Path) -> tuple[Path, Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file, pem


async def test_https_checks_the_certificate_for_the_host_it_names(
    server: ScriptServer, tmp_path: Path
) -> None:
    cert_file, key_file, pem = _self_signed(tmp_path)
    names: list[str | None] = []
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert_file, key_file)
    server_side.sni_callback = lambda sock, name, context: names.append(name)
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=server_side)
    port = listening.sockets[0].getsockname()[1]
    trusting = ssl.create_default_context(cadata=pem.decode())
    async with listening:
        transport = HTTP1Transport(httpx.Limits(), ssl_context=trusting)
        async with httpx.AsyncClient(
            base_url=f"https://localhost:{port}", transport=transport
        ) as client:
            assert await _served_by(client) == 1
            assert await _served_by(client) == 1  # kept alive over TLS too
            lane = direct_requests(client)
            assert lane is not None
            assert int((await lane.request("GET", "/json")).content) == 1
        assert names == ["localhost"]  # the host name went out for SNI
        # the default context trusts the system's authorities, not a self-signed certificate
        async with httpx.AsyncClient(
            base_url=f"https://localhost:{port}", transport=HTTP1Transport()
        ) as client:
            assert await _failure(lambda: client.get("/json")) is httpx.ConnectError
        # nor does a certificate for one name pass for another
        async with httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{port}",
            transport=HTTP1Transport(ssl_context=trusting),
        ) as client:
            assert await _failure(lambda: client.get("/json")) is httpx.ConnectError
        listening.close()
