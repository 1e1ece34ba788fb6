"""The durable pull consumer on the real nats-server: a fetch is bounded by its batch and
its time, what is not acked comes back (counted), a termed message never does, and a
consumer bound again resumes after what was acked."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hicap.bus import Bus, DurableConsumer, publish, stream_last_seq
from hicap.events import Stream, new_event, usage_pb2

Make = Callable[..., Awaitable[DurableConsumer]]


@pytest.fixture
async def make(bus: Bus) -> AsyncIterator[Make]:
    durable = f"test_{uuid.uuid4().hex[:12]}"
    first = await stream_last_seq(bus, Stream.USAGE) + 1
    made: list[DurableConsumer] = []

    async def create(**options: float) -> DurableConsumer:
        consumer = DurableConsumer(
            bus,
            Stream.USAGE,
            durable,
            "hicap.usage.>",
            start_seq=first,
            **options,  # type: ignore[arg-type]  # test options
        )
        made.append(consumer)
        return await consumer.start()

    yield create
    for consumer in made:
        await consumer.stop()
    await bus.js.delete_consumer(Stream.USAGE.value, durable)


async def publish_deletions(bus: Bus, org_id: str, n: int) -> None:
    for _ in range(n):
        await publish(bus, new_event(usage_pb2.UsageDeleted(org_id=org_id), org_id=org_id))


async def test_fetch_returns_at_most_the_batch_and_then_waits_no_longer_than_asked(
    bus: Bus, make: Make, org_id: str
) -> None:
    consumer = await make()
    await publish_deletions(bus, org_id, 5)
    first = await consumer.fetch(3, 2.0)
    assert [d.num_delivered for d in first] == [1, 1, 1]
    assert all(d.event is not None and d.event.org_id == org_id for d in first)
    rest = await consumer.fetch(10, 0.3)
    assert [d.seq for d in first + rest] == sorted(d.seq for d in first + rest)
    assert len(rest) == 2
    began = time.monotonic()
    assert await consumer.fetch(10, 0.3) == []
    assert time.monotonic() - began < 2.0


async def test_unacked_comes_back_counted_and_termed_never(
    bus: Bus, make: Make, org_id: str
) -> None:
    consumer = await make(ack_wait_s=0.5)
    await publish_deletions(bus, org_id, 2)
    kept, dropped = await consumer.fetch(2, 2.0)
    await dropped.term()
    await kept.nak(0.1)
    [again] = await consumer.fetch(5, 3.0)  # held no longer than half the ack wait
    assert (again.seq, again.num_delivered) == (kept.seq, 2)
    await consumer.ack_all([again])
    assert await consumer.fetch(5, 1.0) == []


async def test_a_consumer_bound_again_resumes_after_what_was_acked(
    bus: Bus, make: Make, org_id: str
) -> None:
    consumer = await make()
    await publish_deletions(bus, org_id, 3)
    done = await consumer.fetch(2, 2.0)
    await consumer.ack_all(done)
    await consumer.stop()
    again = await make(ack_wait_s=0.5)
    [left] = await again.fetch(5, 3.0)
    assert left.seq == max(d.seq for d in done) + 1


async def test_bytes_that_do_not_decode_arrive_as_an_error_not_an_event(
    bus: Bus, make: Make
) -> None:
    consumer = await make()
    await bus.js.publish("hicap.usage.recorded.v1", b"\xff junk", stream="USAGE")
    [d] = await consumer.fetch(1, 2.0)
    assert d.event is None and d.error is not None
    await d.term()
