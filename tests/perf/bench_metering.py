"""Metering on a real nats-server and chDB: ingestion rate of one consumer draining a
backlog (of batches of 256 requests, as ingress publishes them, and of one event per
request), lag (a request's end to its row inserted) at a steady 500 requests/s published
through ingress's UsagePublisher, and a 30-day group-by-model query over 10 million rows
of one org.

Targets: >= 50,000 rows/s, p99 lag < 2 s, query < 1 s. Prints numbers, asserts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvloop
from google.protobuf.message import Message

from hicap.bus import Bus, DurableConsumer, connect, ensure_streams, stream_last_seq
from hicap.bus.publish import event_headers
from hicap.events import Event, Stream, decode, encode, new_event, usage_pb2
from hicap.ingress.usage import UsagePublisher
from hicap.metering import queries
from hicap.metering.backends import EPOCH, Backend, ChdbBackend, Columns, Params, Row
from hicap.metering.ingest import Ingestor, request_columns, request_row
from hicap.metering.schema import COLUMN_NAMES, migrate
from tests.asserts import assert_eventually
from tests.fixtures.backends import WrappedBackend
from tests.fixtures.servers import start_nats_server

N_BACKLOG = 200_000
BATCH = 256  # requests per message, as ingress's UsagePublisher publishes them
STEADY_RATE = 500  # events/s
STEADY_S = 10.0
N_QUERY_ROWS = 10_000_000
N_STEP_ROWS = 10_000
DRAIN_LIMIT_S = 120.0


class Watched(WrappedBackend):
    """The real backend, counting inserted rows and each row's lag when its insert ends."""

    def __init__(self, inner: Backend) -> None:
        super().__init__(inner)
        self.rows, self.lags_s = 0, list[float]()
        self.target, self.reached = 0, asyncio.Event()

    async def wait_rows(self, n: int, limit_s: float) -> None:
        """Until `n` rows in all have been inserted, or `limit_s` is up."""
        self.target, self.reached = n, asyncio.Event()
        if self.rows < n:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.reached.wait(), limit_s)

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        await self.inner.insert(table, columns, rows)
        self._count(len(rows))

    async def insert_columns(self, table: str, batch: Columns) -> None:
        await self.inner.insert_columns(table, batch)
        now_ms = (datetime.now(UTC) - EPOCH) / timedelta(milliseconds=1)
        self._count(batch.rows)
        if "occurred_at" in batch.names:
            occurred = batch.values[batch.names.index("occurred_at")]
            self.lags_s += [(now_ms - ms) / 1000 for ms in occurred if isinstance(ms, int)]

    def _count(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= self.target:
            self.reached.set()


def usage(org_id: str, i: int, started_at: datetime) -> usage_pb2.UsageRecorded:
    msg = usage_pb2.UsageRecorded(
        request_id=f"req_{uuid.uuid4().hex}", org_id=org_id, team_id="team_1", app_id="app_1",
        key_id="key_1", model_requested="gpt-5.4", model_served="gpt-5.4", provider="openai",
        lane=usage_pb2.LANE_ON_DEMAND, input_tokens=100 + i % 900, output_tokens=20,
        total_cost_micros=1500, latency_ms=200 + i % 50, http_status=200, api_surface="openai",
    )  # fmt: skip
    msg.started_at.FromDatetime(started_at)
    return msg


def backlog_event(org_id: str, first: int, per_message: int, now: datetime) -> Event[Message]:
    """One USAGE message of `per_message` requests: a single event, or a batch (as ingress)."""
    if per_message == 1:
        return new_event(usage(org_id, first, now), org_id=org_id)
    records = [usage(org_id, i, now) for i in range(first, first + per_message)]
    return new_event(usage_pb2.UsageRecordedBatch(records=records), org_id=org_id)


async def publish_backlog(bus: Bus, org_id: str, n: int, per_message: int = 1) -> float:
    """Setup, not measured: core-NATS publishes the stream captures (no ack round trip
    each), then wait until the stream holds them all. Returns requests per second."""
    began, now = time.perf_counter(), datetime.now(UTC)
    messages = -(-n // per_message)
    target = await stream_last_seq(bus, Stream.USAGE) + messages
    for m in range(messages):
        first = m * per_message
        event = backlog_event(org_id, first, min(per_message, n - first), now)
        await bus.nc.publish(event.subject, encode(event), headers=event_headers(event))
        if m % max(5000 // per_message, 1) == 0:
            await bus.nc.flush()

    async def stored() -> None:
        assert await stream_last_seq(bus, Stream.USAGE) >= target

    await assert_eventually(stored, timeout=60, interval=0.1)
    return messages * per_message / (time.perf_counter() - began)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


class Discard:
    """A store that keeps nothing: draining into it measures the bus path alone (pull,
    decode, build the batch, ack)."""

    database = "discard"

    async def execute(self, sql: str, params: Params | None = None) -> None:
        return None

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        return None

    async def insert_columns(self, table: str, batch: Columns) -> None:
        return None

    async def query(self, sql: str, params: Params | None = None) -> list[Row]:
        return []

    async def close(self) -> None:
        return None


async def drain(bus: Bus, store: Watched, label: str, n: int, per_message: int) -> None:
    start_seq = await stream_last_seq(bus, Stream.USAGE) + 1
    rate = await publish_backlog(bus, "org_bench_backlog", n, per_message)
    print(f"{'publish backlog (for setup)':<40} {rate:,.0f} requests/s")
    durable = f"bench_{uuid.uuid4().hex[:8]}"
    consumer = await DurableConsumer(
        bus, Stream.USAGE, durable, "hicap.usage.>", start_seq=start_seq
    ).start()
    began, before = time.perf_counter(), store.rows
    ingestor = Ingestor(store, consumer).start()
    await store.wait_rows(before + n, DRAIN_LIMIT_S)
    elapsed = time.perf_counter() - began
    await ingestor.stop()
    rows = store.rows - before
    print(f"{label:<40} {rows / elapsed:,.0f} rows/s "
          f"({rows:,} rows in {elapsed:.2f} s; target >= 50,000)")  # fmt: skip


async def steady(bus: Bus, store: Watched) -> None:
    """Requests finishing at 500/s, published as ingress does (batched by UsagePublisher);
    lag from each request's end (started_at + latency_ms) to its row being inserted."""
    consumer = await DurableConsumer(
        bus, Stream.USAGE, "bench_steady", "hicap.usage.>",
        start_seq=(await bus.js.stream_info(Stream.USAGE.value)).state.last_seq + 1,
    ).start()  # fmt: skip
    store.lags_s.clear()
    before = store.rows
    ingestor = Ingestor(store, consumer).start()
    publisher = await UsagePublisher(bus).start()
    n, began = int(STEADY_RATE * STEADY_S), time.perf_counter()
    for i in range(n):
        await asyncio.sleep(max(began + i / STEADY_RATE - time.perf_counter(), 0))
        payload = usage("org_bench_steady", i, datetime.now(UTC))
        payload.started_at.FromDatetime(
            datetime.now(UTC) - timedelta(milliseconds=payload.latency_ms)
        )
        publisher.record(Event(payload, payload.request_id, datetime.now(UTC), "org_bench_steady"))
    await publisher.close(timeout_s=30)
    await store.wait_rows(before + n, 30)
    await ingestor.stop()
    lags_ms = [s * 1000 for s in store.lags_s]
    print(f"{'lag at 500 requests/s (batched)':<40} p50 {pct(lags_ms, 50):.0f} ms  p99 {pct(lags_ms, 99):.0f} ms "
          f"({len(lags_ms):,} requests; target p99 < 2000 ms)")  # fmt: skip


async def big_query(store: Backend) -> None:
    db, end = store.database, datetime(2026, 11, 24, tzinfo=UTC)
    start = end - timedelta(days=30)
    began = time.perf_counter()
    columns = ", ".join(COLUMN_NAMES)
    await store.execute(
        f"INSERT INTO {db}.requests ({columns}) SELECT 'req_' || toString(number),"
        f" fromUnixTimestamp64Milli({queries.epoch_ms(start)} + intDiv(number * 2592000000,"
        f" {N_QUERY_ROWS}), 'UTC'), 'org_bench_big', 'team_' || toString(number % 7),"
        " 'app_' || toString(number % 13), 'key_' || toString(number % 29), '', '',"
        " 'm' || toString(number % 12), 'm' || toString(number % 12), 'openai', 'd', 'on-demand',"
        " number % 1000, 0, 0, number % 300, 0, 0, 0, 0, 0, number % 5000, number % 6000,"
        " toInt32(number % 3000), 0, 200, 'stop', false, '', 'openai', '',"
        f" now64(3) FROM numbers({N_QUERY_ROWS})"
    )
    print(f"{'generate 10M rows (setup)':<40} {time.perf_counter() - began:.1f} s")
    for attempt in ("cold", "warm"):
        began = time.perf_counter()
        groups = await queries.usage(store, "org_bench_big", start, end, "model")
        elapsed_ms = (time.perf_counter() - began) * 1000
        total = sum(g.requests for g in groups)
        print(f"{'30-day group-by-model, 10M rows ' + attempt:<40} {elapsed_ms:.0f} ms "
              f"({len(groups)} groups, {total:,} rows; target < 1000 ms)")  # fmt: skip


def per_row_us(step: Callable[[], object], n: int, repeats: int = 3) -> float:
    """The best of `repeats` runs of `step` over `n` rows, in microseconds per row."""
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - began)
    return best / n * 1e6


async def steps(store: Backend) -> None:
    """Each step of the ingest path on N_STEP_ROWS events, alone (no NATS): decode, build the
    batch, insert it, the old path (row tuples, one JSONCompactColumns document) beside."""
    now = datetime.now(UTC)
    datas = [
        encode(new_event(usage("org_steps", i, now), org_id="org_steps"))
        for i in range(N_STEP_ROWS)
    ]
    events = [decode(d) for d in datas]
    loop = asyncio.get_running_loop()

    def insert(coro: Callable[[], Awaitable[None]]) -> Callable[[], object]:
        return lambda: asyncio.run_coroutine_threadsafe(coro(), loop).result()

    rows = [request_row(e) for e in events]
    batch = request_columns(events)
    timings = {
        "decode (in hicap.bus)": lambda: [decode(d) for d in datas],
        "build rows (old)": lambda: [request_row(e) for e in events],
        "build columns": lambda: request_columns(events),
        "insert JSONCompactColumns (old)": insert(lambda: store.insert("requests", COLUMN_NAMES, rows)),
        "insert Python(columns)": insert(lambda: store.insert_columns("requests", batch)),
    }  # fmt: skip
    for label, step in timings.items():
        us = await asyncio.to_thread(per_row_us, step, N_STEP_ROWS)
        print(f"{'step: ' + label:<40} {us:6.2f} us/row ({N_STEP_ROWS:,} rows)")


async def run(url: str, chdb_path: Path) -> None:
    bus = await connect(url, name="bench-metering")
    await ensure_streams(bus)
    store = Watched(ChdbBackend(chdb_path, "bench"))
    await migrate(store)
    await drain(bus, store, "ingest: drain, batches of 256", N_BACKLOG, BATCH)
    await drain(bus, store, "ingest: drain, one event per message", N_BACKLOG, 1)
    await drain(bus, Watched(Discard()), "ingest ceiling: batches, no store", N_BACKLOG, BATCH)
    await drain(bus, Watched(Discard()), "ingest ceiling: singles, no store", N_BACKLOG // 2, 1)
    await steady(bus, store)
    await big_query(store)
    await steps(store.inner)  # last: its rows stay out of the numbers above
    await bus.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hicap-bench-metering-") as tmp:
        server = start_nats_server(Path(tmp) / "nats")
        try:
            uvloop.run(run(server.url, Path(tmp) / "chdb"))
        finally:
            server.stop()
