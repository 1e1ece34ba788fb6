"""`Wire`: the hot path's own connection to NATS, core NATS only, lean.

nats-py costs the request path more than a hop's own work: its publish goes through a
queue and a flusher task, and each message it receives through a parser coroutine, a
per-subscription queue and a task before its callback runs. `Wire` speaks the NATS client
protocol on an asyncio protocol instead: a message's callback runs from `data_received`,
and what one loop turn publishes leaves in one write. Measured on the request path (two
platforms, before and after, driven in turn): ingress spends ~60-80 us and
provider-egress ~45-65 us less CPU per call at concurrency 1.

What it does: `PUB`/`HPUB` (headers), `SUB` (queue groups)/`UNSUB`, `MSG`/`HMSG` (a
status line becomes the `Status`/`Description` headers, as nats-py gives them, so "no
responders" is a 503), `PING`/`PONG` both ways (a connection whose server stops answering
is dropped), `max_payload` from the server's `INFO`, user/password or token from the URL,
TLS (`tls://`, or when the server requires it), several servers. When the connection
drops it reconnects for ever, to each server in turn, subscribes again, and sends what
was published meanwhile (up to `reconnect_buffer_bytes`; past that, and once closed,
`publish` raises `BusUnavailable`), as nats-py does. What it does not: JetStream, NKEYs
and credentials files, servers discovered from `INFO` (the bus uses none of these for the
hot path; JetStream, commands and projections stay on nats-py's connection).

Callbacks run inside `data_received`: they must not block (set a future, start a task).
An exception in one is logged and the connection carries on. Never logs a payload, a
header or a credential; error texts name servers without their credentials.
Imports hicap.bus.errors and hicap.errors only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import secrets
import ssl
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from hicap.bus.errors import BusTimeout, BusUnavailable
from hicap.errors import PayloadTooLarge

__all__ = ["Wire", "WireMsg"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 4222
MAX_CONTROL_LINE = 64 * 1024  # a MSG line is a subject, a reply and numbers: far below
_CRLF = b"\r\n"
_SUBJECT = re.compile(r"[^\s]+")  # a token: no whitespace may split the protocol line
_HEADER_TEXT = re.compile(r"[^\r\n]*")


@dataclass(frozen=True, slots=True)
class WireMsg:
    """One message as a subscription receives it."""

    subject: str
    reply: str
    data: bytes
    headers: dict[str, str] | None = None


Callback = Callable[[WireMsg], None]
LostCallback = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class _Server:
    host: str
    port: int
    tls: bool
    user: str = ""
    password: str = ""
    token: str = ""

    @property
    def shown(self) -> str:
        """Where it is, never who we are there."""
        return f"{'tls' if self.tls else 'nats'}://{self.host}:{self.port}"


def _server(url: str) -> _Server:
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    if parts.scheme not in ("nats", "tls"):
        raise ValueError(f"not a NATS URL (nats:// or tls://): {parts.scheme}://...")
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    return _Server(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or DEFAULT_PORT,
        tls=parts.scheme == "tls",
        user=user if password else "",
        password=password,
        token="" if password else user,
    )


@dataclass(slots=True)
class _Sub:
    subject: str
    queue: str
    callback: Callback


class Wire:
    """One connection to NATS for the hot path. `await Wire(servers, name=...).start()`."""

    def __init__(
        self,
        servers: Sequence[str],
        *,
        name: str,
        connect_timeout_s: float = 2.0,
        reconnect_wait_s: float = 0.5,
        ping_interval_s: float = 30.0,
        max_pings_out: int = 2,
        reconnect_buffer_bytes: int = 16 * 1024 * 1024,
        max_write_buffer_bytes: int = 64 * 1024 * 1024,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if not servers:
            raise ValueError("no NATS server to connect to")
        self._servers = [_server(u) for u in servers]
        self.name = name
        self._connect_timeout_s, self._reconnect_wait_s = connect_timeout_s, reconnect_wait_s
        self._ping_interval_s, self._max_pings_out = ping_interval_s, max_pings_out
        self._reconnect_buffer_bytes = reconnect_buffer_bytes
        self._max_write_buffer_bytes = max_write_buffer_bytes
        self._tls_context = tls_context  # None: the system's trust store
        self._conn: _Connection | None = None
        self._subs: dict[int, _Sub] = {}
        self._sids = itertools.count(1)
        self._held: list[bytes] = []  # published while reconnecting
        self._held_bytes = 0
        self._closed = False
        self._reconnecting: asyncio.Task[None] | None = None
        self._lost_callbacks: list[LostCallback] = []
        self._inbox = f"_INBOX.{secrets.token_hex(11)}"
        self.max_payload = 1024 * 1024  # until the server's INFO says

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, timeout_s: float = 5.0) -> Wire:
        """Connect, trying every server until `timeout_s`; then BusUnavailable."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        last: Exception | None = None
        while loop.time() < deadline:
            for server in self._servers:
                if (remaining := deadline - loop.time()) <= 0:
                    break
                try:
                    self._conn = await self._open(server, remaining)
                    return self
                except (OSError, TimeoutError, BusUnavailable) as exc:
                    if last is None or not isinstance(exc, TimeoutError):
                        last = exc  # an attempt the deadline cut short says less
            await asyncio.sleep(min(0.2, max(deadline - loop.time(), 0)))
        where = ", ".join(s.shown for s in self._servers)
        raise BusUnavailable(f"cannot reach NATS at {where} within {timeout_s:g}s ({_why(last)})")

    async def close(self) -> None:
        """Send what is pending, then close. Publishing afterwards raises BusUnavailable."""
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()
            self._tell_lost("the connection to NATS was closed")

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._closed

    def on_lost(self, callback: LostCallback) -> Callable[[], None]:
        """Call `callback(why)` each time the connection drops or is closed: what was on its
        way to this connection's subscriptions until it is back is gone (NATS keeps nothing
        for an absent subscriber), so a caller waiting for an answer can stop waiting.
        Returns what stops the calls (a shared wire outlives its users)."""
        self._lost_callbacks.append(callback)
        return lambda: self._lost_callbacks.remove(callback)

    def new_inbox(self) -> str:
        """A subject prefix no other connection uses."""
        return f"{self._inbox}.{secrets.token_hex(6)}"

    # -- messages ----------------------------------------------------------------------

    def publish(
        self,
        subject: str,
        payload: bytes,
        *,
        reply: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send one message (with the loop turn's others). Raises BusUnavailable when
        closed or when too much waits for a reconnect, PayloadTooLarge past the server's
        `max_payload`."""
        if not _SUBJECT.fullmatch(subject) or (reply and not _SUBJECT.fullmatch(reply)):
            raise ValueError("a NATS subject is one token without whitespace")
        if headers:
            block = _header_block(headers)
            size = len(block) + len(payload)
            if size > self.max_payload:
                raise _too_large(size, self.max_payload)
            head = b"HPUB %s %s%d %d\r\n" % (
                subject.encode(),
                reply.encode() + b" " if reply else b"",
                len(block),
                size,
            )
            self._send((head, block, payload, _CRLF), len(head) + size + 2)
            return
        if len(payload) > self.max_payload:
            raise _too_large(len(payload), self.max_payload)
        if reply:
            head = b"PUB %s %s %d\r\n" % (subject.encode(), reply.encode(), len(payload))
        else:
            head = b"PUB %s %d\r\n" % (subject.encode(), len(payload))
        self._send((head, payload, _CRLF), len(head) + len(payload) + 2)

    def send_now(self) -> None:
        """Write what this loop turn has published now rather than at the turn's end: for a
        message someone waits on when nothing else will follow it within the turn."""
        if self._conn is not None:
            self._conn.send_now()

    def subscribe(self, subject: str, callback: Callback, *, queue: str = "") -> int:
        """Receive `subject`'s messages (one of `queue`'s members gets each); the sid."""
        if not _SUBJECT.fullmatch(subject) or (queue and not _SUBJECT.fullmatch(queue)):
            raise ValueError("a NATS subject or queue is one token without whitespace")
        sid = next(self._sids)
        self._subs[sid] = _Sub(subject, queue, callback)
        if self._conn is not None:
            self._conn.write((_sub_line(sid, self._subs[sid]),))
        return sid

    def unsubscribe(self, sid: int) -> None:
        if self._subs.pop(sid, None) is not None and self._conn is not None:
            self._conn.write((b"UNSUB %d\r\n" % sid,))

    async def flush(self, timeout_s: float = 5.0) -> None:
        """Return once the server has read everything sent so far (a PING answered)."""
        conn = self._conn
        if conn is None:
            raise BusUnavailable("not connected to NATS")
        try:
            await asyncio.wait_for(conn.ping(), timeout_s)
        except TimeoutError:
            raise BusTimeout(f"NATS did not answer a PING within {timeout_s:g}s") from None

    # -- inside ------------------------------------------------------------------------

    def _send(self, parts: Iterable[bytes], size: int) -> None:
        conn = self._conn
        if conn is not None:
            if conn.buffered() > self._max_write_buffer_bytes:
                raise BusUnavailable("NATS is not reading what this process sends")
            conn.write(parts)
            return
        if self._closed:
            raise BusUnavailable("the connection to NATS is closed")
        if self._held_bytes + size > self._reconnect_buffer_bytes:
            raise BusUnavailable("NATS is unreachable and the reconnect buffer is full")
        self._held.extend(parts)
        self._held_bytes += size

    def _deliver(self, sid: int, msg: WireMsg) -> None:
        sub = self._subs.get(sid)
        if sub is None:
            return  # unsubscribed while the message was on its way
        try:
            sub.callback(msg)
        except Exception:
            log.exception("a NATS message callback failed", extra={"subject": sub.subject})

    async def _open(self, server: _Server, timeout_s: float) -> _Connection:
        loop = asyncio.get_running_loop()
        timeout_s = min(timeout_s, self._connect_timeout_s)
        async with asyncio.timeout(timeout_s):
            _, conn = await loop.create_connection(
                lambda: _Connection(self), server.host, server.port
            )
            try:
                info = await conn.info()
                if server.tls or info.get("tls_required"):
                    context = self._tls_context or ssl.create_default_context()
                    await conn.start_tls(context, server.host)
                self.max_payload = _int(info.get("max_payload"), self.max_payload)
                conn.write((_connect_line(server, self.name, info), b"PING\r\n"))
                await conn.ready()
            except BaseException:
                conn.abort()
                raise
        # The subscriptions, then what was published while away, before anything newer:
        # nothing runs between here and the caller making this the connection.
        subs = [_sub_line(sid, sub) for sid, sub in self._subs.items()]
        held, self._held, self._held_bytes = self._held, [], 0
        conn.write((*subs, *held))
        conn.keep_alive(self._ping_interval_s, self._max_pings_out)
        return conn

    def _lost(self, conn: _Connection, why: str) -> None:
        if conn is not self._conn:
            return  # a handshake that failed, or a connection already replaced
        self._conn = None
        if self._closed:
            return
        log.warning("hot-path connection to NATS lost (%s); reconnecting", why)
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())
        self._tell_lost(f"the connection to NATS was lost ({why})")

    def _tell_lost(self, why: str) -> None:
        for callback in list(self._lost_callbacks):
            try:
                callback(why)
            except Exception:
                log.exception("a NATS connection-lost callback failed")

    async def _reconnect(self) -> None:
        for attempt in itertools.count():
            for server in self._servers:
                try:
                    self._conn = await self._open(server, self._connect_timeout_s)
                except (OSError, TimeoutError, BusUnavailable) as exc:
                    if attempt == 0:
                        log.warning("cannot reconnect to %s yet (%s)", server.shown, _why(exc))
                    continue
                log.info("hot-path connection to NATS is back (%s)", server.shown)
                self._reconnecting = None
                return
            await asyncio.sleep(self._reconnect_wait_s)


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection: the parser, the corked writes, PING/PONG."""

    def __init__(self, wire: Wire) -> None:
        self._wire = wire
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._out: list[bytes] = []
        self._flush_soon = False
        self._rest = b""  # an incomplete line or message, from the last read
        self._parts: list[bytes] = []  # a long message's reads, joined once it is whole
        self._have = 0
        self._need = 0  # bytes the message being read needs, counted from its payload
        self._head: tuple[int, str, str, int, int] | None = None  # sid, subject, reply, hdr, size
        self._info: asyncio.Future[dict[str, object]] = self._loop.create_future()
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._pongs: deque[asyncio.Future[None] | None] = deque()
        self._pings_out = 0
        self._pinger: asyncio.TimerHandle | None = None
        self._lost: asyncio.Future[None] = self._loop.create_future()

    # -- transport ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a stream transport

    def connection_lost(self, exc: Exception | None) -> None:
        why = _why(exc) if exc else "closed by the server"
        for fut in (self._info, self._ready):
            if not fut.done():
                fut.set_exception(BusUnavailable(f"NATS closed the connection ({why})"))
                fut.exception()  # a handshake given up on awaits it no more: not an error
        for waiter in self._pongs:
            if waiter is not None and not waiter.done():
                waiter.set_exception(BusUnavailable("the connection to NATS was lost"))
        self._pongs.clear()
        if self._pinger is not None:
            self._pinger.cancel()
        if not self._lost.done():
            self._lost.set_result(None)
        self._wire._lost(self, why)

    def write(self, parts: Iterable[bytes]) -> None:
        self._out.extend(parts)
        if not self._flush_soon:
            self._flush_soon = True
            self._loop.call_soon(self._flush)

    def send_now(self) -> None:
        self._flush()  # the turn's scheduled flush then finds nothing left to write

    def _flush(self) -> None:
        self._flush_soon = False
        out, self._out = self._out, []
        if out and self._transport is not None and not self._transport.is_closing():
            self._transport.writelines(out)

    def buffered(self) -> int:
        size = sum(map(len, self._out))
        return size + (self._transport.get_write_buffer_size() if self._transport else 0)

    async def start_tls(self, context: ssl.SSLContext, host: str) -> None:
        assert self._transport is not None
        tls = await self._loop.start_tls(self._transport, self, context, server_hostname=host)
        if tls is None:
            raise BusUnavailable("TLS with NATS could not start")
        self._transport = tls

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    async def close(self) -> None:
        self._flush()
        if self._transport is not None:
            self._transport.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._lost), 2.0)

    # -- handshake and keep-alive ------------------------------------------------------

    async def info(self) -> dict[str, object]:
        return await self._info

    async def ready(self) -> None:
        await self._ready

    async def ping(self) -> None:
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._pongs.append(waiter)
        self.write((b"PING\r\n",))
        await waiter

    def keep_alive(self, interval_s: float, max_out: int) -> None:
        def tick() -> None:
            if self._pings_out >= max_out:
                log.warning("NATS answered no PING for %gs; dropping the connection", interval_s)
                self.abort()
                return
            self._pings_out += 1
            self._pongs.append(None)
            self.write((b"PING\r\n",))
            self._pinger = self._loop.call_later(interval_s, tick)

        self._pinger = self._loop.call_later(interval_s, tick)

    # -- parsing -----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._need:  # the rest of a long message: gather until it is whole
            self._parts.append(data)
            self._have += len(data)
            if self._have < self._need:
                return
            data, self._parts, self._have, self._need = b"".join(self._parts), [], 0, 0
        elif self._rest:
            data, self._rest = self._rest + data, b""
        try:
            self._parse(data)
        except (_ProtocolError, ValueError) as exc:  # ValueError: a number that is not one
            log.error("NATS sent what is not the NATS protocol (%s); reconnecting", exc)
            self.abort()

    def _parse(self, data: bytes) -> None:
        pos, end = 0, len(data)
        while pos < end:
            head = self._head
            if head is not None:
                sid, subject, reply, hdr, size = head
                stop = pos + size
                if stop + 2 > end:
                    self._keep(data[pos:], size + 2)
                    return
                self._head = None
                headers = _parse_headers(data[pos : pos + hdr]) if hdr else None
                msg = WireMsg(subject, reply, data[pos + hdr : stop], headers)
                pos = stop + 2
                self._wire._deliver(sid, msg)
                continue
            nl = data.find(_CRLF, pos)
            if nl < 0:
                if end - pos > MAX_CONTROL_LINE:
                    raise _ProtocolError("a control line without an end")
                self._rest = data[pos:]
                return
            self._control(data[pos:nl])
            pos = nl + 2

    def _keep(self, partial: bytes, need: int) -> None:
        """A message whose payload has not all come: wait for `need` bytes in all."""
        if len(partial) < 4096:  # small: joined with the next read, as a line is
            self._rest = partial
            return
        self._parts, self._have, self._need = [partial], len(partial), need
        self._rest = b""

    def _control(self, line: bytes) -> None:
        op = line[:4].upper()
        if op == b"MSG ":
            args = line.split()
            if len(args) not in (4, 5):
                raise _ProtocolError("a MSG line with the wrong number of fields")
            reply = args[3].decode() if len(args) == 5 else ""
            self._head = (int(args[2]), args[1].decode(), reply, 0, int(args[-1]))
        elif op == b"HMSG":
            args = line.split()
            if len(args) not in (5, 6):
                raise _ProtocolError("an HMSG line with the wrong number of fields")
            reply = args[3].decode() if len(args) == 6 else ""
            self._head = (int(args[2]), args[1].decode(), reply, int(args[-2]), int(args[-1]))
        elif op == b"PING":
            self.write((b"PONG\r\n",))
        elif op == b"PONG":
            self._pong()
        elif op == b"INFO":
            self._on_info(line[5:])
        elif op.startswith(b"-ERR"):
            self._on_error(line[4:].strip().strip(b"'").decode(errors="replace"))
        elif not op.startswith(b"+OK"):
            raise _ProtocolError("an unknown operation")

    def _pong(self) -> None:
        self._pings_out = 0
        if not self._ready.done():
            self._ready.set_result(None)
            return
        if self._pongs:
            waiter = self._pongs.popleft()
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _on_info(self, raw: bytes) -> None:
        try:
            info = json.loads(raw)
        except ValueError:
            raise _ProtocolError("an INFO that is not JSON") from None
        if not self._info.done():
            self._info.set_result(info)
        elif isinstance(info, dict):
            self._wire.max_payload = _int(info.get("max_payload"), self._wire.max_payload)

    def _on_error(self, text: str) -> None:
        if not self._ready.done():  # refused at the handshake: say why, then it closes
            self._ready.set_exception(BusUnavailable(f"NATS refused the connection: {text}"))
            return
        log.warning("NATS reported an error: %s", text)


