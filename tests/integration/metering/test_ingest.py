"""The usage consumer on the real nats-server and chDB: every UsageRecorded becomes exactly
one row (duplicates, reinserts and a crash between insert and ack included), a poison
message is parked after max_deliver without holding back the rest, and a NATS restart
loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from hicap.bus import Bus, DurableConsumer, connect, ensure_streams, publish
from hicap.events import Stream
from hicap.metering import queries
from hicap.metering.backends import Backend, Columns, Row
from hicap.metering.errors import StoreFailed
from hicap.metering.ingest import Ingestor
from tests.asserts import assert_eventually
from tests.fixtures.backends import WrappedBackend
from tests.fixtures.servers import NatsServer
from tests.integration.metering.conftest import FAST, StartIngest, usage, usage_event, window


class CrashAfterInsert(Exception):
    """The process dying after the rows are written and before the acks."""


class Faulty(WrappedBackend):
    """A backend that breaks once in a chosen way after (or instead of) a real insert."""

    def __init__(self, inner: Backend, fault: type[Exception]) -> None:
        super().__init__(inner)
        self.fault, self.faults = fault, 0

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        await self.inner.insert(table, columns, rows)
        self._maybe_fail(len(rows))

    async def insert_columns(self, table: str, batch: Columns) -> None:
        await self.inner.insert_columns(table, batch)
        self._maybe_fail(batch.rows)

    def _maybe_fail(self, rows: int) -> None:
        if self.faults == 0 and rows > 1:
            self.faults += 1
            raise self.fault("injected")


async def publish_usage(bus: Bus, org_id: str, n: int, *, duplicates: int = 0) -> None:
    """n distinct requests (1500 micros each), the first `duplicates` published twice as new
    events (a publisher that retried after losing its ack window)."""
    payloads = [usage(org_id, f"req_{i}") for i in range(n)]
    for p in [*payloads, *payloads[:duplicates]]:
        await publish(bus, usage_event(p))


async def assert_totals(store: Backend, org_id: str, n: int, within_s: float = 15) -> None:
    async def exact() -> None:
        groups = await queries.usage(store, org_id, *window(), "model")
        assert [(g.requests, g.cost_micros, g.input_tokens) for g in groups] == [
            (n, n * 1500, n * 100)
        ]

    await assert_eventually(exact, timeout=within_s)


async def test_duplicated_and_reinserted_events_give_one_row_each(
    bus: Bus, backend: Backend, start_ingest: StartIngest, org_id: str
) -> None:
    # The first batch is inserted, then refused: its rows are inserted again one by one.
    faulty = Faulty(backend, StoreFailed)
    await start_ingest(faulty)
    await publish_usage(bus, org_id, 300, duplicates=40)
    await assert_totals(backend, org_id, 300)
    assert faulty.faults == 1


async def test_a_poison_message_is_parked_after_max_deliver_and_the_rest_land(
    bus: Bus, backend: Backend, start_ingest: StartIngest, org_id: str
) -> None:
    ingestor = await start_ingest(backend, max_deliver=3)
    await publish_usage(bus, org_id, 10)
    await bus.js.publish("hicap.usage.recorded.v1", b"\xff not an envelope", stream="USAGE")
    await publish_usage(bus, f"{org_id}_later", 5)
    await assert_totals(backend, org_id, 10)
    await assert_totals(backend, f"{org_id}_later", 5)
    await assert_eventually(lambda: ingestor.parked == 1, timeout=10)


async def test_a_consumer_that_dies_between_insert_and_ack_inserts_nothing_twice(
    bus: Bus, backend: Backend, start_ingest: StartIngest, org_id: str
) -> None:
    first = await start_ingest(Faulty(backend, CrashAfterInsert), ack_wait_s=1, run=False)
    await publish_usage(bus, org_id, 50)
    with pytest.raises(CrashAfterInsert):
        await first.run()
    await first.consumer.stop()
    assert await queries.count_requests(backend, org_id) > 0  # the batch was written...
    await start_ingest(backend, ack_wait_s=1)  # ...and is redelivered to the restarted one
    await assert_totals(backend, org_id, 50)


async def test_rows_published_across_a_nats_restart_all_land_once(
    nats_server_factory: Callable[..., NatsServer], backend: Backend, org_id: str
) -> None:
    server = nats_server_factory()
    bus = await connect(server.url, name="metering-test")
    await ensure_streams(bus)
    consumer = await DurableConsumer(bus, Stream.USAGE, "metering", "hicap.usage.>").start()
    ingestor = Ingestor(backend, consumer, FAST).start()
    try:
        await publish_usage(bus, org_id, 20)
        await assert_totals(backend, org_id, 20)
        await asyncio.to_thread(server.restart)
        payloads = [usage(org_id, f"late_{i}") for i in range(20)]
        for p in payloads:
            await publish(bus, usage_event(p), timeout_s=20)
        await assert_totals(backend, org_id, 40, within_s=30)
    finally:
        await ingestor.stop()
        await bus.close()
