"""The schema and the query contract, on chDB and (when HICAP_CLICKHOUSE_URL is set) on a
ClickHouse server: migrations are idempotent, a request inserted twice counts once, groups
and sums are exact, an org never sees another org's rows, export pages through every row,
and a deletion is visible as soon as it returns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hicap.errors import InvalidRequest
from hicap.metering import queries
from hicap.metering.backends import Backend
from hicap.metering.ingest import request_row
from hicap.metering.schema import COLUMN_NAMES, MIGRATIONS, migrate
from tests.integration.metering.conftest import T0, usage, usage_event, window


async def insert(store: Backend, *payloads: object) -> None:
    rows = [request_row(usage_event(p)) for p in payloads]  # type: ignore[arg-type]  # payloads
    await store.insert("requests", COLUMN_NAMES, rows)


async def test_migrations_run_twice_apply_once(any_backend: Backend) -> None:
    assert await migrate(any_backend) == []
    versions = await any_backend.query(
        f"SELECT version FROM {any_backend.database}.schema_migrations FINAL ORDER BY version"
    )
    assert [int(str(v[0])) for v in versions] == [m.version for m in MIGRATIONS]


async def test_a_request_inserted_twice_counts_once_with_exact_sums(
    any_backend: Backend, org_id: str
) -> None:
    a, b = usage(org_id, "req_a", total_cost_micros=700), usage(org_id, "req_b")
    await insert(any_backend, a, b)
    await insert(any_backend, a)  # a redelivered batch
    start, end = window()
    [group] = await queries.usage(any_backend, org_id, start, end, "model")
    assert (group.key, group.requests, group.cost_micros) == ("gpt-5.4", 2, 2200)
    assert (group.input_tokens, group.output_tokens) == (200, 40)
    assert await queries.count_requests(any_backend, org_id) == 2


@pytest.mark.parametrize(
    ("group_by", "keys"),
    [
        ("model", {"gpt-5.4", "claude-opus-4.5"}),
        ("app", {"app_1", "app_2"}),
        ("team", {"team_1", "team_2"}),
        ("lane", {"on-demand", "byok"}),
        ("route", {"r1", "r2"}),
        ("key", {"key_1", "key_2"}),
        ("day", {"2026-11-01", "2026-10-31"}),
    ],
)
async def test_usage_groups_by_each_dimension(
    any_backend: Backend, org_id: str, group_by: str, keys: set[str]
) -> None:
    await insert(
        any_backend,
        usage(org_id, route="r1", total_cost_micros=3000, latency_ms=100),
        usage(
            org_id, model_requested="claude-opus-4.5", model_served="claude-opus-4-5",
            app_id="app_2", team_id="team_2",
            lane=4, route="r2", key_id="key_2", started_at=T0 - timedelta(hours=1),
            total_cost_micros=1000, latency_ms=300,
        ),
    )  # fmt: skip
    start, end = window()
    groups = await queries.usage(any_backend, org_id, start, end, group_by)
    assert {g.key for g in groups} == keys
    assert [g.cost_micros for g in groups] == [3000, 1000]  # highest cost first
    assert [g.latency_p50_ms for g in groups] == [100.0, 300.0]


async def test_window_is_half_open_and_an_org_sees_only_its_rows(
    any_backend: Backend, org_id: str
) -> None:
    other = f"{org_id}_other"
    await insert(
        any_backend,
        usage(org_id, started_at=T0),
        usage(org_id, started_at=T0 + timedelta(hours=1)),  # == end: excluded
        usage(other, started_at=T0, total_cost_micros=999_999),
    )
    groups = await queries.usage(any_backend, org_id, T0, T0 + timedelta(hours=1), "model")
    assert [(g.requests, g.cost_micros) for g in groups] == [(1, 1500)]


async def test_unknown_group_by_is_an_invalid_request(any_backend: Backend, org_id: str) -> None:
    with pytest.raises(InvalidRequest, match="group_by"):
        await queries.usage(any_backend, org_id, *window(), "prompt")


async def test_export_pages_through_every_row_once_in_time_order(
    any_backend: Backend, org_id: str
) -> None:
    payloads = [
        usage(org_id, f"req_{i:03}", started_at=T0 + timedelta(seconds=i)) for i in range(7)
    ]
    await insert(any_backend, *payloads, payloads[3], usage(f"{org_id}_other"))
    seen, after = [], None
    while True:
        page = await queries.export_page(any_backend, org_id, *window(), after=after, limit=3)
        seen += page.rows
        if page.after is None:
            break
        after = page.after
    assert [r[0] for r in seen] == [f"req_{i:03}" for i in range(7)]
    first = dict(zip(queries.EXPORT_COLUMNS, seen[0], strict=True))
    assert first["started_at"] == "2026-11-01T00:00:00.000Z"
    assert (first["org_id"], first["lane"], first["streamed"]) == (org_id, "on-demand", False)


async def test_delete_removes_only_that_orgs_rows_at_once(
    any_backend: Backend, org_id: str
) -> None:
    other = f"{org_id}_other"
    await insert(any_backend, usage(org_id), usage(org_id), usage(other))
    await queries.delete_org(any_backend, org_id, T0 + timedelta(days=1))
    assert await queries.count_requests(any_backend, org_id) == 0
    assert await queries.count_requests(any_backend, other) == 1
