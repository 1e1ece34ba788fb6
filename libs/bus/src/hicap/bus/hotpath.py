"""The hot path's request/stream-reply over core NATS (never JetStream).

A caller sends one request to `subject` (`hicap.egress.<provider>`, a queue group) and
receives a stream of frames on its own inbox: data frames in order, then an end frame,
or an error frame carrying a `CommandError`. Each frame's kind and sequence number are a
5-byte prefix of its payload (no NATS headers: encoding and parsing them per frame cost
more than the rest of the frame's trip), and the call id is the last token of the reply
subject. Closing the stream early (the
client went away) publishes `<subject>.cancel.<call_id>`, and the server cancels that
call's task. Prompts and provider keys travel only here: `hicap.egress.>` is never
captured by a stream. When the caller's connection to NATS drops, what is sent to it
meanwhile is lost, so every call in flight fails at once with `BusUnavailable` (a 503 an
SDK retries) instead of waiting out its timeout; its cancel goes out once NATS is back.

Frames for all calls of a process arrive on one wildcard inbox subscription and are
routed by call id, so a call costs no SUB/UNSUB round of its own. Both sides ride the
bus's lean hot-path connection (`Bus.hot_wire()`, see `wire`), not nats-py's: a frame's
callback runs as its bytes are parsed, and a loop turn's frames leave in one write at its
end; a frame the caller waits on (a handler's `Urgent` first token or `Last` whole answer)
is written at once, with those before it, when its call is the server's only one in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field

from hicap.bus.commands import error_reply, raise_for_reply
from hicap.bus.connection import Bus
from hicap.bus.errors import BusTimeout, BusUnavailable
from hicap.bus.wire import Wire, WireMsg
from hicap.errors import HicapError, Internal
from hicap.events import command_pb2
from hicap.telemetry import inject_headers

log = logging.getLogger(__name__)

END, ERROR, DATA = b"e"[0], b"x"[0], b"d"[0]
_PREFIX = struct.Struct(">BI")  # frame kind, then its sequence number in the call


def _frame(kind: int, seq: int, data: bytes) -> bytes:
    return _PREFIX.pack(kind, seq) + data


@dataclass(slots=True)
class StreamRequest:
    """What a stream handler receives: the payload, its headers, and its call id."""

    data: bytes
    headers: dict[str, str]
    call_id: str


@dataclass(frozen=True, slots=True)
class Last:
    """What a handler yields as its call's last frame (a whole answer): it leaves with the
    end frame, in one write, at once (when no other call is in flight), and the handler is
    closed."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Urgent:
    """A frame the caller is waiting on (a stream's first token): it, and what the handler
    yielded before it, leave at once rather than once the loop turn's work is done (when
    no other call is in flight). For the frame that matters, not for every one: each costs
    a write of its own."""

    data: bytes


StreamHandler = Callable[[StreamRequest], AsyncIterator[bytes | Urgent | Last]]


@dataclass(slots=True)
class _Call:
    """Frames that arrived and not yet read, the reader's future while it waits, and why
    no more frames can come (the connection dropped), once that is so."""

    frames: deque[WireMsg] = field(default_factory=deque)
    waiter: asyncio.Future[None] | None = None
    lost: BusUnavailable | None = None

    def push(self, msg: WireMsg) -> None:
        self.frames.append(msg)
        self._wake()

    def fail(self, err: BusUnavailable) -> None:
        self.lost = err
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class StreamClient:
    """The calling side: one wildcard inbox for every call of this process."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._wire: Wire | None = None
        self._prefix = self._token = ""
        self._calls: dict[str, _Call] = {}
        self._sid: int | None = None
        self._ignore_losses: Callable[[], None] | None = None
        self._next_id = 0

    async def start(self) -> StreamClient:
        self._wire = wire = await self.bus.hot_wire()
        self._prefix = wire.new_inbox()
        self._token = self._prefix.rsplit(".", 1)[-1]  # random per client: call ids are unique
        self._sid = wire.subscribe(f"{self._prefix}.*", self._route)
        self._ignore_losses = wire.on_lost(self._lost)
        return self

    def _lost(self, why: str) -> None:
        """Frames sent while the connection is away never arrive: every call in flight
        ends now (a 503 its caller may retry) rather than when its timeout runs out."""
        for call in self._calls.values():
            call.fail(BusUnavailable(f"{why}: the answer to this call is lost; retry it"))

    def _route(self, msg: WireMsg) -> None:
        call = self._calls.get(msg.subject.rsplit(".", 1)[-1])
        if call is not None:
            call.push(msg)

    async def stream(
        self,
        subject: str,
        data: bytes,
        *,
        headers: dict[str, str] | None = None,
        first_timeout_s: float = 60.0,
        idle_timeout_s: float = 60.0,
    ) -> AsyncIterator[bytes]:
        """Send a request and yield each data frame in order; raise the server's error."""
        wire = self._wire
        if wire is None:
            raise RuntimeError("StreamClient.start() first")
        self._next_id += 1
        call_id = f"{self._token}-{self._next_id:x}"
        call = self._calls[call_id] = _Call()
        done = False
        try:
            trace = inject_headers(headers)
            try:
                wire.publish(subject, data, reply=f"{self._prefix}.{call_id}", headers=trace)
            except BaseException:
                done = True  # never sent: nothing to cancel
                raise
            expected, timeout = 0, first_timeout_s
            while True:
                msg = await self._next(call, subject, timeout)
                kind, seq = _frame_meta(msg, subject)
                if seq != expected:
                    raise Internal(f"{subject} stream lost frame {expected} (got {seq})")
                expected, timeout = expected + 1, idle_timeout_s
                if kind == DATA:
                    yield msg.data[_PREFIX.size :]
                    continue
                done = True
                if kind == ERROR:
                    raise_for_reply(msg.data[_PREFIX.size :], command_pb2.CommandReply)
                return
        finally:
            del self._calls[call_id]
            if not done:
                await self._cancel(subject, call_id)

    async def _next(self, call: _Call, subject: str, timeout_s: float) -> WireMsg:
        if call.frames:  # the common case mid-stream: no future, no timer
            return call.frames.popleft()
        if call.lost is not None:
            raise call.lost
        loop = asyncio.get_running_loop()
        waiter = call.waiter = loop.create_future()
        timer = loop.call_later(timeout_s, _expire, waiter)
        try:
            await waiter
        except TimeoutError:
            raise BusTimeout(f"{subject} sent nothing for {timeout_s:g}s") from None
        finally:
            timer.cancel()
            call.waiter = None
        if not call.frames and call.lost is not None:
            raise call.lost
        return call.frames.popleft()

    async def _cancel(self, subject: str, call_id: str) -> None:
        """Tell the server to stop the call; while NATS is away, once it is back."""
        if self._wire is not None:
            with contextlib.suppress(BusUnavailable):  # closed, or too much waits already
                self._wire.publish(f"{subject}.cancel.{call_id}", b"")

    async def stop(self) -> None:
        if self._wire is not None and self._sid is not None:
            self._wire.unsubscribe(self._sid)
            self._sid = None
        if self._ignore_losses is not None:
            self._ignore_losses()
            self._ignore_losses = None


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _frame_meta(msg: WireMsg, subject: str) -> tuple[int, int]:
    if msg.headers and msg.headers.get("Status") == "503":
        raise BusUnavailable(f"no service answers {subject}; is it running?")
    if len(msg.data) < _PREFIX.size:
        raise Internal(f"{subject} answered with a frame that is not a stream frame")
    kind, seq = _PREFIX.unpack_from(msg.data)
    if kind not in (DATA, END, ERROR):
        raise Internal(f"{subject} answered with a frame that is not a stream frame")
    return kind, seq


