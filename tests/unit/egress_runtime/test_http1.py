"""provider-egress's upstream HTTP/1.1 client (`http1.HttpPool`) against scripted servers on
loopback: answer framings, compression, keep-alive reuse and its limits, a stale pooled
connection, failures named by kind, TLS, and no header surviving its own request."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import trustme

from hicap.provider_egress.http1 import (
    BadHeader,
    ConnectFailed,
    ConnectionBroken,
    HttpPool,
)

Script = Callable[["Peer"], Awaitable[None]]


@dataclass
class Server:
    url: str
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)  # each request's head, in order


@dataclass
class Peer:
    """One accepted connection as the script sees it."""

    server: Server
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    index: int  # 0 for the first connection the server accepted

    async def request(self) -> bytes | None:
        """The next request's head (its body is read and dropped); None at EOF."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        self.server.requests.append(head)
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await self.reader.readexactly(int(line.split(b":")[1]))
        return head

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script, tls: ssl.SSLContext | None = None) -> Server:
        state = Server("")

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            index = state.connections
            state.connections += 1
            try:
                await script(Peer(state, reader, writer, index))
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        state.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1/chat/completions"
        return state

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def pool() -> AsyncIterator[HttpPool]:
    client = HttpPool(connect_timeout_s=2.0)
    yield client
    await client.close()


@pytest.fixture
async def pool_of_one() -> AsyncIterator[HttpPool]:
    """At most one connection per origin: the next caller waits for it."""
    client = HttpPool(connect_timeout_s=2.0, limit_per_host=1)
    yield client
    await client.close()


