"""The reservation admin API over a real NATS, with a fake capacity-scheduler
(`fake_capacity`) and, for utilisation, a fake metering `usage_series`: an org's owner or
admin key reserves TPM (201, the reservation in its documented shape), lists its own org's
reservations only, reads one with its utilisation, scales it and cancels it; another org's
reservation is a 404 worded exactly like a missing one; a bad body is a 400 naming the
field before the scheduler is asked; an oversell is the scheduler's 409 naming what is
free; without metering the reservation is still answered, its utilisation null."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from hicap.auth.app import AuthService
from hicap.bus import Bus, ProjectionRunner, commands
from hicap.events.v1 import capacity_commands_pb2 as capacity
from hicap.events.v1 import metering_commands_pb2 as metering
from hicap.ingress.admin.reservations import add_reservation_routes
from hicap.ingress.admin.routing import AdminRoute
from hicap.ingress.keys import KeyIndex, KeyRing
from tests.integration.admin.fake_capacity import FakeCapacity, fake_capacity
from tests.integration.admin.tenants import Tenant, new_tenant, settled

KeyRunner = tuple[ProjectionRunner[KeyIndex], KeyRing]
RESERVATIONS = "/v1/admin/reservations"
NOW = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)  # 30 minutes into the fake's period


@pytest.fixture
async def scheduler(bus: Bus) -> AsyncIterator[FakeCapacity]:
    async with fake_capacity(bus) as fake:
        yield fake


@pytest.fixture
async def api(
    bus: Bus, auth: AuthService, key_runner: KeyRunner, scheduler: FakeCapacity
) -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter(route_class=AdminRoute)
    add_reservation_routes(router, key_runner[1], bus, capacity_window_s=60.0, clock=lambda: NOW)
    app = FastAPI()
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingress") as http:
        yield http


@pytest.fixture
async def a(bus: Bus, key_runner: KeyRunner, api: httpx.AsyncClient) -> Tenant:
    tenant = await new_tenant(bus)
    await settled(bus, key_runner[0])
    return tenant


@pytest.fixture
async def b(bus: Bus, key_runner: KeyRunner, a: Tenant) -> Tenant:
    tenant = await new_tenant(bus)
    await settled(bus, key_runner[0])
    return tenant


@dataclass(slots=True)
class FakeSeries:
    """metering's `usage_series`, answering `points` and keeping the queries it saw."""

    points: list[metering.UsageSeriesPoint] = field(default_factory=list)
    seen: list[metering.UsageSeriesQuery] = field(default_factory=list)

    async def answer(self, q: metering.UsageSeriesQuery) -> metering.UsageSeriesReply:
        self.seen.append(q)
        return metering.UsageSeriesReply(points=self.points)


@pytest.fixture
async def series(bus: Bus) -> AsyncIterator[FakeSeries]:
    fake = FakeSeries()
    subject = commands.command_subject("metering", "usage_series")
    sub = await commands.serve(bus, subject, metering.UsageSeriesQuery, fake.answer,
                               queue="metering")  # fmt: skip
    await bus.nc.flush()
    yield fake
    await sub.unsubscribe()


def point(at: datetime, reserved: int, on_demand: int = 0) -> metering.UsageSeriesPoint:
    p = metering.UsageSeriesPoint(reserved_tokens=reserved, on_demand_tokens=on_demand)
    p.start.FromDatetime(at)
    return p