class _ProtocolError(Exception):
    pass


def _sub_line(sid: int, sub: _Sub) -> bytes:
    if sub.queue:
        return b"SUB %s %s %d\r\n" % (sub.subject.encode(), sub.queue.encode(), sid)
    return b"SUB %s %d\r\n" % (sub.subject.encode(), sid)


def _connect_line(server: _Server, name: str, info: dict[str, object]) -> bytes:
    options: dict[str, object] = {
        "verbose": False,
        "pedantic": False,
        "tls_required": bool(server.tls or info.get("tls_required")),
        "name": name,
        "lang": "python3",
        "version": "hicap-wire",
        "protocol": 1,
        "headers": True,
        "no_responders": True,
    }
    if server.password:
        options["user"], options["pass"] = server.user, server.password
    elif server.token:
        options["auth_token"] = server.token
    return b"CONNECT " + json.dumps(options).encode() + _CRLF


def _header_block(headers: dict[str, str]) -> bytes:
    lines = ["NATS/1.0"]
    for name, value in headers.items():
        if not _SUBJECT.fullmatch(name) or ":" in name or not _HEADER_TEXT.fullmatch(value):
            raise ValueError("a NATS header name is a token, its value one line")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _parse_headers(block: bytes) -> dict[str, str]:
    """`NATS/1.0[ status[ description]]` then `Name: value` lines; the status line's parts
    as the `Status` and `Description` headers (nats-py's names)."""
    lines = block.decode(errors="replace").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    status = lines[0][len("NATS/1.0") :].strip()
    if status:
        code, _, description = status.partition(" ")
        headers["Status"] = code
        if description:
            headers["Description"] = description.strip()
    return headers


def _too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"a {size}-byte message is over NATS's max_payload ({limit} bytes)")


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default


def _why(exc: BaseException | None) -> str:
    if exc is None:
        return "no server tried"
    return str(exc) or type(exc).__name__
