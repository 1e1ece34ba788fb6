"""The usage admin API over a real NATS with a fake metering (`fake_metering`): an org's
owner or admin key sees its own org's usage grouped by a dimension, with cost as a decimal
USD string; exports stream as CSV or JSON lines; only the owner key deletes; another org's
key never sees or deletes this org's rows; bad parameters are a 400 naming the parameter."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from hicap.auth.app import AuthService
from hicap.bus import Bus, ProjectionRunner
from hicap.errors import Unavailable
from hicap.ingress.admin.routing import AdminRoute
from hicap.ingress.admin.usage import add_usage_routes
from hicap.ingress.keys import KeyIndex, KeyRing
from tests.integration.admin.fake_metering import FakeMetering, Row, fake_metering
from tests.integration.admin.tenants import Tenant, new_tenant, settled

KeyRunner = tuple[ProjectionRunner[KeyIndex], KeyRing]
USAGE, EXPORT = "/v1/admin/usage", "/v1/admin/usage/export"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
GROUPS = ("model", "app", "team", "lane", "route", "key", "day")


@pytest.fixture
async def metering(bus: Bus) -> AsyncIterator[FakeMetering]:
    async with fake_metering(bus) as fake:
        yield fake


@pytest.fixture
async def a(bus: Bus, auth: AuthService, key_runner: KeyRunner) -> Tenant:
    tenant = await new_tenant(bus)
    await settled(bus, key_runner[0])
    return tenant


@pytest.fixture
async def b(bus: Bus, auth: AuthService, key_runner: KeyRunner) -> Tenant:
    tenant = await new_tenant(bus)
    await settled(bus, key_runner[0])
    return tenant


def two_models(org_id: str) -> tuple[Row, ...]:
    return (
        Row(org_id, model="gpt-5.4", cost_micros=1_250_000, latency_ms=900.0),
        Row(org_id, model="gpt-5.4", cost_micros=0, input_tokens=50, latency_ms=100.0),
        Row(org_id, model="claude-sonnet-4.5", cost_micros=333, latency_ms=250.0),
    )


async def test_usage_by_model_is_the_callers_orgs_with_cost_in_usd(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    metering.seed(*two_models(a.org_id))
    answer = await client.get(USAGE, params={**NOVEMBER, "group_by": "model"},
                              headers=a.admin.headers)  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "data": [
            {"model": "gpt-5.4", "requests": 2, "input_tokens": 150, "cached_input_tokens": 20,
             "output_tokens": 40, "reasoning_tokens": 10, "cost_usd": "1.250000",
             "cost_micros": 1_250_000, "latency_p50_ms": 900.0, "latency_p95_ms": 900.0},
            {"model": "claude-sonnet-4.5", "requests": 1, "input_tokens": 100,
             "cached_input_tokens": 10, "output_tokens": 20, "reasoning_tokens": 5,
             "cost_usd": "0.000333", "cost_micros": 333, "latency_p50_ms": 250.0,
             "latency_p95_ms": 250.0},
        ]
    }  # fmt: skip
    [query] = metering.queries
    assert (query.org_id, query.group_by) == (a.org_id, "model")
    # A date `to` includes that whole day: the window is [Nov 1, Dec 1).
    window = (getattr(query, "from").ToDatetime(UTC), query.to.ToDatetime(UTC))
    assert window == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


@pytest.mark.parametrize("group_by", GROUPS)
async def test_each_group_is_named_by_its_dimension(
    group_by: str, client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    row = Row(a.org_id)
    metering.seed(row)
    answer = await client.get(USAGE, params={"group_by": group_by}, headers=a.owner.headers)
    assert answer.status_code == 200, answer.text
    [group] = answer.json()["data"]
    assert group[group_by] == getattr(row, group_by)
    assert not set(group) & (set(GROUPS) - {group_by})


async def test_the_default_window_is_the_last_30_days(
    bus: Bus, key_runner: KeyRunner, metering: FakeMetering, a: Tenant
) -> None:
    now = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
    router = APIRouter(route_class=AdminRoute)
    add_usage_routes(router, key_runner[1], bus, clock=lambda: now)
    app = FastAPI()
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as c:
        answer = await c.get(USAGE, headers=a.admin.headers)
    assert answer.status_code == 200, answer.text
    [query] = metering.queries
    assert getattr(query, "from").ToDatetime(UTC) == datetime(2026, 10, 25, 12, 30, tzinfo=UTC)
    assert query.to.ToDatetime(UTC) == now


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from": "last tuesday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-11-24T10:00:00Z", "to": "2026-11-24T09:00:00Z"}, "to"),
        ({"from": "2025-01-01", "to": "2026-11-30"}, "to"),  # more than 400 days
        ({"group_by": "colour"}, "group_by"),
        ({"to": "9999-12-31"}, "to"),  # its day's end is past the last datetime
    ],
)
async def test_a_bad_parameter_is_a_400_naming_it_and_metering_is_not_asked(
    params: dict[str, str], named: str, client: httpx.AsyncClient, metering: FakeMetering,
    a: Tenant,
) -> None:  # fmt: skip
    answer = await client.get(USAGE, params=params, headers=a.admin.headers)
    assert answer.status_code == 400
    assert named in answer.json()["error"]["message"]
    assert metering.commands_seen == 0


async def test_a_datetime_window_with_an_offset_is_read_in_utc(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    params = {"from": "2026-11-24T09:00:00+02:00", "to": "2026-11-24T12:00:00"}
    answer = await client.get(USAGE, params=params, headers=a.admin.headers)
    assert answer.status_code == 200, answer.text
    [query] = metering.queries
    assert getattr(query, "from").ToDatetime(UTC) == datetime(2026, 11, 24, 7, tzinfo=UTC)
    assert query.to.ToDatetime(UTC) == datetime(2026, 11, 24, 12, tzinfo=UTC)


async def test_export_streams_the_orgs_rows_as_csv_with_the_header_first(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    metering.seed(*two_models(a.org_id))
    answer = await client.get(EXPORT, params=NOVEMBER, headers=a.admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    header, *rows = answer.text.splitlines()
    assert header.startswith("org_id,model,")
    assert [r.split(",")[:2] for r in rows] == [
        [a.org_id, "gpt-5.4"], [a.org_id, "gpt-5.4"], [a.org_id, "claude-sonnet-4.5"],
    ]  # fmt: skip
    [export] = metering.exports
    assert (export.org_id, export.format) == (a.org_id, "csv")


async def test_export_as_json_lines(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    metering.seed(*two_models(a.org_id))
    answer = await client.get(EXPORT, params={"format": "jsonl"}, headers=a.owner.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [(r["org_id"], r["cost_micros"]) for r in lines] == [
        (a.org_id, 1_250_000), (a.org_id, 0), (a.org_id, 333),
    ]  # fmt: skip


async def test_export_in_an_unknown_format_is_a_400(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    answer = await client.get(EXPORT, params={"format": "xlsx"}, headers=a.admin.headers)
    assert answer.status_code == 400
    assert "format" in answer.json()["error"]["message"]
    assert metering.commands_seen == 0


async def test_a_refusal_from_metering_before_the_first_row_is_an_http_error(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    metering.refuse_with = Unavailable("the usage store is starting")
    for path in (USAGE, EXPORT):
        answer = await client.get(path, headers=a.admin.headers)
        assert answer.status_code == 503, path
        assert answer.json()["error"]["message"] == "the usage store is starting"


async def test_without_metering_usage_answers_503(client: httpx.AsyncClient, a: Tenant) -> None:
    for path in (USAGE, EXPORT):
        answer = await client.get(path, headers=a.admin.headers)
        assert answer.status_code == 503, (path, answer.text)
        assert "metering" in answer.json()["error"]["message"]


async def test_the_owner_deletes_the_orgs_usage_and_it_is_gone(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    metering.seed(*two_models(a.org_id))
    answer = await client.delete(f"/v1/admin/orgs/{a.org_id}/usage", headers=a.owner.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"org_id": a.org_id, "deleted": True}
    [deletion] = metering.deletions
    assert (deletion.org_id, deletion.key_id) == (a.org_id, a.owner.key_id)
    after = await client.get(USAGE, headers=a.owner.headers)
    assert after.json() == {"data": []}


async def test_an_admin_key_cannot_delete_usage(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant
) -> None:
    metering.seed(*two_models(a.org_id))
    answer = await client.delete(f"/v1/admin/orgs/{a.org_id}/usage", headers=a.admin.headers)
    assert answer.status_code == 403
    assert "owner" in answer.json()["error"]["message"]
    assert metering.commands_seen == 0


async def test_another_orgs_owner_cannot_delete_and_gets_404_as_for_a_missing_org(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant, b: Tenant
) -> None:
    metering.seed(*two_models(a.org_id))
    on_a = await client.delete(f"/v1/admin/orgs/{a.org_id}/usage", headers=b.owner.headers)
    missing = "org_0190a7c2d4e57f00a1b2c3d4e5f60718"
    on_none = await client.delete(f"/v1/admin/orgs/{missing}/usage", headers=b.owner.headers)
    assert on_a.status_code == on_none.status_code == 404
    assert on_a.text.replace(a.org_id, "ORG") == on_none.text.replace(missing, "ORG")
    assert metering.commands_seen == 0
    assert len(metering.rows[a.org_id]) == 3


async def test_org_b_never_sees_org_as_usage(
    client: httpx.AsyncClient, metering: FakeMetering, a: Tenant, b: Tenant
) -> None:
    metering.seed(*(Row(a.org_id, model="a-secret-model", app=a.app_id, team=a.team_id,
                        key=a.member.key_id),))  # fmt: skip
    metering.seed(Row(b.org_id, model="b-model", app=b.app_id, team=b.team_id, key=b.member.key_id))
    a_values = {"a-secret-model", a.app_id, a.team_id, a.member.key_id, a.org_id}
    seen: list[str] = []
    for group_by in GROUPS:
        answer = await client.get(USAGE, params={"group_by": group_by}, headers=b.admin.headers)
        assert answer.status_code == 200, answer.text
        seen.append(answer.text)
    for fmt in ("csv", "jsonl"):
        answer = await client.get(EXPORT, params={"format": fmt}, headers=b.owner.headers)
        assert answer.status_code == 200, answer.text
        seen.append(answer.text)
    assert not [text for text in seen if any(value in text for value in a_values)]
    assert "b-model" in seen[0] and b.org_id in seen[-1]
    assert {q.org_id for q in metering.queries} | {e.org_id for e in metering.exports} == {b.org_id}
