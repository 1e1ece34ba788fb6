"""provider-egress's upstream HTTP/1.1 client: a keep-alive pool per origin, one asyncio
protocol per connection, answers parsed by httptools (llhttp, the parser uvicorn uses).

It replaced aiohttp on the hot path, where aiohttp's own Python was about a quarter of
egress's CPU per call (see `make bench ARGS=upstream-client`). It speaks exactly what
upstream calls need: a POST with a bytes body; answers with a Content-Length, chunked or
ending at close; gzip and deflate bodies (it asks for them, as aiohttp did); TLS with the
system's trust store and SNI; at most `limit_per_host` connections per origin, callers
past that waiting in turn. An idle connection is dropped when its server closes it or
after `keepalive_s`; a request whose reused connection turns out to be closed before any
byte of the answer is sent again once on a new one (the server closed it while idle, so it
never saw the request). No redirects, cookies, proxies or HTTP/2.

A request's headers exist only in the bytes written for it: nothing is kept per
connection or per pool, so a BYOK key never rides along with another request. Header
names and values are checked (a line break would let a value smuggle headers in).
Errors name the kind of failure, never a header or the URL.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit

import httptools

__all__ = [
    "BadHeader",
    "ConnectFailed",
    "ConnectionBroken",
    "HttpError",
    "HttpPool",
    "Response",
]

_PAUSE_AT, _RESUME_AT = 1 << 20, 1 << 18  # bytes buffered in a response and not yet read
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\x00]")


class HttpError(Exception):
    """A failure of the connection or the exchange; its text never carries a header or URL."""


class ConnectFailed(HttpError):
    """No connection: refused, unreachable, timed out, or the TLS handshake failed."""


class ConnectionBroken(HttpError):
    """The connection closed, reset or spoke malformed HTTP before the answer was whole."""


class BadHeader(ValueError):
    """A request header that HTTP cannot carry (the text never includes the value)."""


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int
    authority: str  # the Host header


@lru_cache(maxsize=4096)
def _split(url: str) -> tuple[_Origin, str]:
    """The origin and request target; an unusable URL (an operator's base URL) cannot connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConnectFailed("could not connect (the URL is malformed)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectFailed("could not connect (the URL is not absolute http or https)")
    default = 443 if parts.scheme == "https" else 80
    port = port or default
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    authority = shown if port == default else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Origin(parts.scheme, host, port, authority), target


def _request_head(
    target: str, authority: str, headers: Mapping[str, str], length: int, user_agent: str
) -> bytes:
    lines = [f"POST {target} HTTP/1.1", f"host: {authority}"]
    given = set()
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise BadHeader("a request header's name is not an HTTP token")
        if _FORBIDDEN_IN_VALUE.search(value):
            raise BadHeader(f"the value of request header {name!r} holds a line break or NUL")
        lowered = name.lower()
        if lowered in ("host", "content-length", "transfer-encoding", "connection"):
            continue  # the client's own
        given.add(lowered)
        lines.append(f"{name}: {value}")
    if "accept-encoding" not in given:
        lines.append("accept-encoding: gzip, deflate")
    if "user-agent" not in given:
        lines.append(f"user-agent: {user_agent}")
    lines.append(f"content-length: {length}")
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        raise BadHeader("a request header holds a character outside Latin-1") from None


class _Inflate:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), chunk by chunk."""

    __slots__ = ("_raw_tried", "_z")

    def __init__(self, coding: str) -> None:
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if "gzip" in coding else zlib.MAX_WBITS)
        self._raw_tried = "gzip" in coding

    def feed(self, data: bytes) -> bytes:
        try:
            return self._z.decompress(data)
        except zlib.error:
            if self._raw_tried:
                raise
            self._raw_tried = True  # deflate without the zlib wrapper
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._z.decompress(data)

    def close(self) -> bytes:
        return self._z.flush()


class Response:
    """A 2xx-or-not answer whose head has arrived; the body is read with `read_chunk()` (what
    has arrived, at least one byte; `b""` at the end) or `read()`. `release()` gives a whole,
    reusable connection back to the pool and closes any other; `close()` always closes."""

    __slots__ = (
        "_buffered",
        "_chunks",
        "_conn",
        "_done",
        "_error",
        "_inflate",
        "_waiter",
        "headers",
        "status",
    )

    def __init__(self, conn: _Conn, status: int, headers: dict[str, str]) -> None:
        self._conn: _Conn | None = conn
        self.status, self.headers = status, headers
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._done = False
        self._error: HttpError | None = None
        self._waiter: asyncio.Future[None] | None = None
        coding = headers.get("content-encoding", "").lower()
        self._inflate = _Inflate(coding) if coding in ("gzip", "x-gzip", "deflate") else None

    @property
    def complete(self) -> bool:
        return self._done and self._error is None

    async def read_chunk(self) -> bytes:
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self._done:
                return b""
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        chunks = self._chunks
        if len(chunks) == 1:
            chunk = chunks.popleft()
        else:
            chunk = b"".join(chunks)
            chunks.clear()
        self._buffered = 0
        if self._conn is not None:
            self._conn.drained()
        return chunk

    async def read(self) -> bytes:
        """The whole body, then the connection goes back to the pool."""
        parts = []
        while chunk := await self.read_chunk():
            parts.append(chunk)
        self.release()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.finish(reuse=self.complete)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.finish(reuse=False)

    # fed by the connection
    def _feed(self, data: bytes) -> None:
        if self._inflate is not None:
            try:
                data = self._inflate.feed(data)
            except zlib.error:
                self._fail(ConnectionBroken("the answer's compressed body is corrupt"))
                return
            if not data:
                return
        self._chunks.append(data)
        self._buffered += len(data)
        self._wake()

    def _end(self) -> None:
        if self._inflate is not None:
            try:
                tail = self._inflate.close()
            except zlib.error:
                self._fail(ConnectionBroken("the answer's compressed body is corrupt"))
                return
            if tail:
                self._chunks.append(tail)
        self._done = True
        self._wake()

    def _fail(self, error: HttpError) -> None:
        if not self._done:
            self._done, self._error = True, error
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _Conn(asyncio.Protocol):
    """One connection: at most one exchange at a time, in the order HTTP/1.1 allows."""

    def __init__(self, host: _Host) -> None:
        self.host = host
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.uses = 0
        self.idle_since = 0.0
        self.got_bytes = False  # of the current exchange's answer
        self.paused = False
        self._head: asyncio.Future[Response] | None = None
        self._response: Response | None = None
        self._status = 0
        self._headers: dict[str, str] = {}
        self._framed = False  # Content-Length or chunked: the end does not need the close
        self._keep_alive = False
        self._message_done = False

    # the exchange
    async def exchange(self, data: bytes) -> Response:
        self.uses += 1
        transport = self.transport
        if self.closed or transport is None:
            raise ConnectionBroken("the connection closed")
        self.got_bytes = self._message_done = self._keep_alive = False
        self._status, self._headers, self._response = 0, {}, None
        head: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._head = head
        transport.write(data)
        try:
            return await head
        finally:
            self._head = None

    def finish(self, *, reuse: bool) -> None:
        """The caller is done with the answer: back to the pool if it can carry another."""
        self._response = None
        if reuse and self._message_done and self._keep_alive and not self.closed:
            self.host.release(self)
        else:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            self.host.dropped(self)

    def drained(self) -> None:
        if self.paused and self.transport is not None and not self.closed:
            self.paused = False
            self.transport.resume_reading()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._message_done or (self._head is None and self._response is None):
            self._broken(ConnectionBroken("the server sent bytes nobody asked for"))
            return
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._broken(ConnectionBroken("the server's answer is not valid HTTP/1.1"))
            return
        response, transport = self._response, self.transport
        backlog = response._buffered if response is not None else 0
        if backlog > _PAUSE_AT and transport is not None and not self.paused:
            self.paused = True
            transport.pause_reading()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        response = self._response
        if response is not None and not self._message_done:
            if self._status and not self._framed:  # the body ends at the close
                self._message_done = True
                response._end()
            else:
                response._fail(ConnectionBroken("the connection closed mid-answer"))
        head = self._head
        if head is not None and not head.done():
            head.set_exception(ConnectionBroken("the connection closed before the answer"))
        if not self.closed:
            self.closed = True
            self.host.dropped(self)

    def _broken(self, error: HttpError) -> None:
        head = self._head
        if head is not None and not head.done():
            head.set_exception(error)
        if self._response is not None:
            self._response._fail(error)
        self.close()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers = self._headers
        headers[key] = f"{headers[key]}, {text}" if key in headers else text

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # 1xx: informational, the real answer follows
            self._headers = {}
            return
        if self._response is not None or self._head is None:
            raise ConnectionBroken("a second answer to one request")  # -> a parser error
        headers = self._headers
        self._status = status
        self._framed = (
            "content-length" in headers
            or "chunked" in headers.get("transfer-encoding", "").lower()
            or status in (204, 304)
        )
        response = self._response = Response(self, status, headers)
        head = self._head
        if head is not None and not head.done():
            head.set_result(response)

    def on_body(self, body: bytes) -> None:
        if self._response is not None:
            self._response._feed(body)

    def on_message_complete(self) -> None:
        if not self._status:
            return  # the end of a 1xx
        self._message_done = True
        self._keep_alive = self.parser.should_keep_alive()
        if self._response is not None:
            self._response._end()


class _Host:
    """One origin's connections: idle ones (the most recent first) and callers waiting."""

    def __init__(self, pool: HttpPool, origin: _Origin) -> None:
        self.pool, self.origin = pool, origin
        self.idle: deque[_Conn] = deque()
        self.conns: set[_Conn] = set()  # every open connection, busy or idle
        self.open = 0  # connections open or opening, idle ones included
        self.waiters: deque[asyncio.Future[_Conn | None]] = deque()

    async def acquire(self) -> _Conn:
        clock, keepalive_s = self.pool.clock, self.pool.keepalive_s
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed and clock() - conn.idle_since < keepalive_s:
                return conn
            conn.close()
        if self.open < self.pool.limit_per_host:
            self.open += 1
            return await self._connect()
        waiter: asyncio.Future[_Conn | None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            handed_over = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                handed = waiter.result()
                if handed is None:  # a slot was kept for us: pass it on
                    self.open -= 1
                    self._wake_one()
                else:
                    self.release(handed)
            elif waiter in self.waiters:
                self.waiters.remove(waiter)
            raise
        if handed_over is None:  # a connection closed and its slot is ours (counted already)
            return await self._connect()
        return handed_over

    async def _connect(self) -> _Conn:
        """Opens a connection into a slot already counted in `open`."""
        origin, pool = self.origin, self.pool
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(pool.connect_timeout_s):
                _, conn = await loop.create_connection(
                    lambda: _Conn(self),
                    origin.host,
                    origin.port,
                    ssl=pool.ssl_context if origin.scheme == "https" else None,
                    server_hostname=origin.host if origin.scheme == "https" else None,
                )
        except BaseException as exc:
            self.open -= 1
            self._wake_one()
            if isinstance(exc, TimeoutError):
                raise ConnectFailed("could not connect (timed out)") from None
            if isinstance(exc, ssl.SSLError | ssl.CertificateError):
                raise ConnectFailed("could not connect (the TLS handshake failed)") from None
            if isinstance(exc, OSError):
                raise ConnectFailed("could not connect") from None
            raise
        self.conns.add(conn)
        return conn

    def release(self, conn: _Conn) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        now = conn.idle_since = self.pool.clock()
        idle = self.idle
        while idle and now - idle[0].idle_since >= self.pool.keepalive_s:
            idle[0].close()  # the oldest first; close() takes it out of `idle`
        idle.append(conn)

    def dropped(self, conn: _Conn) -> None:
        """A connection closed (either side): its slot frees up."""
        self.conns.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)
        self.open -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                self.open += 1  # the slot is the waiter's
                waiter.set_result(None)
                return

    def close(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectFailed("the client is closing"))
        for conn in list(self.conns):
            conn.close()


