"""The usage consumer: USAGE events into `requests`, exactly one row per request.

Each fetch from the durable consumer is one batch: it ends when about `batch_rows` rows
have arrived or `batch_wait_s` is up, whichever comes first. A message is a
`UsageRecorded` (one row) or a `UsageRecordedBatch` (one row per record, as ingress
publishes them). The loop inserts the batch in one statement (a fetch that outgrows
`batch_rows`, in several), and only then acks it: a crash before the ack redelivers the
batch, and the ReplacingMergeTree collapses the copies (keyed by request id, so a
redelivered batch of records doubles nothing). A `UsageDeleted` first flushes the
pending batch, so deletions apply in stream order. When the store cannot be reached the
batch is held (and kept in progress, so NATS does not redeliver it) until the store is
back: an outage delays rows, it never parks them. A message that does not decode, or
whose rows the store refuses, is redelivered, and on its last delivery it is parked
whole: termed, counted, logged at ERROR with its sequence, never its payload. Imports
hicap.bus and the store modules; no nats, no chdb.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import add, attrgetter
from typing import Any, cast

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from hicap.bus import BusUnavailable, Delivery, DurableConsumer
from hicap.events import Clock, Event, usage_pb2, utc_now
from hicap.metering import queries
from hicap.metering.backends import EPOCH, Backend, Columns, Row, Value
from hicap.metering.errors import StoreFailed, StoreUnavailable
from hicap.metering.schema import COLUMN_NAMES
from hicap.telemetry import Counter, Histogram

log = logging.getLogger(__name__)

ROWS = Counter("hicap_metering_rows_inserted_total", "Usage rows inserted (copies included).")
BATCHES = Counter("hicap_metering_batches_total", "Batches of usage rows inserted.")
INSERT_S = Histogram("hicap_metering_insert_seconds", "Time to insert one batch.")
LAG_S = Histogram(
    "hicap_metering_lag_seconds",
    "From the occurred_at of a batch's oldest usage event to the batch being inserted.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
PARKED = Counter("hicap_metering_parked_total", "USAGE messages given up on (termed).")

LANES = {
    usage_pb2.LANE_UNSPECIFIED: "",
    usage_pb2.LANE_RESERVED: "reserved",
    usage_pb2.LANE_SPOT: "spot",
    usage_pb2.LANE_ON_DEMAND: "on-demand",
    usage_pb2.LANE_BYOK: "byok",
}


# Columns read from the payload as they are, in `COLUMN_NAMES`; the others are derived.
_DERIVED = {"started_at", "org_id", "lane", "event_id", "occurred_at"}
_MOMENTS = frozenset({"started_at", "occurred_at"})
_MS = timedelta(milliseconds=1)
# Rows per message assumed before the first fetch: a full ingress batch, so the first fetch
# of a backlog of batches does not pull thousands of them (single events: it adapts).
_FIRST_ROWS_PER_MESSAGE = 256
_OCCURRED = COLUMN_NAMES.index("occurred_at")


def request_row(event: Event[Message]) -> Row:
    """The `requests` row of a UsageRecorded event, in `COLUMN_NAMES` order."""
    u = event.payload
    assert isinstance(u, usage_pb2.UsageRecorded)  # callers dispatch on type
    return (
        u.request_id, _moment(u.started_at), u.org_id or event.org_id,
        u.team_id, u.app_id, u.key_id, u.end_user_hash, u.route,
        u.model_requested, u.model_served, u.provider, u.deployment, LANES.get(u.lane, ""),
        u.input_tokens, u.cached_input_tokens, u.cache_write_tokens, u.output_tokens,
        u.reasoning_tokens, u.input_cost_micros, u.cached_input_cost_micros,
        u.cache_write_cost_micros, u.output_cost_micros, u.total_cost_micros,
        u.list_value_micros, u.latency_ms, u.ttft_ms, u.http_status, u.finish_reason,
        u.streamed, u.error_code, u.api_surface, event.event_id, event.occurred_at,
    )  # fmt: skip


def request_columns(events: Sequence[Event[Message]]) -> Columns:
    """The `requests` columns of UsageRecorded and UsageRecordedBatch events (one row per
    record), built column by column (one C-level pass per column, no row tuples); moments
    in epoch milliseconds, as `request_row`'s datetimes truncated to the millisecond the
    table keeps. A batch's record has no envelope of its own: its event id is its request
    id and it occurred at started_at + latency_ms, as ingress makes a single event's."""
    singles = [e for e in events if isinstance(e.payload, usage_pb2.UsageRecorded)]
    payloads: list[usage_pb2.UsageRecorded] = [e.payload for e in singles]  # type: ignore[misc]  # filtered above
    envelope_orgs = [e.org_id for e in singles]
    for e in events:
        if isinstance(e.payload, usage_pb2.UsageRecordedBatch):
            payloads += e.payload.records
            envelope_orgs += repeat(e.org_id, len(e.payload.records))
    started_ms = [s.seconds * 1000 + s.nanos // 1_000_000 for s in _each("started_at", payloads)]
    batched = payloads[len(singles) :]
    derived: dict[str, list[Value]] = {
        "started_at": started_ms,
        "org_id": [u.org_id or org for u, org in zip(payloads, envelope_orgs, strict=True)],
        "lane": [LANES.get(lane, "") for lane in _each("lane", payloads)],
        "event_id": [e.event_id for e in singles] + list(_each("request_id", batched)),
        "occurred_at": [(e.occurred_at - EPOCH) // _MS for e in singles]
        + list(map(add, started_ms[len(singles) :], _each("latency_ms", batched))),
    }
    values = tuple(
        derived[name] if name in _DERIVED else list(_each(name, payloads)) for name in COLUMN_NAMES
    )
    return Columns(COLUMN_NAMES, values, _MOMENTS)


def rows_of(event: Event[Message] | None) -> int:
    """How many `requests` rows a USAGE event makes (0: not a usage record)."""
    payload = event.payload if event is not None else None
    if isinstance(payload, usage_pb2.UsageRecordedBatch):
        return len(payload.records)
    return 1 if isinstance(payload, usage_pb2.UsageRecorded) else 0


def _moment(ts: Timestamp) -> datetime:
    """Timestamp.ToDatetime, at a tenth of its cost."""
    return datetime.fromtimestamp(ts.seconds, UTC).replace(microsecond=ts.nanos // 1000)


def _each(field: str, payloads: Sequence[Message]) -> Iterator[Any]:
    return map(attrgetter(field), payloads)


@dataclass(frozen=True, slots=True)
class IngestConfig:
    batch_rows: int = 5000
    # An insert has a fixed cost (~10-20 ms in chDB) whatever its size: at 1,000 calls/s a
    # 0.2 s batch cost metering ~140 us of CPU per call, a 0.5 s one ~50 (`make bench
    # ARGS=request-path`, concurrency 16), for rows that land ~0.3 s later.
    batch_wait_s: float = 0.5
    retry_delay_s: float = 0.5  # nak delay of a message that failed (before it is parked)
    outage_backoff_s: float = 1.0  # between insert attempts while the store is unreachable


class Ingestor:
    """Runs the consumer loop as a task; `expect(event_id)` resolves once a delete applied."""

    def __init__(
        self,
        backend: Backend,
        consumer: DurableConsumer,
        config: IngestConfig | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.backend, self.consumer = backend, consumer
        self.config = config or IngestConfig()
        self.clock = clock
        self.parked = 0
        self._applied: dict[str, asyncio.Future[None]] = {}
        self._rows_per_message = _FIRST_ROWS_PER_MESSAGE
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> Ingestor:
        self._task = asyncio.create_task(self.run(), name="metering-ingest")
        self._task.add_done_callback(_report_death)
        return self

    async def stop(self, grace_s: float = 5.0) -> None:
        self._stopping.set()
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(self._task, grace_s)
            except TimeoutError:
                log.warning("ingest loop did not stop in %ss; its batch is redelivered", grace_s)
        await self.consumer.stop()

    def expect(self, event_id: str) -> asyncio.Future[None]:
        """A future set when the UsageDeleted with this event id has been applied."""
        return self._applied.setdefault(event_id, asyncio.get_running_loop().create_future())

    async def run(self) -> None:
        """Fetch about `batch_rows` rows (as many messages as the last fetch's rows per
        message suggest); insert every `batch_rows` rows and at the end of each fetch."""
        while not self._stopping.is_set():
            fetched = await self._fetch(self._fetch_size(), self.config.batch_wait_s)
            try:
                await self._ingest(fetched)
            except StoreUnavailable:
                log.warning("stopped with rows not inserted; NATS redelivers them")

    async def _ingest(self, fetched: Sequence[Delivery]) -> None:
        pending: list[Delivery] = []
        rows = 0
        for d in fetched:
            pending = await self._route(d, pending)
            rows = rows + rows_of(d.event) if pending else 0
            if rows >= self.config.batch_rows:
                await self._flush(pending)
                pending, rows = [], 0
        await self._flush(pending)
        if fetched:
            total = sum(rows_of(d.event) for d in fetched)
            self._rows_per_message = max(total // len(fetched), 1)

    def _fetch_size(self) -> int:
        return max(self.config.batch_rows // self._rows_per_message, 1)

    async def _fetch(self, batch: int, wait_s: float) -> list[Delivery]:
        try:
            return await self.consumer.fetch(max(batch, 1), wait_s)
        except BusUnavailable as exc:
            log.warning("cannot fetch usage events; retrying: %s", exc)
            await asyncio.sleep(0.5)
            return []

    async def _route(self, d: Delivery, pending: list[Delivery]) -> list[Delivery]:
        """Add a usage event to the batch, or apply what is not one; return the batch."""
        if d.event is None:
            await self._failed(d, "does not decode")
            return pending
        payload = d.event.payload
        if isinstance(payload, (usage_pb2.UsageRecorded, usage_pb2.UsageRecordedBatch)):
            pending.append(d)
            return pending
        await self._flush(pending)
        if isinstance(payload, usage_pb2.UsageDeleted):
            await self._delete(d, payload)
        else:
            await d.ack()  # another type on USAGE: not ours to store
        return []

    async def _flush(self, batch: Sequence[Delivery]) -> None:
        if not batch:
            return
        columns = request_columns([d.event for d in batch if d.event is not None])
        try:
            await self._insert_held(batch, columns)
        except StoreFailed as exc:
            log.warning("a batch was refused (%s); inserting its rows one by one", exc)
            await self._insert_each(batch)
            return
        await self.consumer.ack_all(batch)
        self._observe_lag(columns)

    async def _insert_held(self, batch: Sequence[Delivery], columns: Columns) -> None:
        """Insert, retrying for as long as the store is unreachable (StoreFailed is raised)."""
        while True:
            began = time.perf_counter()
            try:
                await self.backend.insert_columns("requests", columns)
            except StoreUnavailable as exc:
                if self._stopping.is_set():
                    raise
                log.warning("analytics store unreachable; holding %d rows: %s", len(batch), exc)
                await asyncio.gather(*(d.in_progress() for d in batch))
                await asyncio.sleep(self.config.outage_backoff_s)
                continue
            INSERT_S.observe(time.perf_counter() - began)
            ROWS.inc(columns.rows)
            BATCHES.inc()
            return

    async def _insert_each(self, batch: Sequence[Delivery]) -> None:
        for d in batch:
            assert d.event is not None  # batches hold decoded events only
            try:
                await self.backend.insert_columns("requests", request_columns([d.event]))
            except StoreFailed:
                await self._failed(d, "refused by the store")
                continue
            await d.ack()
            ROWS.inc(rows_of(d.event))

    async def _delete(self, d: Delivery, deleted: usage_pb2.UsageDeleted) -> None:
        before = deleted.before.ToDatetime(tzinfo=UTC) if deleted.HasField("before") else None
        try:
            await queries.delete_org(self.backend, deleted.org_id, before or self.clock())
        except StoreFailed:
            await self._failed(d, "deletion refused by the store")
            return
        await d.ack()
        log.info("deleted usage rows", extra={"org_id": deleted.org_id, "seq": d.seq})
        assert d.event is not None  # routed here decoded
        waiter = self._applied.pop(d.event.event_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _failed(self, d: Delivery, why: str) -> None:
        """Redeliver later, or park it on its last delivery. Never logs the payload."""
        if d.num_delivered < self.consumer.max_deliver:
            await d.nak(self.config.retry_delay_s)
            return
        await d.term()
        self.parked += 1
        PARKED.inc()
        log.error(
            "parked a USAGE message after %d deliveries: it %s",
            d.num_delivered,
            why,
            extra={"stream": self.consumer.stream.value, "seq": d.seq},
        )

    def _observe_lag(self, columns: Columns) -> None:
        """The batch's oldest row (one observation per batch keeps it off the row path)."""
        occurred_ms = columns.values[_OCCURRED]
        if occurred_ms:
            oldest = EPOCH + min(cast(Sequence[int], occurred_ms)) * _MS
            LAG_S.observe(max((self.clock() - oldest).total_seconds(), 0.0))


def _report_death(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("the usage ingest loop died; metering is not ready", exc_info=exc)
