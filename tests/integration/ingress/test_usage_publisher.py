"""The usage publisher over a real nats-server: calls land on USAGE batched (many calls, one
message, one event id made once), survive NATS going away for a few seconds (none lost,
none doubled: a failed batch is retried under its own id and stored once), are flushed at
shutdown, a lone call goes out after the linger, and a full buffer drops and counts
instead of blocking a request."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial

import pytest
from google.protobuf.message import Message
from nats.js.errors import NotFoundError

from hicap.bus import Bus, connect, ensure_streams
from hicap.events import Event, Stream, decode, new_event, usage_pb2
from hicap.ingress import usage_publisher
from hicap.ingress.usage import UsageEvent, UsagePublisher
from tests.asserts import assert_eventually
from tests.fixtures.servers import NatsServer


def usage(org_id: str, n: int) -> UsageEvent:
    payload = usage_pb2.UsageRecorded(
        request_id=f"req-{n}", org_id=org_id, input_tokens=n, output_tokens=2 * n
    )
    return new_event(payload, org_id=org_id)


@dataclass(frozen=True)
class StoredBatch:
    msg_id: str
    event: Event[usage_pb2.UsageRecordedBatch]

    @property
    def request_ids(self) -> list[str]:
        return [r.request_id for r in self.event.payload.records]


async def stored(bus: Bus, org_id: str) -> list[StoredBatch]:
    """Every usage batch holding a record of one org on USAGE, in stream order."""
    out = []
    info = await bus.js.stream_info(Stream.USAGE.value)
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await bus.js.get_msg(Stream.USAGE.value, seq)
        except NotFoundError:
            continue
        event = decode(msg.data or b"")
        payload = event.payload
        if isinstance(payload, usage_pb2.UsageRecordedBatch) and any(
            r.org_id == org_id for r in payload.records
        ):
            out.append(StoredBatch((msg.headers or {}).get("Nats-Msg-Id", ""), event))  # type: ignore[arg-type]  # the payload type is checked above
    return out


async def stored_ids(bus: Bus, org_id: str) -> list[str]:
    """The request ids of one org's records on USAGE, in stream order."""
    return [rid for batch in await stored(bus, org_id) for rid in batch.request_ids]


@pytest.fixture
async def private_nats(
    nats_server_factory: Callable[..., NatsServer],
) -> AsyncIterator[tuple[NatsServer, Bus]]:
    """A nats-server of this test's own (to stop and restart), and a bus connected to it."""
    server = nats_server_factory()
    bus = await connect(server.url, name="usage-publisher-test")
    await ensure_streams(bus)
    yield server, bus
    await bus.close()


async def test_calls_recorded_together_land_as_one_message_under_a_uuid7(
    bus: Bus, org_id: str
) -> None:
    publisher = await UsagePublisher(bus).start()
    events = [usage(org_id, n) for n in range(20)]
    for event in events[:10]:
        publisher.record(event)
    for event in events[10:]:
        publisher.record(partial(lambda e: e, event))  # built in the background
    await assert_eventually(lambda: publisher.published == 20, timeout=10)
    [batch] = await stored(bus, org_id)
    assert list(batch.event.payload.records) == [e.payload for e in events]
    assert batch.msg_id == batch.event.event_id
    assert uuid.UUID(batch.event.event_id).version == 7
    assert batch.event.org_id == org_id
    await publisher.close()


async def test_a_batch_holds_at_most_batch_max_calls(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus, batch_max=8, linger_s=5.0).start()
    for n in range(20):
        publisher.record(usage(org_id, n))
    await assert_eventually(lambda: publisher.published == 16, timeout=3)  # well before 5 s
    sizes = [len(b.request_ids) for b in await stored(bus, org_id)]
    assert sizes == [8, 8]
    assert await publisher.flush(timeout_s=10) == 0
    assert [len(b.request_ids) for b in await stored(bus, org_id)] == [8, 8, 4]
    await publisher.close()


async def test_a_lone_call_is_published_after_the_linger(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus, linger_s=0.3).start()
    publisher.record(usage(org_id, 1))
    await asyncio.sleep(0.1)
    assert publisher.published == 0  # still lingering for company
    await assert_eventually(lambda: publisher.published == 1, timeout=5)
    assert await stored_ids(bus, org_id) == ["req-1"]
    await publisher.close()