async def test_an_admin_reserves_tpm_and_gets_201_with_the_reservation(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant
) -> None:
    body = {"model": "gpt-5.4", "tpm": 3400, "months": 3, "auto_renew": False}
    created = await api.post(RESERVATIONS, json=body, headers=a.admin.headers)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.json() == {
        "id": rid, "object": "reservation", "org_id": a.org_id, "model": "gpt-5.4",
        "tpm": 3400, "pending_tpm": None, "status": "active", "months": 3,
        "auto_renew": False, "overflow": True,
        "current_period": {"number": 1, "start": "2026-11-24T12:00:00Z",
                           "end": "2026-12-24T12:00:00Z"},
        "term_end": "2026-12-24T12:00:00Z", "created_at": "2026-11-24T12:00:00Z",
        "ended_at": None, "fee_per_period_usd": "8415.000000",
        "allocations": [{"deployment": "openai-gpt-5.4-ptu", "tpm": 3400}],
    }  # fmt: skip
    [sent] = scheduler.seen
    assert isinstance(sent, capacity.CreateReservation)
    assert (sent.org_id, sent.requested_by, sent.overflow) == (a.org_id, a.admin.key_id, True)


async def test_the_list_holds_the_callers_org_only(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant, b: Tenant
) -> None:
    mine = scheduler.seed(a.org_id, "gpt-5.4")
    scheduler.seed(b.org_id, "gpt-4.1")
    listed = await api.get(RESERVATIONS, headers=a.owner.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["object"] == "list"
    assert [r["id"] for r in listed.json()["data"]] == [mine.id]
    assert b.org_id not in listed.text


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_another_orgs_reservation_is_404_exactly_like_a_missing_one(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant, b: Tenant, method: str
) -> None:
    theirs = scheduler.seed(b.org_id)
    body = {"tpm": 10} if method == "PATCH" else None
    on_theirs = await api.request(method, f"{RESERVATIONS}/{theirs.id}", json=body,
                                  headers=a.admin.headers)  # fmt: skip
    missing = "rsv_does_not_exist"
    on_missing = await api.request(method, f"{RESERVATIONS}/{missing}", json=body,
                                   headers=a.admin.headers)  # fmt: skip
    assert on_theirs.status_code == 404, on_theirs.text
    assert on_theirs.text.replace(theirs.id, "ID") == on_missing.text.replace(missing, "ID")
    assert scheduler.reservations[theirs.id].status == "active"
    assert scheduler.reservations[theirs.id].tpm == 1000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "gpt-5.4", "tpm": 0}, "tpm"),
        ({"model": "gpt-5.4", "tpm": -5}, "tpm"),
        ({"model": "gpt-5.4", "tpm": 100, "months": 2}, "months"),
        ({"model": "gpt-5.4"}, "tpm"),
        ({"tpm": 100}, "model"),
        ({"model": "gpt-5.4", "tpm": 100, "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field_before_the_scheduler_is_asked(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant, body: dict[str, object], field: str
) -> None:
    answer = await api.post(RESERVATIONS, json=body, headers=a.admin.headers)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert field in error["message"]
    assert not scheduler.seen


async def test_an_unknown_model_is_the_schedulers_400_naming_model(
    api: httpx.AsyncClient, a: Tenant
) -> None:
    answer = await api.post(RESERVATIONS, json={"model": "gpt-9", "tpm": 10},
                            headers=a.admin.headers)  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["message"].startswith("model:")


async def test_an_oversell_is_a_409_naming_what_is_free(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant, b: Tenant
) -> None:
    scheduler.seed(b.org_id, "gpt-4.1", tpm=90_000)
    answer = await api.post(RESERVATIONS, json={"model": "gpt-4.1", "tpm": 20_000},
                            headers=a.admin.headers)  # fmt: skip
    assert answer.status_code == 409, answer.text
    assert "10000 TPM is free" in answer.json()["error"]["message"]


async def test_scaling_sends_a_new_change_id_each_time_and_shows_a_pending_scale_down(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant
) -> None:
    rid = scheduler.seed(a.org_id, tpm=1000).id
    up = await api.patch(f"{RESERVATIONS}/{rid}", json={"tpm": 2000}, headers=a.admin.headers)
    assert (up.status_code, up.json()["tpm"], up.json()["pending_tpm"]) == (200, 2000, None)
    down = await api.patch(f"{RESERVATIONS}/{rid}", json={"tpm": 500, "overflow": False},
                           headers=a.admin.headers)  # fmt: skip
    assert down.status_code == 200, down.text
    assert (down.json()["tpm"], down.json()["pending_tpm"], down.json()["overflow"]) == (
        2000, 500, False,
    )  # fmt: skip
    changes = [m for m in scheduler.seen if isinstance(m, capacity.UpdateReservation)]
    assert len({c.change_id for c in changes}) == 2 and all(c.change_id for c in changes)
    assert not changes[0].HasField("overflow") and changes[1].overflow is False
    empty = await api.patch(f"{RESERVATIONS}/{rid}", json={}, headers=a.admin.headers)
    assert empty.status_code == 400 and "tpm" in empty.json()["error"]["message"]


async def test_cancelling_answers_the_reservation_cancelling(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant
) -> None:
    rid = scheduler.seed(a.org_id).id
    answer = await api.delete(f"{RESERVATIONS}/{rid}", headers=a.owner.headers)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["id"], answer.json()["status"]) == (rid, "cancelling")


