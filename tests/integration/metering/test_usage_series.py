"""Metering's `usage_series` over the real bus and chDB: an org's tokens (input + output) of
one model per time bucket and lane, buckets aligned on the epoch, ascending, empty buckets
left out; other models and other orgs never counted; rows arrive through the real ingest
path (USAGE events on NATS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from hicap.bus import Bus, commands, publish
from hicap.errors import InvalidRequest
from hicap.events import usage_pb2
from hicap.events.v1 import metering_commands_pb2 as mc
from hicap.metering import queries
from hicap.metering.backends import Backend
from hicap.metering.handlers import MeteringHandlers
from tests.asserts import assert_eventually
from tests.integration.metering.conftest import T0, StartIngest, usage, usage_event

SERIES = commands.command_subject("metering", "usage_series")
RESERVED, ON_DEMAND, BYOK = usage_pb2.LANE_RESERVED, usage_pb2.LANE_ON_DEMAND, usage_pb2.LANE_BYOK


@pytest.fixture
async def series(
    bus: Bus, backend: Backend, start_ingest: StartIngest
) -> AsyncIterator[MeteringHandlers]:
    handlers = MeteringHandlers(backend, bus, await start_ingest(backend))
    sub = await commands.serve(
        bus, SERIES, mc.UsageSeriesQuery, handlers.usage_series, queue=f"metering-{id(handlers)}"
    )
    yield handlers
    await sub.unsubscribe()


async def record(
    bus: Bus, org_id: str, at: datetime, lane: int, tokens: int, **more: object
) -> None:
    """One request of `tokens` tokens (input 3/4, output 1/4) at `at` in `lane`."""
    out = tokens // 4
    payload = usage(org_id, started_at=at, lane=lane, input_tokens=tokens - out,
                    output_tokens=out, **more)  # fmt: skip
    await publish(bus, usage_event(payload))


def query(org_id: str, start: datetime, end: datetime, bucket_s: int = 60) -> mc.UsageSeriesQuery:
    q = mc.UsageSeriesQuery(org_id=org_id, model="gpt-5.4", bucket_s=bucket_s)
    getattr(q, "from").FromDatetime(start)
    q.to.FromDatetime(end)
    return q


def points(reply: mc.UsageSeriesReply) -> list[tuple[str, int, int, int, int]]:
    return [
        (p.start.ToJsonString(), p.reserved_tokens, p.spot_tokens, p.on_demand_tokens,
         p.byok_tokens)
        for p in reply.points
    ]  # fmt: skip


async def test_tokens_are_summed_per_minute_and_lane_for_the_model_and_org_asked(
    bus: Bus, backend: Backend, series: MeteringHandlers, org_id: str
) -> None:
    minute = timedelta(minutes=1)
    await record(bus, org_id, T0 + timedelta(seconds=5), RESERVED, 1000)
    await record(bus, org_id, T0 + timedelta(seconds=59), RESERVED, 400)
    await record(bus, org_id, T0 + timedelta(seconds=30), ON_DEMAND, 200)
    await record(bus, org_id, T0 + 2 * minute, BYOK, 80)  # minute 1 has no usage
    await record(bus, org_id, T0 + 2 * minute + timedelta(seconds=1), RESERVED, 40)
    await record(bus, org_id, T0, RESERVED, 9999, model_requested="gpt-4.1")  # another model
    await record(bus, f"{org_id}_b", T0, RESERVED, 7777)  # another org
    await record(bus, org_id, T0 + 10 * minute, RESERVED, 5555)  # after the window
    await assert_totals_of(backend, org_id, 7)
    reply = await commands.request(
        bus, SERIES, query(org_id, T0, T0 + 5 * minute), mc.UsageSeriesReply
    )
    assert points(reply) == [
        ("2026-11-01T00:00:00Z", 1400, 0, 200, 0),
        ("2026-11-01T00:02:00Z", 40, 0, 0, 80),
    ]


async def test_buckets_are_aligned_on_the_epoch_whatever_the_window_start(
    bus: Bus, backend: Backend, series: MeteringHandlers, org_id: str
) -> None:
    await record(bus, org_id, T0 + timedelta(seconds=11), RESERVED, 100)
    await record(bus, org_id, T0 + timedelta(seconds=19), ON_DEMAND, 8)
    await record(bus, org_id, T0 + timedelta(seconds=21), RESERVED, 12)
    await assert_totals_of(backend, org_id, 3)
    start = T0 + timedelta(seconds=7)  # not on a bucket edge
    reply = await commands.request(
        bus, SERIES, query(org_id, start, T0 + timedelta(minutes=1), bucket_s=10),
        mc.UsageSeriesReply,
    )  # fmt: skip
    assert points(reply) == [
        ("2026-11-01T00:00:10Z", 100, 0, 8, 0),
        ("2026-11-01T00:00:20Z", 12, 0, 0, 0),
    ]


async def test_a_request_recorded_twice_counts_once(
    bus: Bus, backend: Backend, series: MeteringHandlers, org_id: str
) -> None:
    payload = usage(org_id, "req_twice", lane=RESERVED, input_tokens=30, output_tokens=10)
    await publish(bus, usage_event(payload))
    await publish(bus, usage_event(payload))
    await assert_totals_of(backend, org_id, 1)
    reply = await commands.request(
        bus, SERIES, query(org_id, T0, T0 + timedelta(minutes=1)), mc.UsageSeriesReply
    )
    assert points(reply) == [("2026-11-01T00:00:00Z", 40, 0, 0, 0)]


@pytest.mark.parametrize(
    ("change", "named"),
    [({"bucket_s": 0}, "bucket_s"), ({"model": ""}, "model"), ({"org_id": ""}, "org_id")],
)
async def test_a_bad_series_query_is_refused_naming_the_field(
    bus: Bus, series: MeteringHandlers, org_id: str, change: dict[str, object], named: str
) -> None:
    q = query(org_id, T0, T0 + timedelta(hours=1))
    for name, value in change.items():
        setattr(q, name, value)
    with pytest.raises(InvalidRequest, match=named):
        await commands.request(bus, SERIES, q, mc.UsageSeriesReply)


async def assert_totals_of(backend: Backend, org_id: str, n: int) -> None:
    """Until the ingest loop has stored the org's n requests."""

    async def stored() -> None:
        assert await queries.count_requests(backend, org_id) == n

    await assert_eventually(stored, timeout=15)
