"""Batched usage (`UsageRecordedBatch`, as ingress publishes it) into `requests`: each record
is one row, field for field the row its single event would make; a batch redelivered or
republished doubles nothing; batches bigger than the insert batch land whole; a batch
the store refuses is parked whole while the others land; singles and batches mix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from google.protobuf.message import Message

from hicap.bus import Bus, publish
from hicap.events import Event, new_event, usage_pb2
from hicap.metering import queries
from hicap.metering.backends import Backend, Columns
from hicap.metering.errors import StoreFailed
from hicap.metering.ingest import request_columns, rows_of
from tests.asserts import assert_eventually
from tests.fixtures.backends import WrappedBackend
from tests.integration.metering.conftest import StartIngest, usage, usage_event
from tests.integration.metering.test_ingest import CrashAfterInsert, Faulty, assert_totals
from tests.integration.metering.test_insert_paths import read_back, varied_events


def as_ingress_makes_it(event: Event[Message]) -> Event[Message]:
    """A single event as ingress makes one: its id is the request id, it occurred at
    started_at + latency_ms."""
    u = event.payload
    assert isinstance(u, usage_pb2.UsageRecorded)
    ended = u.started_at.ToDatetime(tzinfo=event.occurred_at.tzinfo)
    ended += timedelta(milliseconds=u.latency_ms)
    return Event(u, u.request_id, ended, event.org_id)


def batch(org_id: str, payloads: Sequence[usage_pb2.UsageRecorded]) -> Event[Message]:
    return new_event(usage_pb2.UsageRecordedBatch(records=payloads), org_id=org_id)


async def publish_batches(bus: Bus, org_id: str, n: int, per_batch: int, prefix: str = "b") -> None:
    payloads = [usage(org_id, f"{prefix}_{i}") for i in range(n)]
    for first in range(0, n, per_batch):
        await publish(bus, batch(org_id, payloads[first : first + per_batch]))


class Refusing(WrappedBackend):
    """A store that refuses any insert holding a row of `poison` (as a store refuses a row)."""

    def __init__(self, inner: Backend, poison: str) -> None:
        super().__init__(inner)
        self.poison = poison

    async def insert_columns(self, table: str, batch: Columns) -> None:
        if self.poison in batch.values[batch.names.index("request_id")]:
            raise StoreFailed("refused")
        await self.inner.insert_columns(table, batch)


async def test_a_batchs_rows_equal_its_single_events_rows_field_for_field(
    any_backend: Backend, org_id: str
) -> None:
    singles = [as_ingress_makes_it(e) for e in varied_events(org_id)]
    await any_backend.insert_columns("requests", request_columns(singles))
    from_singles = await read_back(any_backend, org_id)
    await any_backend.execute(f"TRUNCATE TABLE {any_backend.database}.requests")
    payloads = [e.payload for e in singles]
    await any_backend.insert_columns("requests", request_columns([batch(org_id, payloads)]))  # type: ignore[misc]  # UsageRecorded payloads
    assert len(from_singles) == len(singles)
    assert await read_back(any_backend, org_id) == from_singles


def test_a_batch_makes_one_row_per_record_and_other_events_none() -> None:
    records = [usage("org", f"r{i}") for i in range(3)]
    assert rows_of(batch("org", records)) == 3
    assert rows_of(usage_event(records[0])) == 1
    assert rows_of(new_event(usage_pb2.UsageDeleted(org_id="org"))) == 0
    assert request_columns([batch("org", records), usage_event(usage("org"))]).rows == 4


async def test_batches_bigger_than_an_insert_land_one_row_per_request(
    bus: Bus, backend: Backend, start_ingest: StartIngest, org_id: str
) -> None:
    await start_ingest(backend)  # inserts at most 500 rows at a time
    await publish_batches(bus, org_id, 2560, 256)
    await assert_totals(backend, org_id, 2560)


async def test_singles_and_batches_mix_and_a_republished_batch_doubles_nothing(
    bus: Bus, backend: Backend, start_ingest: StartIngest, org_id: str
) -> None:
    await start_ingest(backend)
    payloads = [usage(org_id, f"req_{i}") for i in range(30)]
    await publish(bus, batch(org_id, payloads[:20]))
    await publish(bus, batch(org_id, payloads[:20]))  # a new event id: not deduplicated by NATS
    for p in payloads[20:]:
        await publish(bus, usage_event(p))
    await assert_totals(backend, org_id, 30)


async def test_a_batch_that_dies_between_insert_and_ack_inserts_nothing_twice(
    bus: Bus, backend: Backend, start_ingest: StartIngest, org_id: str
) -> None:
    first = await start_ingest(Faulty(backend, CrashAfterInsert), ack_wait_s=1, run=False)
    await publish_batches(bus, org_id, 300, 100)
    with pytest.raises(CrashAfterInsert):
        await first.run()
    await first.consumer.stop()
    assert await queries.count_requests(backend, org_id) > 0  # the batch was written...
    await start_ingest(backend, ack_wait_s=1)  # ...and is redelivered to the restarted one
    await assert_totals(backend, org_id, 300)


async def test_a_batch_the_store_refuses_is_parked_whole_and_the_others_land(
    bus: Bus, backend: Backend, start_ingest: StartIngest, org_id: str
) -> None:
    ingestor = await start_ingest(Refusing(backend, "poison_1"), max_deliver=2)
    await publish_batches(bus, org_id, 40, 10, prefix="good")
    await publish_batches(bus, f"{org_id}_bad", 10, 10, prefix="poison")
    await publish_batches(bus, org_id, 40, 10, prefix="later")
    await assert_totals(backend, org_id, 80)
    await assert_eventually(lambda: ingestor.parked == 1, timeout=10)
    assert await queries.count_requests(backend, f"{org_id}_bad") == 0