def answer(body: bytes, *extra: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"content-length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def keep_answering(peer: Peer) -> None:
    while await peer.request() is not None:
        await peer.send(answer(b'{"ok": true}', "content-type: application/json"))


async def test_keep_alive_answers_reuse_one_connection(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    server = await serve(keep_answering)
    for _ in range(3):
        resp = await pool.post(server.url, {"content-type": "application/json"}, b"{}")
        assert resp.status == 200
        assert resp.headers["content-type"] == "application/json"
        assert await resp.read() == b'{"ok": true}'
    assert server.connections == 1
    assert pool.connections(server.url) == (1, 1)
    assert server.requests[0].startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert b"\r\ncontent-length: 2\r\n" in server.requests[0]


async def test_a_chunked_stream_is_read_chunk_by_chunk_as_it_arrives(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    first_read = asyncio.Event()

    async def script(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        await peer.send(b"7\r\ndata: 1\r\n")
        await first_read.wait()  # the second chunk only once the client has the first
        await peer.send(b"7\r\ndata: 2\r\n0\r\n\r\n")
        await keep_answering(peer)

    server = await serve(script)
    resp = await pool.post(server.url, {}, b"{}")
    assert await resp.read_chunk() == b"data: 1"
    first_read.set()
    assert await resp.read_chunk() == b"data: 2"
    assert await resp.read_chunk() == b""
    resp.release()
    assert await (await pool.post(server.url, {}, b"{}")).read() == b'{"ok": true}'
    assert server.connections == 1  # a whole chunked answer leaves the connection reusable


async def test_an_answer_that_ends_at_the_close_is_whole_and_its_connection_not_reused(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it")

    server = await serve(script)
    assert await (await pool.post(server.url, {}, b"{}")).read() == b"all of it"
    assert await (await pool.post(server.url, {}, b"{}")).read() == b"all of it"
    assert server.connections == 2
    assert pool.connections(server.url) == (0, 0)


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ],
    ids=["gzip", "deflate", "raw-deflate"],
)
async def test_compressed_answers_are_decoded(
    serve: Callable[..., Awaitable[Server]],
    pool: HttpPool,
    coding: str,
    encode: Callable[[bytes], bytes],
) -> None:
    plain = b'{"choices": []}' * 50

    async def script(peer: Peer) -> None:
        head = await peer.request()
        assert head is not None and b"\r\naccept-encoding: gzip, deflate\r\n" in head
        await peer.send(answer(encode(plain), f"content-encoding: {coding}"))

    server = await serve(script)
    assert await (await pool.post(server.url, {}, b"{}")).read() == plain


async def test_a_connection_closed_mid_answer_is_a_broken_answer_and_is_dropped(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b")

    server = await serve(script)
    resp = await pool.post(server.url, {}, b"{}")
    with pytest.raises(ConnectionBroken, match="closed mid-answer"):
        await resp.read()
    assert pool.connections(server.url) == (0, 0)


async def test_a_pooled_connection_the_server_closed_is_retried_once_on_a_new_one(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.request()
            await peer.send(answer(b"first"))
            await peer.request()  # the race: it closes as the next request arrives
            peer.writer.transport.abort()
            return
        await keep_answering(peer)

    server = await serve(script)
    assert await (await pool.post(server.url, {}, b"{}")).read() == b"first"
    assert await (await pool.post(server.url, {}, b"{}")).read() == b'{"ok": true}'
    assert server.connections == 2


async def test_a_new_connection_closed_before_the_answer_is_not_retried(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.request()
        peer.writer.transport.abort()

    server = await serve(script)
    with pytest.raises(ConnectionBroken):
        await pool.post(server.url, {}, b"{}")
    assert server.connections == 1


async def test_an_idle_connection_the_server_closes_leaves_the_pool(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.request()
        await peer.send(answer(b"bye"))

    server = await serve(script)
    assert await (await pool.post(server.url, {}, b"{}")).read() == b"bye"
    for _ in range(100):
        if pool.connections(server.url) == (0, 0):
            break
        await asyncio.sleep(0.01)
    assert pool.connections(server.url) == (0, 0)


async def test_one_requests_headers_never_reach_the_next_on_the_same_connection(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    server = await serve(keep_answering)
    await (await pool.post(server.url, {"authorization": "Bearer sk-byok-one"}, b"{}")).read()
    await (await pool.post(server.url, {"x-api-key": "sk-ant-two"}, b"{}")).read()
    assert server.connections == 1
    first, second = server.requests
    assert b"sk-byok-one" in first and b"sk-ant-two" not in first
    assert b"sk-ant-two" in second and b"sk-byok-one" not in second


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": "Bearer sk-x\r\nx-injected: 1"},
        {"x-api-key": "sk-ant-\nx"},
        {"x-api-key": "sk-\x00"},
        {"bad name": "v"},
        {"x-api-key": "sk-\u2603"},
    ],
    ids=["crlf", "lf", "nul", "name", "not-latin-1"],
)
async def test_a_header_http_cannot_carry_is_refused_before_anything_is_sent(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool, headers: dict[str, str]
) -> None:
    server = await serve(keep_answering)
    with pytest.raises(BadHeader) as caught:
        await pool.post(server.url, headers, b"{}")
    assert "sk-" not in str(caught.value)  # the value is never in the message
    assert server.connections == 0


async def test_past_the_limit_per_host_a_caller_waits_for_a_connection_to_free(
    serve: Callable[..., Awaitable[Server]], pool_of_one: HttpPool
) -> None:
    server = await serve(keep_answering)
    first = await pool_of_one.post(server.url, {}, b"{}")
    second = asyncio.create_task(pool_of_one.post(server.url, {}, b"{}"))
    await asyncio.sleep(0.05)
    assert not second.done()  # the only connection is still the first answer's
    assert await first.read() == b'{"ok": true}'
    assert await (await asyncio.wait_for(second, 2)).read() == b'{"ok": true}'
    assert server.connections == 1


async def test_a_call_cancelled_mid_answer_frees_its_slot(
    serve: Callable[..., Awaitable[Server]], pool_of_one: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.request()
            await asyncio.sleep(30)  # never answers
            return
        await keep_answering(peer)

    server = await serve(script)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await pool_of_one.post(server.url, {}, b"{}")
    resp = await asyncio.wait_for(pool_of_one.post(server.url, {}, b"{}"), 2)
    assert await resp.read() == b'{"ok": true}'
    assert server.connections == 2


async def test_an_informational_answer_is_skipped(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n" + answer(b"real"))

    server = await serve(script)
    resp = await pool.post(server.url, {}, b"{}")
    assert resp.status == 200 and "link" not in resp.headers
    assert await resp.read() == b"real"


async def test_an_error_answer_has_its_status_headers_and_body(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.request()
        body = b'{"error": {"type": "rate_limit_error"}}'
        await peer.send(answer(body, "Retry-After: 7", status="429 Too Many Requests"))

    server = await serve(script)
    resp = await pool.post(server.url, {}, b"{}")
    assert resp.status == 429 and resp.headers["retry-after"] == "7"
    assert b"rate_limit_error" in await resp.read()


async def test_malformed_http_is_a_broken_answer(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"SMTP ready\r\n\r\n")

    server = await serve(script)
    with pytest.raises(ConnectionBroken, match="not valid HTTP"):
        await pool.post(server.url, {}, b"{}")


async def test_nobody_listening_is_a_connect_failure(pool: HttpPool) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(ConnectFailed, match="could not connect"):
        await pool.post(f"http://127.0.0.1:{port}/v1/messages", {}, b"{}")


async def test_https_with_a_trusted_certificate_and_refused_with_an_unknown_one(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    server = await serve(keep_answering, server_tls)
    assert server.url.startswith("https://")

    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    pool = HttpPool(connect_timeout_s=2.0, ssl_context=trusting)
    system = HttpPool(connect_timeout_s=2.0)  # the system's trust store knows no such CA
    try:
        assert await (await pool.post(server.url, {}, b"{}")).read() == b'{"ok": true}'
        with pytest.raises(ConnectFailed, match="TLS"):
            await system.post(server.url, {}, b"{}")
    finally:
        await pool.close()
        await system.close()


async def test_a_large_answer_read_late_arrives_whole(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    body = bytes(range(256)) * (3 * 4096)  # 3 MiB: past the point where reading pauses

    async def script(peer: Peer) -> None:
        await peer.request()
        await peer.send(answer(body))
        await keep_answering(peer)

    server = await serve(script)
    resp = await pool.post(server.url, {}, b"{}")
    await asyncio.sleep(0.2)  # the client reads nothing for a while
    assert await resp.read() == body
    assert await (await pool.post(server.url, {}, b"{}")).read() == b'{"ok": true}'
    assert server.connections == 1


async def test_a_waiting_caller_that_gives_up_keeps_no_slot(
    serve: Callable[..., Awaitable[Server]], pool_of_one: HttpPool
) -> None:
    server = await serve(keep_answering)
    first = await pool_of_one.post(server.url, {}, b"{}")
    waiting = asyncio.create_task(pool_of_one.post(server.url, {}, b"{}"))
    await asyncio.sleep(0.05)
    waiting.cancel()
    first.close()  # the connection closes while the cancelled caller is still queued
    with pytest.raises(asyncio.CancelledError):
        await waiting
    resp = await asyncio.wait_for(pool_of_one.post(server.url, {}, b"{}"), 2)
    assert await resp.read() == b'{"ok": true}'
    assert pool_of_one.connections(server.url) == (1, 1)


async def test_bytes_past_the_end_of_an_answer_spoil_the_connection_not_the_answer(
    serve: Callable[..., Awaitable[Server]], pool: HttpPool
) -> None:
    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.request()
            await peer.send(answer(b"mine") + answer(b"nobody asked"))
        await keep_answering(peer)

    server = await serve(script)
    assert await (await pool.post(server.url, {}, b"{}")).read() == b"mine"
    assert await (await pool.post(server.url, {}, b"{}")).read() == b'{"ok": true}'
    assert server.connections == 2  # the spoilt connection was not reused


async def test_idle_connections_past_their_keepalive_are_closed(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    now = [0.0]
    server = await serve(keep_answering)
    pool = HttpPool(connect_timeout_s=2.0, keepalive_s=15.0, clock=lambda: now[0])
    try:
        first = await pool.post(server.url, {}, b"{}")
        second = await pool.post(server.url, {}, b"{}")
        await first.read()
        assert pool.connections(server.url) == (2, 1)
        now[0] = 20.0  # the first has idled past its keep-alive
        await second.read()
        assert pool.connections(server.url) == (1, 1)
        now[0] = 40.0
        assert await (await pool.post(server.url, {}, b"{}")).read() == b'{"ok": true}'
        assert server.connections == 3  # an expired connection is never reused
    finally:
        await pool.close()


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/v1/messages", "/v1/messages", "http://127.0.0.1:99999/v1"]
)
async def test_an_unusable_url_is_a_connect_failure(pool: HttpPool, url: str) -> None:
    with pytest.raises(ConnectFailed, match="could not connect"):
        await pool.post(url, {}, b"{}")