class StreamServer:
    """The serving side: a queue-group subscription plus its cancel subscription."""

    def __init__(self, bus: Bus, subject: str, handler: StreamHandler, *, queue: str) -> None:
        self.bus, self.subject, self.handler, self.queue = bus, subject, handler, queue
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wire: Wire | None = None
        self._sids: list[int] = []

    async def start(self) -> StreamServer:
        """Subscribe; returns once NATS has the subscriptions (callers can reach it)."""
        self._wire = wire = await self.bus.hot_wire()
        self._sids.append(wire.subscribe(self.subject, self._on_request, queue=self.queue))
        self._sids.append(wire.subscribe(f"{self.subject}.cancel.*", self._on_cancel))
        await wire.flush()
        return self

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def _on_request(self, msg: WireMsg) -> None:
        if not msg.reply:
            return  # nobody to answer
        headers = dict(msg.headers) if msg.headers else {}
        call_id = msg.reply.rsplit(".", 1)[-1]  # the caller's inbox token names the call
        task = asyncio.create_task(
            self._serve(StreamRequest(msg.data, headers, call_id), msg.reply)
        )
        self._tasks[call_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(call_id, None))

    def _on_cancel(self, msg: WireMsg) -> None:
        task = self._tasks.get(msg.subject.rsplit(".", 1)[-1])
        if task is not None:
            task.cancel()

    async def _serve(self, req: StreamRequest, reply: str) -> None:
        wire, seq = self._wire, 0
        assert wire is not None  # a request arrives only once started
        try:
            chunks = self.handler(req)
            try:
                async for chunk in chunks:
                    if isinstance(chunk, bytes):
                        wire.publish(reply, _frame(DATA, seq, chunk))
                    elif isinstance(chunk, Urgent):
                        wire.publish(reply, _frame(DATA, seq, chunk.data))
                        self._send_now_if_alone(wire)
                    else:  # Last, a whole answer: on its way before anything else
                        wire.publish(reply, _frame(DATA, seq, chunk.data))
                        wire.publish(reply, _frame(END, seq + 1, b""))
                        self._send_now_if_alone(wire)
                        return
                    seq += 1
            except HicapError as err:  # the handler's, or a frame NATS would not take
                wire.publish(reply, _frame(ERROR, seq, error_reply(err)))
                return
            except asyncio.CancelledError:
                return  # the caller went away: nothing more to send
            except Exception:
                log.exception("stream handler failed", extra={"subject": self.subject})
                internal = Internal(f"{self.subject} failed; see the service's log")
                wire.publish(reply, _frame(ERROR, seq, error_reply(internal)))
                return
            finally:
                if isinstance(chunks, AsyncGenerator):  # stop it now (an upstream call...)
                    await chunks.aclose()
            wire.publish(reply, _frame(END, seq, b""))
        except BusUnavailable as err:  # not even an error frame can reach the caller
            log.warning("a stream's answer could not be sent (%s)", err.message)

    def _send_now_if_alone(self, wire: Wire) -> None:
        """Write at once when this is the only call in flight. With others, their frames
        of this turn go in the same write at its end: one write for many calls, which
        under load is worth more than the microseconds a write at once would save."""
        if len(self._tasks) <= 1:
            wire.send_now()

    async def stop(self, grace_s: float = 5.0) -> None:
        if self._wire is not None:
            for sid in self._sids:
                self._wire.unsubscribe(sid)
        self._sids.clear()
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=grace_s)