async def test_a_failed_publish_is_retried_under_the_same_event_id_and_stored_once(
    bus: Bus, org_id: str
) -> None:
    class LostAck(Exception):
        pass

    attempts: list[str] = []
    real = usage_publisher.publish

    async def ack_lost_once(bus: Bus, event: Event[Message], *, timeout_s: float) -> object:
        attempts.append(event.event_id)
        published = await real(bus, event, timeout_s=timeout_s)
        if len(attempts) == 1:
            raise LostAck("stored, but the ack never came back")
        return published

    publisher = UsagePublisher(bus, max_backoff_s=0.1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(usage_publisher, "publish", ack_lost_once)
        await publisher.start()
        for n in range(5):
            publisher.record(usage(org_id, n))
        assert await publisher.flush(timeout_s=10) == 0
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert (publisher.published, publisher.failures) == (5, 1)
    [batch] = await stored(bus, org_id)
    assert batch.event.event_id == attempts[0]
    assert batch.request_ids == [f"req-{n}" for n in range(5)]
    await publisher.close()


async def test_an_outage_delays_usage_but_loses_and_doubles_none(
    private_nats: tuple[NatsServer, Bus], org_id: str
) -> None:
    server, bus = private_nats
    publisher = await UsagePublisher(
        bus, attempt_timeout_s=0.5, max_backoff_s=0.3, concurrency=8, batch_max=4
    ).start()
    before = [usage(org_id, n) for n in range(10)]
    for event in before:
        publisher.record(event)
    await assert_eventually(lambda: publisher.published == 10, timeout=10)

    server.stop()
    during = [usage(org_id, n) for n in range(10, 60)]
    for event in during:
        publisher.record(event)  # the request path goes on while NATS is away
    await assert_eventually(lambda: publisher.failures > 0, timeout=10)
    await asyncio.sleep(2.0)  # NATS stays away for a few seconds
    assert publisher.published == 10 and publisher.unsettled == 50
    server.restart()

    await assert_eventually(lambda: publisher.published == 60, timeout=30)
    ids = await stored_ids(bus, org_id)
    assert sorted(ids) == sorted(e.payload.request_id for e in before + during)  # none lost
    assert len(ids) == len(set(ids)) == 60  # none doubled
    assert publisher.dropped == 0
    await publisher.close()


async def test_closing_publishes_what_is_still_buffered(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus, concurrency=4, batch_max=16).start()
    events = [usage(org_id, n) for n in range(200)]
    for event in events:
        publisher.record(event)
    await publisher.close(timeout_s=10)
    assert publisher.published == 200
    assert sorted(await stored_ids(bus, org_id)) == sorted(e.payload.request_id for e in events)


async def test_closing_with_nats_away_gives_up_after_its_timeout_and_counts_the_loss(
    private_nats: tuple[NatsServer, Bus], org_id: str
) -> None:
    server, bus = private_nats
    publisher = await UsagePublisher(bus, attempt_timeout_s=0.2, max_backoff_s=0.1).start()
    server.stop()
    for n in range(3):
        publisher.record(usage(org_id, n))
    await asyncio.wait_for(publisher.close(timeout_s=0.5), 5)
    assert (publisher.published, publisher.dropped) == (0, 3)
    server.restart()
    await assert_eventually(lambda: bus.connected, timeout=10)  # Bus.close needs a connection


async def test_a_full_buffer_drops_counts_and_logs_once_per_burst(
    bus: Bus, org_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    publisher = UsagePublisher(bus, capacity=5)  # not started: nothing drains yet
    with caplog.at_level(logging.ERROR, logger="hicap.ingress.usage_publisher"):
        for n in range(8):
            publisher.record(usage(org_id, n))  # never blocks, never raises
    assert (publisher.dropped, publisher.unsettled) == (3, 5)
    assert len([r for r in caplog.records if "buffer full" in r.getMessage()]) == 1
    await publisher.start()
    assert await publisher.flush(timeout_s=10) == 0
    assert publisher.published == 5
    assert len(await stored_ids(bus, org_id)) == 5
    await publisher.close()


async def test_an_event_that_cannot_be_built_is_dropped_and_the_rest_published(
    bus: Bus, org_id: str
) -> None:
    def broken() -> UsageEvent:
        raise KeyError("a bug")

    publisher = await UsagePublisher(bus).start()
    publisher.record(broken)
    publisher.record(usage(org_id, 1))
    assert await publisher.flush(timeout_s=10) == 0
    assert (publisher.published, publisher.dropped) == (1, 1)
    await publisher.close()


async def test_the_same_call_recorded_twice_is_one_record(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus).start()
    event = usage(org_id, 7)
    publisher.record(event)
    publisher.record(event)
    assert await publisher.flush(timeout_s=10) == 0
    assert await stored_ids(bus, org_id) == ["req-7"]
    await publisher.close()


async def test_a_record_without_an_org_carries_its_events_org(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus).start()
    publisher.record(new_event(usage_pb2.UsageRecorded(request_id="req-x"), org_id=org_id))
    assert await publisher.flush(timeout_s=10) == 0
    [batch] = await stored(bus, org_id)
    assert [r.org_id for r in batch.event.payload.records] == [org_id]
    await publisher.close()
