"""The two ways a batch reaches `requests`, on chDB and (when HICAP_CLICKHOUSE_URL is set) a
ClickHouse server: rows (`insert`, as migrations and tests write) and columns
(`insert_columns`, as the ingest loop writes) read back field for field the same, with
the table's own types; and the ingest loop's batch holds what each event says."""

from __future__ import annotations

from datetime import UTC, timedelta

from google.protobuf.message import Message

from hicap.events import Event, new_event, usage_pb2
from hicap.metering.backends import Backend, Row
from hicap.metering.ingest import request_columns, request_row
from hicap.metering.schema import COLUMN_NAMES
from tests.integration.metering.conftest import T0, usage, usage_event

# A moment with sub-millisecond digits: the table keeps milliseconds, truncated.
ODD_MOMENT = T0 + timedelta(seconds=1, microseconds=987_654)


def varied_events(org_id: str) -> list[Event[Message]]:
    """Events that set every column, with edge values: unicode, quotes and control
    characters, int64 extremes, an unset org (the envelope's is used), each lane."""
    everything = usage(
        org_id, "req_full", started_at=ODD_MOMENT, end_user_hash="h_é\u4e2d\"'\\\n\t",
        route="r/\u00fcber", model_requested="gpt-5.4", model_served="gpt-5.4-2026",
        lane=usage_pb2.LANE_BYOK, input_tokens=2**62, cached_input_tokens=7,
        cache_write_tokens=8, output_tokens=9, reasoning_tokens=10, input_cost_micros=11,
        cached_input_cost_micros=12, cache_write_cost_micros=13, output_cost_micros=14,
        total_cost_micros=-(2**40), list_value_micros=15, latency_ms=2**31 - 1, ttft_ms=16,
        http_status=529, finish_reason="length", streamed=True, error_code="overloaded",
        api_surface="anthropic",
    )  # fmt: skip
    orgless = usage("", "req_orgless", lane=usage_pb2.LANE_UNSPECIFIED)
    lanes = [
        usage(org_id, f"req_lane_{lane}", lane=lane)
        for lane in (usage_pb2.LANE_RESERVED, usage_pb2.LANE_SPOT, usage_pb2.LANE_ON_DEMAND)
    ]
    return [
        usage_event(everything),
        new_event(orgless, org_id=org_id),
        *(usage_event(p) for p in lanes),
    ]


async def read_back(store: Backend, org_id: str) -> list[Row]:
    names = ", ".join(COLUMN_NAMES)
    return await store.query(
        f"SELECT {names} FROM {store.database}.requests FINAL"
        " WHERE org_id = {org:String} ORDER BY request_id",
        {"org": org_id},
    )


async def test_rows_and_columns_read_back_field_for_field_the_same(
    any_backend: Backend, org_id: str
) -> None:
    events = varied_events(org_id)
    await any_backend.insert("requests", COLUMN_NAMES, [request_row(e) for e in events])
    by_rows = await read_back(any_backend, org_id)
    await any_backend.execute(f"TRUNCATE TABLE {any_backend.database}.requests")
    await any_backend.insert_columns("requests", request_columns(events))
    by_columns = await read_back(any_backend, org_id)
    assert len(by_rows) == len(events)
    assert by_columns == by_rows


async def test_columns_hold_each_events_fields_with_the_tables_types(
    any_backend: Backend, org_id: str
) -> None:
    [full, *_] = events = varied_events(org_id)
    await any_backend.insert_columns("requests", request_columns(events))
    [row] = await any_backend.query(
        "SELECT toString(started_at), toString(occurred_at), input_tokens, total_cost_micros, latency_ms,"
        " streamed, lane, end_user_hash, toTypeName(started_at), toTypeName(streamed),"
        f" toTypeName(lane) FROM {any_backend.database}.requests FINAL"
        " WHERE request_id = 'req_full' AND org_id = {org:String}",
        {"org": org_id},
    )
    occurred = full.occurred_at.astimezone(UTC).replace(tzinfo=None)
    assert row == (
        "2026-11-01 00:00:01.987",
        occurred.isoformat(" ", "milliseconds"),
        2**62,
        -(2**40),
        2**31 - 1,
        True,
        "byok",
        "h_é\u4e2d\"'\\\n\t",
        "DateTime64(3, 'UTC')",
        "Bool",
        "LowCardinality(String)",
    )


async def test_an_event_without_an_org_is_stored_under_its_envelopes_org(
    any_backend: Backend, org_id: str
) -> None:
    await any_backend.insert_columns("requests", request_columns(varied_events(org_id)))
    ids = [str(r[0]) for r in await read_back(any_backend, org_id)]
    assert ids == ["req_full", "req_lane_1", "req_lane_2", "req_lane_3", "req_orgless"]


def test_a_batch_of_no_events_has_no_rows() -> None:
    assert request_columns([]).rows == 0
