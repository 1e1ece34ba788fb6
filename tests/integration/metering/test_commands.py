"""Metering's commands over the real bus: `query_usage` answers for exactly the org it
names, `delete_usage` answers once the org's rows are gone (and leaves other orgs' rows)
and appends UsageDeleted, and `export_usage` streams CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import pytest

from hicap.bus import Bus, DurableConsumer, StreamClient, StreamServer, commands, stream_last_seq
from hicap.errors import InvalidRequest
from hicap.events import Stream, usage_pb2
from hicap.events.v1 import metering_commands_pb2 as mc
from hicap.metering import queries
from hicap.metering.backends import Backend
from hicap.metering.handlers import MeteringHandlers
from tests.integration.metering.conftest import StartIngest, window
from tests.integration.metering.test_ingest import assert_totals, publish_usage

subject = commands.command_subject


@pytest.fixture
async def metering(
    bus: Bus, backend: Backend, start_ingest: StartIngest
) -> AsyncIterator[MeteringHandlers]:
    """Metering's ingest loop and commands (a queue group of this test's own)."""
    handlers = MeteringHandlers(backend, bus, await start_ingest(backend), delete_timeout_s=10)
    queue = f"metering-{id(handlers)}"
    subs = [
        await commands.serve(bus, subject("metering", "query_usage"), mc.UsageQuery,
                             handlers.query_usage, queue=queue),
        await commands.serve(bus, subject("metering", "delete_usage"), mc.DeleteUsage,
                             handlers.delete_usage, queue=queue),
    ]  # fmt: skip
    export = await StreamServer(
        bus, subject("metering", "export_usage"), handlers.export_usage, queue=queue
    ).start()
    yield handlers
    await export.stop()
    for sub in subs:
        await sub.unsubscribe()


def usage_query(org_id: str, group_by: str = "model") -> mc.UsageQuery:
    req = mc.UsageQuery(org_id=org_id, group_by=group_by)
    start, end = window()
    getattr(req, "from").FromDatetime(start)
    req.to.FromDatetime(end)
    return req


def export_request(org_id: str, fmt: str) -> bytes:
    req = mc.UsageExport(org_id=org_id, format=fmt)
    start, end = window()
    getattr(req, "from").FromDatetime(start)
    req.to.FromDatetime(end)
    return req.SerializeToString()


async def test_query_usage_answers_for_the_named_org_only(
    bus: Bus, backend: Backend, metering: MeteringHandlers, org_id: str
) -> None:
    await publish_usage(bus, org_id, 3)
    await publish_usage(bus, f"{org_id}_b", 5)
    await assert_totals(backend, f"{org_id}_b", 5)
    reply = await commands.request(
        bus, subject("metering", "query_usage"), usage_query(org_id), mc.UsageQueryReply
    )
    assert [(g.key, g.requests, g.cost_micros) for g in reply.groups] == [("gpt-5.4", 3, 4500)]


async def test_query_usage_refuses_an_unknown_grouping(
    bus: Bus, metering: MeteringHandlers, org_id: str
) -> None:
    with pytest.raises(InvalidRequest, match="group_by"):
        await commands.request(
            bus, subject("metering", "query_usage"), usage_query(org_id, "prompt"),
            mc.UsageQueryReply,
        )  # fmt: skip


async def test_delete_usage_removes_only_that_orgs_rows_and_records_it(
    bus: Bus, backend: Backend, metering: MeteringHandlers, org_id: str
) -> None:
    other = f"{org_id}_b"
    await publish_usage(bus, org_id, 4)
    await publish_usage(bus, other, 2)
    await assert_totals(backend, other, 2)
    first_seq = await stream_last_seq(bus, Stream.USAGE) + 1
    reply = await commands.request(
        bus, subject("metering", "delete_usage"), mc.DeleteUsage(org_id=org_id, key_id="key_o"),
        mc.DeleteUsageReply, timeout_s=15,
    )  # fmt: skip
    assert reply.org_id == org_id
    assert await queries.count_requests(backend, org_id) == 0  # at once, no waiting
    assert await queries.count_requests(backend, other) == 2
    watcher = await DurableConsumer(
        bus, Stream.USAGE, f"w_{org_id}", "hicap.usage.deleted.v1", start_seq=first_seq
    ).start()
    try:
        [delivery] = await watcher.fetch(10, 2.0)
        assert delivery.event is not None
        assert isinstance(delivery.event.payload, usage_pb2.UsageDeleted)
        assert (delivery.event.payload.org_id, delivery.event.payload.key_id) == (org_id, "key_o")
    finally:
        await watcher.stop()
        await bus.js.delete_consumer(Stream.USAGE.value, f"w_{org_id}")


async def export(bus: Bus, org_id: str, fmt: str) -> bytes:
    client = await StreamClient(bus).start()
    try:
        chunks = [
            c async for c in client.stream(subject("metering", "export_usage"),
                                           export_request(org_id, fmt))
        ]  # fmt: skip
    finally:
        await client.stop()
    return b"".join(chunks)


async def test_export_streams_the_orgs_rows_as_csv_with_a_header(
    bus: Bus, backend: Backend, metering: MeteringHandlers, org_id: str
) -> None:
    await publish_usage(bus, org_id, 3)
    await publish_usage(bus, f"{org_id}_b", 1)
    await assert_totals(backend, f"{org_id}_b", 1)
    await assert_totals(backend, org_id, 3)
    rows = list(csv.DictReader(io.StringIO((await export(bus, org_id, "csv")).decode())))
    assert sorted(r["request_id"] for r in rows) == ["req_0", "req_1", "req_2"]
    assert {r["org_id"] for r in rows} == {org_id}
    assert rows[0]["total_cost_micros"] == "1500"
    assert rows[0]["started_at"] == "2026-11-01T00:00:00.000Z"


async def test_export_streams_json_lines(
    bus: Bus, backend: Backend, metering: MeteringHandlers, org_id: str
) -> None:
    await publish_usage(bus, org_id, 2)
    await assert_totals(backend, org_id, 2)
    lines = (await export(bus, org_id, "jsonl")).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["request_id"], r["input_tokens"], r["streamed"]) for r in records] == [
        ("req_0", 100, False),
        ("req_1", 100, False),
    ]


async def test_export_of_an_org_without_rows_is_only_the_header(
    bus: Bus, metering: MeteringHandlers, org_id: str
) -> None:
    body = (await export(bus, org_id, "csv")).decode()
    assert body.splitlines() == [",".join(queries.EXPORT_COLUMNS)]
