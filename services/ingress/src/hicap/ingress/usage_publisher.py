"""`UsagePublisher`: usage events off the request path, to USAGE in batches.

`record` only appends to a bounded buffer (never blocks, never raises). A background task
gathers the buffer into batches of at most `batch_max` calls, or what arrived within
`linger_s` of a batch's first call, whichever comes first, and publishes each batch as
one `UsageRecordedBatch` event: one JetStream message (one ack) for many requests. A
batch's event, its id a UUIDv7 made once, is retried until JetStream acknowledges it, so
an outage delays usage but neither loses nor doubles it (the same `Nats-Msg-Id` is
stored once; a request recorded twice is one record of its batch, and the metering table
collapses a request id anyway). Only a full buffer drops (counted, logged), and what is
still unpublished when shutdown's flush times out. Metrics count calls, not messages.
Each record keeps its own org (the envelope's when unset); a record's event id and time
are not carried: metering derives them (the request id, started_at + latency_ms), as
ingress makes them. Imports hicap.bus, hicap.events and hicap.telemetry only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hicap.bus import Bus, publish
from hicap.events import Event, new_event, usage_pb2
from hicap.telemetry import Counter, Gauge, Histogram

__all__ = ["Pending", "UsageEvent", "UsagePublisher"]

log = logging.getLogger(__name__)

UsageEvent = Event[usage_pb2.UsageRecorded]
BatchEvent = Event[usage_pb2.UsageRecordedBatch]
Pending = UsageEvent | Callable[[], UsageEvent]
"""What the request path hands over: an event, or how to build it (off the request path)."""

BUFFERED = Gauge("hicap_usage_buffered_events", "Usage events recorded, not yet acknowledged.")
PUBLISHED = Counter("hicap_usage_published_total", "Usage events acknowledged by JetStream.")
FAILURES = Counter("hicap_usage_publish_failures_total", "Usage publish attempts that failed.")
DROPPED = Counter("hicap_usage_dropped_total", "Usage events never published.", ["reason"])
LAG = Histogram(
    "hicap_usage_lag_seconds",
    "From a call's usage being recorded to its event's acknowledgement.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)


_BUILD_CHUNK = 32


@dataclass(frozen=True, slots=True)
class _Item:
    recorded_s: float
    pending: Pending


class UsagePublisher:
    """A bounded buffer of usage events and the task that publishes them to USAGE in
    batches; at most `concurrency` batches are in flight (each retried until acked)."""

    def __init__(
        self,
        bus: Bus,
        *,
        capacity: int = 100_000,
        batch_max: int = 256,
        linger_s: float = 0.05,
        concurrency: int = 16,
        attempt_timeout_s: float = 5.0,
        max_backoff_s: float = 5.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus, self._timer = bus, timer
        self._batch_max, self._linger_s = max(batch_max, 1), linger_s
        self._attempt_timeout_s, self._max_backoff_s = attempt_timeout_s, max_backoff_s
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(capacity)
        self._full_batch = asyncio.Event()  # set when a whole batch is waiting
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self._settled.set()
        self.unsettled = self.published = self.failures = self.dropped = 0
        self._dropping = self._failing = False

    def record(self, pending: Pending) -> None:
        """Buffer one event (or its recipe) for publishing. Never blocks, never raises."""
        try:
            self._queue.put_nowait(_Item(self._timer(), pending))
        except asyncio.QueueFull:
            self._drop()
            return
        self._dropping = False
        self.unsettled += 1
        self._settled.clear()
        BUFFERED.inc()
        if self._queue.qsize() >= self._batch_max - 1:
            self._full_batch.set()

    async def start(self) -> UsagePublisher:
        self._runner = asyncio.create_task(self._run(), name="usage-publisher")
        return self

    async def flush(self, timeout_s: float) -> int:
        """Wait until every recorded event is acknowledged or `timeout_s`; how many are not."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout_s)
        return self.unsettled

    async def close(self, timeout_s: float = 5.0) -> None:
        """Publish what is buffered (within `timeout_s`), then stop. Before the bus closes."""
        left = await self.flush(timeout_s)
        if left:
            log.error("%d usage events were not published before shutdown", left)
            DROPPED.labels("shutdown").inc(left)
            self.dropped += left
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            items = await self._gather()
            task = asyncio.create_task(self._deliver(items))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _gather(self) -> list[_Item]:
        """The next batch: its first item, then up to `batch_max` within `linger_s`."""
        items = [await self._queue.get()]
        if self._queue.qsize() < self._batch_max - 1:
            self._full_batch.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full_batch.wait(), self._linger_s)
        while len(items) < self._batch_max and not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def _deliver(self, items: Sequence[_Item]) -> None:
        try:
            batch = await _batched(items)
            invalid = len(items) - batch.size
            if invalid:
                DROPPED.labels("invalid").inc(invalid)
                self.dropped += invalid
            if batch.size:
                await self._until_acked(batch.event)
                self._published(items, batch.size)
        finally:
            self._slots.release()
            self._settle(len(items))

    def _published(self, items: Sequence[_Item], rows: int) -> None:
        now_s = self._timer()
        for item in items:
            LAG.observe(now_s - item.recorded_s)
        PUBLISHED.inc(rows)
        self.published += rows

    async def _until_acked(self, event: BatchEvent) -> None:
        """Publish with the same event id until acknowledged, backing off between tries."""
        delay_s = 0.1
        while True:
            try:
                await publish(self._bus, event, timeout_s=self._attempt_timeout_s)
            # Any failure of one attempt (the bus's timeouts, or nats-py's connection
            # errors that it lets through and a service may not import) is retried with
            # the same Nats-Msg-Id: JetStream stores the batch once.
            except Exception as exc:  # noqa: BLE001
                self._failed_once(exc)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, self._max_backoff_s)
                continue
            if self._failing:
                self._failing = False
                log.info("usage events are being published again")
            return

    def _failed_once(self, exc: Exception) -> None:
        FAILURES.inc()
        self.failures += 1
        if not self._failing:
            self._failing = True
            log.warning("usage publish failing, retrying (%s); buffering meanwhile", exc)

    def _settle(self, n: int) -> None:
        self.unsettled -= n
        BUFFERED.dec(n)
        if self.unsettled == 0:
            self._settled.set()

    def _drop(self) -> None:
        DROPPED.labels("buffer_full").inc()
        self.dropped += 1
        if not self._dropping:
            self._dropping = True
            log.error(
                "usage buffer full (%d events): dropping usage until it drains",
                self._queue.maxsize,
            )