class HttpPool:
    """The process's upstream client: `await pool.post(url, headers, body)` -> `Response`."""

    def __init__(
        self,
        *,
        connect_timeout_s: float,
        limit_per_host: int = 256,
        keepalive_s: float = 15.0,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "hicap-provider-egress",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit_per_host < 1:
            raise ValueError("limit_per_host must be at least 1")
        self.connect_timeout_s, self.limit_per_host = connect_timeout_s, limit_per_host
        self.keepalive_s, self.user_agent, self.clock = keepalive_s, user_agent, clock
        self._ssl = ssl_context
        self._hosts: dict[_Origin, _Host] = {}
        self.closed = False

    @property
    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Sends the request; returns once the answer's head is in (any status)."""
        if self.closed:
            raise ConnectFailed("the client is closed")
        origin, target = _split(url)
        head = _request_head(target, origin.authority, headers, len(body), self.user_agent)
        data = head + body
        host = self._hosts.get(origin)
        if host is None:
            host = self._hosts[origin] = _Host(self, origin)
        conn = await host.acquire()
        try:
            return await conn.exchange(data)
        except ConnectionBroken:
            if conn.uses > 1 and not conn.got_bytes:  # closed while idle: it never saw this
                conn.close()
                conn = await host.acquire()
                try:
                    return await conn.exchange(data)
                except BaseException:
                    conn.close()
                    raise
            conn.close()
            raise
        except BaseException:
            conn.close()  # cancelled or timed out mid-exchange: the connection is spent
            raise

    def connections(self, url: str) -> tuple[int, int]:
        """(open, idle) connections to the URL's origin, for tests and health details."""
        host = self._hosts.get(_split(url)[0])
        return (host.open, len(host.idle)) if host is not None else (0, 0)

    async def close(self) -> None:
        self.closed = True
        for host in self._hosts.values():
            host.close()
        await asyncio.sleep(0)  # let the transports finish closing
