"""The usage publisher over a real nats-server: events land on USAGE under their own id,
survive NATS going away for a few seconds (none lost, none doubled), are flushed at
shutdown, and a full buffer drops and counts instead of blocking a request."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from functools import partial

import pytest
from nats.js.errors import NotFoundError

from hicap.bus import Bus, connect, ensure_streams
from hicap.events import Event, Stream, decode, new_event, usage_pb2
from hicap.ingress.usage import UsageEvent, UsagePublisher
from tests.asserts import assert_eventually
from tests.fixtures.servers import NatsServer


def usage(org_id: str, n: int) -> UsageEvent:
    payload = usage_pb2.UsageRecorded(
        request_id=f"req-{n}", org_id=org_id, input_tokens=n, output_tokens=2 * n
    )
    return new_event(payload, org_id=org_id)


async def stored(bus: Bus, org_id: str) -> list[tuple[str, Event[usage_pb2.UsageRecorded]]]:
    """(Nats-Msg-Id, event) of every usage event of one org on USAGE, in stream order."""
    out = []
    info = await bus.js.stream_info(Stream.USAGE.value)
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await bus.js.get_msg(Stream.USAGE.value, seq)
        except NotFoundError:
            continue
        event = decode(msg.data or b"")
        if event.org_id == org_id and isinstance(event.payload, usage_pb2.UsageRecorded):
            out.append(((msg.headers or {}).get("Nats-Msg-Id", ""), event))
    return out  # type: ignore[return-value]  # the payload type is checked above


async def stored_ids(bus: Bus, org_id: str) -> list[str]:
    return [event.event_id for _, event in await stored(bus, org_id)]


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


async def test_events_land_on_usage_under_their_own_id(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus).start()
    events = [usage(org_id, n) for n in range(20)]
    for event in events[:10]:
        publisher.record(event)
    for event in events[10:]:
        publisher.record(partial(lambda e: e, event))  # built in the background
    await assert_eventually(lambda: publisher.published == 20, timeout=10)
    rows = await stored(bus, org_id)
    assert [event for _, event in rows] == events
    assert all(msg_id == event.event_id for msg_id, event in rows)
    await publisher.close()


async def test_an_outage_delays_usage_but_loses_and_doubles_none(
    private_nats: tuple[NatsServer, Bus], org_id: str
) -> None:
    server, bus = private_nats
    publisher = await UsagePublisher(
        bus, attempt_timeout_s=0.5, max_backoff_s=0.3, concurrency=8
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
    assert sorted(ids) == sorted(e.event_id for e in before + during)  # none lost
    assert len(ids) == len(set(ids)) == 60  # none doubled
    assert publisher.dropped == 0
    await publisher.close()


async def test_closing_publishes_what_is_still_buffered(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus, concurrency=4).start()
    events = [usage(org_id, n) for n in range(200)]
    for event in events:
        publisher.record(event)
    await publisher.close(timeout_s=10)
    assert publisher.published == 200
    assert sorted(await stored_ids(bus, org_id)) == sorted(e.event_id for e in events)


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
    with caplog.at_level(logging.ERROR, logger="hicap.ingress.usage"):
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


async def test_the_same_event_recorded_twice_is_stored_once(bus: Bus, org_id: str) -> None:
    publisher = await UsagePublisher(bus).start()
    event = usage(org_id, 7)
    publisher.record(event)
    publisher.record(event)
    assert await publisher.flush(timeout_s=10) == 0
    assert await stored_ids(bus, org_id) == [event.event_id]
    await publisher.close()


def test_an_event_id_is_a_uuid7() -> None:
    assert uuid.UUID(usage("org", 1).event_id).version == 7