async def test_a_reservation_shows_tpm_used_per_minute_and_overflow_over_hour_and_period(
    api: httpx.AsyncClient, scheduler: FakeCapacity, series: FakeSeries, a: Tenant
) -> None:
    view = scheduler.seed(a.org_id, "gpt-5.4", tpm=1000)
    start = view.period_start.ToDatetime(tzinfo=UTC)
    minute = timedelta(minutes=1)
    series.points = [point(start + 2 * minute, 1000, 120), point(start + 3 * minute, 400)]
    answer = await api.get(f"{RESERVATIONS}/{view.id}", headers=a.admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["utilization_unavailable"] is None
    assert answer.json()["utilization"] == {
        "window_s": 60,
        "last_hour": [
            {"start": "2026-11-24T12:02:00Z", "reserved_tokens": 1000, "spot_tokens": 0,
             "on_demand_tokens": 120, "utilization": 1.12},
            {"start": "2026-11-24T12:03:00Z", "reserved_tokens": 400, "spot_tokens": 0,
             "on_demand_tokens": 0, "utilization": 0.4},
        ],
        "period": {"start": "2026-11-24T12:00:00Z", "end": "2026-11-24T12:30:00Z",
                   "reserved_tokens": 1400, "spot_tokens": 0, "on_demand_tokens": 120,
                   "minutes": 30, "average_tpm_used": 50.7, "peak_tpm_used": 1120,
                   "utilization": 0.0507, "overflow_share": 0.0789},
    }  # fmt: skip
    asked = sorted(
        (getattr(q, "from").ToDatetime(tzinfo=UTC), q.to.ToDatetime(tzinfo=UTC))
        for q in series.seen
    )
    assert asked == [(NOW - timedelta(hours=1), NOW), (start, NOW)]
    assert {(q.org_id, q.model, q.bucket_s) for q in series.seen} == {(a.org_id, "gpt-5.4", 60)}


async def test_without_metering_the_reservation_is_answered_with_utilization_null(
    api: httpx.AsyncClient, scheduler: FakeCapacity, a: Tenant
) -> None:
    view = scheduler.seed(a.org_id)
    answer = await api.get(f"{RESERVATIONS}/{view.id}", headers=a.admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["utilization"] is None
    assert answer.json()["utilization_unavailable"] == "metering is not running"
    assert answer.json()["status"] == "active"


async def test_without_the_scheduler_the_api_answers_503(
    bus: Bus, auth: AuthService, key_runner: KeyRunner
) -> None:
    tenant = await new_tenant(bus)
    await settled(bus, key_runner[0])
    router = APIRouter(route_class=AdminRoute)
    add_reservation_routes(router, key_runner[1], bus)
    app = FastAPI()
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as h:
        answer = await h.get(RESERVATIONS, headers=tenant.admin.headers)
    assert answer.status_code == 503, answer.text
    assert "capacity-scheduler is not running" in answer.json()["error"]["message"]