@dataclass(frozen=True, slots=True)
class _Batch:
    event: BatchEvent
    size: int  # calls it accounts for (a call recorded twice is one record)


async def _batched(items: Sequence[_Item]) -> _Batch:
    """The batch event of the items that build; its id is made here, once. Yields to the
    loop between chunks: building is pricing, which must not stall requests."""
    payload, seen, size = usage_pb2.UsageRecordedBatch(), set[str](), 0
    for i, item in enumerate(items):
        if i and i % _BUILD_CHUNK == 0:
            await asyncio.sleep(0)
        event = _built(item.pending)
        if event is None:
            continue
        size += 1
        if event.event_id not in seen:
            seen.add(event.event_id)
            record = payload.records.add()
            record.CopyFrom(event.payload)
            record.org_id = record.org_id or event.org_id
    orgs = {r.org_id for r in payload.records}
    return _Batch(new_event(payload, org_id=orgs.pop() if len(orgs) == 1 else ""), size)


def _built(pending: Pending) -> UsageEvent | None:
    """The event, or None (logged) if it cannot be built. A bug in building one event must
    not stop the publisher, so anything is caught."""
    try:
        event = pending if isinstance(pending, Event) else pending()
        if not isinstance(event.payload, usage_pb2.UsageRecorded):
            raise TypeError(f"not a UsageRecorded: {event.type}")
    except Exception:  # counted as dropped by the caller
        log.exception("a usage event could not be built; it is dropped")
        return None
    return event
