"""`hicap events tail`: follow the event streams and print each event as one JSON line.

Owns choosing the streams for a `--stream`/`--subject`, where the reading starts (new
events, `--from-start`, `--since`), and the line format: `to_json_dict(event)` plus the
stream and its sequence, or an `"error"` line for bytes that do not decode. Reads with one
ephemeral ordered consumer per stream through `bus.js`, as `hicap.bus.projection` does.
Writes nothing but JSON lines to `out`; logs go to the logging handlers (stderr).
Imports libs only, never a service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

import orjson
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from hicap.bus import Bus, connect
from hicap.events import Stream, decode, subjects_overlap, to_json_dict

__all__ = ["TailError", "select_streams", "tail_events"]

log = logging.getLogger(__name__)

# Missed heartbeats make nats-py recreate an ordered consumer (after a NATS restart, say);
# a short interval lets a tail resume within a few seconds.
IDLE_HEARTBEAT_S = 2.0


class TailError(RuntimeError):
    """The tail cannot run as asked (bad stream or subject, stream missing); says why."""


@dataclass(frozen=True, slots=True)
class _Start:
    """Where a stream's reading starts, and what a consumer reset must not print again."""

    policy: DeliverPolicy
    start_time: datetime | None = None
    after_seq: int = 0  # never print a sequence at or below this one

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(deliver_policy=self.policy, opt_start_time=self.start_time)


async def tail_events(
    nats_url: str,
    *,
    stream: str | None,
    subject: str | None,
    from_start: bool,
    since: timedelta | None,
    out: TextIO,
    stop: asyncio.Event | None = None,
    max_events: int | None = None,
    ready: asyncio.Event | None = None,
    connect_timeout_s: float = 5.0,
) -> int:
    """Print events as JSON lines until `stop` is set or `max_events` are printed.

    `ready` is set once every consumer exists (events published after it are printed).
    Returns how many lines were printed. Raises TailError for a bad request and
    BusUnavailable when NATS cannot be reached.
    """
    if from_start and since is not None:
        raise TailError("use either --from-start or --since, not both")
    streams = select_streams(stream, subject)
    start_time = _start_time(since)
    bus = await connect(nats_url, name="hicap-cli-tail", timeout_s=connect_timeout_s)
    try:
        printer = _Printer(out, max_events)
        for s in streams:
            start = await _start_for(bus, s, from_start=from_start, start_time=start_time)
            await _follow(bus, s, subject or s.subjects[0], start, printer)
        if ready is not None:
            ready.set()
        await _until_first([printer.done.wait(), *([stop.wait()] if stop else [])])
        return printer.count
    finally:
        await bus.close()


def select_streams(stream: str | None, subject: str | None) -> tuple[Stream, ...]:
    """The streams to read: the one named, those `subject` can match, or all of them."""
    if subject is not None:
        _check_subject(subject)
    candidates = tuple(Stream) if stream is None else (_stream_named(stream),)
    if subject is None:
        return candidates
    chosen = tuple(s for s in candidates if any(subjects_overlap(subject, x) for x in s.subjects))
    if not chosen:
        where = ", ".join(f"{s.value}: {' '.join(s.subjects)}" for s in candidates)
        raise TailError(f"no stream stores subject {subject!r} ({where})")
    return chosen


def _stream_named(name: str) -> Stream:
    try:
        return Stream(name.upper())
    except ValueError:
        names = ", ".join(s.value for s in Stream)
        raise TailError(f"unknown stream {name!r}; streams are {names}") from None


def _check_subject(subject: str) -> None:
    tokens = subject.split(".")
    if any(not t or any(c.isspace() for c in t) for t in tokens) or ">" in tokens[:-1]:
        raise TailError(
            f"invalid subject {subject!r}: dot-separated tokens, `*` for one token, "
            "`>` only last (e.g. hicap.auth.> or hicap.*.key_issued.v1)"
        )


def _start_time(since: timedelta | None) -> datetime | None:
    if since is None:
        return None
    try:
        return datetime.now(UTC) - since
    except OverflowError:
        raise TailError(f"--since {since} reaches before year 1; use --from-start") from None


async def _start_for(
    bus: Bus, stream: Stream, *, from_start: bool, start_time: datetime | None
) -> _Start:
    try:
        info = await bus.js.stream_info(stream.value)
    except NotFoundError:
        raise TailError(
            f"stream {stream.value} does not exist yet; services declare the streams when "
            "they start (is the platform up?)"
        ) from None
    if from_start:
        return _Start(DeliverPolicy.ALL)
    if start_time is not None:
        return _Start(DeliverPolicy.BY_START_TIME, start_time=start_time)
    return _Start(DeliverPolicy.NEW, after_seq=int(info.state.last_seq))


async def _follow(bus: Bus, stream: Stream, subject: str, start: _Start, printer: _Printer) -> None:
    config = start.consumer_config()
    guard = _Guard(start)

    async def on_msg(msg: Msg) -> None:
        if guard.admits(msg):
            printer.write(msg)

    await bus.js.subscribe(
        subject,
        stream=stream.value,
        ordered_consumer=True,
        config=config,
        idle_heartbeat=IDLE_HEARTBEAT_S,
        cb=on_msg,
    )
    # nats-py keeps `config` and, on a reset, recreates the consumer from it with
    # BY_START_SEQUENCE, which the server refuses while a start time is also set.
    config.opt_start_time = None


class _Guard:
    """Drops what a recreated ordered consumer delivers again.

    nats-py restarts an ordered consumer at (last sequence it delivered + 1), and at 1 when
    it has delivered nothing yet, which would replay a whole stream into a tail that was
    only following new events.
    """

    def __init__(self, start: _Start) -> None:
        self.last_seq = start.after_seq
        self.not_before = start.start_time

    def admits(self, msg: Msg) -> bool:
        meta = msg.metadata
        seq = int(meta.sequence.stream)
        too_old = self.not_before is not None and meta.timestamp < self.not_before
        if seq <= self.last_seq or too_old:
            return False
        self.last_seq = seq
        return True


class _Printer:
    """Writes one line per message and counts them; `done` once enough (or the pipe closed)."""

    def __init__(self, out: TextIO, max_events: int | None) -> None:
        self.out, self.max_events = out, max_events
        self.count = 0
        self.done = asyncio.Event()
        if max_events is not None and max_events <= 0:
            self.done.set()

    def write(self, msg: Msg) -> None:
        if self.done.is_set():
            return
        try:
            self.out.write(event_line(msg) + "\n")
            self.out.flush()
        except BrokenPipeError:
            self.done.set()  # the reader went away (`| head`): stop quietly
            return
        self.count += 1
        if self.max_events is not None and self.count >= self.max_events:
            self.done.set()


def event_line(msg: Msg) -> str:
    """The JSON line for one stream message: the event, or an error naming where it is."""
    meta = msg.metadata
    where: dict[str, object] = {"stream": meta.stream, "seq": int(meta.sequence.stream)}
    try:
        # decode raises MalformedEvent (a ValueError) and, for an out-of-range timestamp,
        # protobuf's plain ValueError.
        doc = to_json_dict(decode(msg.data))
    except ValueError as exc:
        doc = {
            "error": f"undecodable event: {exc}",
            "subject": msg.subject,
            "type": (msg.headers or {}).get("Hicap-Type", ""),
        }
    return orjson.dumps({**doc, **where}).decode()


async def _until_first(waits: list[Awaitable[object]]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
