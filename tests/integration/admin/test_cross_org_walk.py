"""The OpenAPI walk: every admin route, found in the app's own OpenAPI document, is called
with another org's admin key against this org's real ids and must answer 404 exactly as for
an org that does not exist, change nothing, and the same for members, viewers (403) and
callers without a key (401). A route without an org in its path (usage) answers for the
org of the caller's key: another org's admin key gets its own org's answer, never a trace
of this org's. The walk also proves each route works for the org's own owner and admin (or
refuses the admin with 403 where the route serves the owner only), so a 404 cannot come
from a broken route. A route the walk cannot fill fails the test. Metering is a fake on the
real bus, seeded with rows that carry their org's id (`fake_metering`); so is
capacity-scheduler, with a reservation per org (`fake_capacity`). A route of the caller's
org that names a resource in its path (a reservation) must answer another org's key 404 on
this org's resource, exactly as on a resource that does not exist, and change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from hicap.auth.app import AuthService
from hicap.bus import Bus, ProjectionRunner
from hicap.events import auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.ingress.keys import KeyIndex, KeyRing
from tests.integration.admin.fake_capacity import FakeCapacity, fake_capacity
from tests.integration.admin.fake_metering import FakeMetering, Row, fake_metering
from tests.integration.admin.tenants import Tenant, issue, new_tenant, org_view, settled
from tests.integration.admin.walk import ADMIN_PREFIX, Call, Operation, admin_operations, fill

KeyRunner = tuple[ProjectionRunner[KeyIndex], KeyRing]
EXPECTED_ROUTES = 14  # a floor, so that an empty walk cannot pass


@pytest.fixture(autouse=True)
async def metering(bus: Bus) -> AsyncIterator[FakeMetering]:
    async with fake_metering(bus) as fake:
        yield fake


@pytest.fixture(autouse=True)
async def scheduler(bus: Bus) -> AsyncIterator[FakeCapacity]:
    async with fake_capacity(bus) as fake:
        yield fake


def reservations_of(fake: FakeCapacity, *tenants: Tenant) -> None:
    """A reservation per tenant."""
    for t in tenants:
        fake.seed(t.org_id, model="gpt-5.4")


def usage_of(fake: FakeMetering, *tenants: Tenant) -> None:
    """Usage rows for each tenant, its org id in every value a usage route can show."""
    for t in tenants:
        fake.seed(Row(t.org_id, model=f"model-of-{t.org_id}"))


def callers_org_answer(op: Operation, answer: httpx.Response, a: Tenant, b: Tenant) -> str:
    """What is wrong with B's answer on a route of the caller's org: anything but B's own."""
    if not answer.is_success:
        return f"{op} for B's key: {answer.status_code} {answer.text}"
    if a.org_id in answer.text or b.org_id not in answer.text:
        return f"{op} for B's key did not answer with B's org only: {answer.text}"
    return ""


MISSING_RESERVATION = "rsv_0190a7c2d4e57f00a1b2c3d4e5f60718"


def reservation_of(scheduler: FakeCapacity, t: Tenant) -> str:
    """The tenant's first reservation (`reservations_of` seeds one)."""
    mine = (v.id for v in scheduler.reservations.values() if v.org_id == t.org_id)
    return next(mine, MISSING_RESERVATION)


def ids_of(t: Tenant, scheduler: FakeCapacity, **override: str) -> dict[str, str]:
    ids = {"org_id": t.org_id, "team_id": t.team_id, "app_id": t.app_id, "key_id": t.member.key_id,
           "reservation_id": reservation_of(scheduler, t)}  # fmt: skip
    return {**ids, **override}


async def send(client: httpx.AsyncClient, call: Call, headers: Mapping[str, str]) -> httpx.Response:
    return await client.request(
        call.method, call.url, params=call.query, json=call.body, headers=dict(headers)
    )


@pytest.fixture
def operations(admin_app: FastAPI) -> list[Operation]:
    ops = admin_operations(admin_app.openapi())
    assert len(ops) >= EXPECTED_ROUTES
    return ops


def test_the_openapi_document_lists_every_admin_route(
    admin_router: APIRouter, operations: list[Operation]
) -> None:
    routes = [r for r in admin_router.routes if isinstance(r, APIRoute)]
    assert len(routes) == len(admin_router.routes)  # nothing the OpenAPI document cannot show
    served = {(method.lower(), r.path) for r in routes for method in r.methods or ()}
    assert all(path.startswith(ADMIN_PREFIX) for _, path in served)
    assert served == {(op.method, op.path) for op in operations}


async def test_another_orgs_admin_key_gets_404_on_every_route_and_changes_nothing(
    client: httpx.AsyncClient, admin_app: FastAPI, operations: list[Operation],
    bus: Bus, auth: AuthService, key_runner: KeyRunner, metering: FakeMetering,
    scheduler: FakeCapacity,
) -> None:  # fmt: skip
    a, b = await new_tenant(bus), await new_tenant(bus)
    await settled(bus, key_runner[0])
    usage_of(metering, a, b)
    reservations_of(scheduler, a, b)
    a_reservation = str(scheduler.reservations[reservation_of(scheduler, a)])
    doc, before = admin_app.openapi(), org_view(auth.directory, a.org_id)
    missing = "org_0190a7c2d4e57f00a1b2c3d4e5f60718"
    wrong: list[str] = []
    for op in operations:
        on_a = await send(client, fill(doc, op, ids_of(a, scheduler)), b.admin.headers)
        if op.of_callers_org and op.names_a_resource:
            if problem := await callers_resource_answer(client, doc, op, on_a, a, b, scheduler):
                wrong.append(problem)
            continue
        if op.of_callers_org:
            if problem := callers_org_answer(op, on_a, a, b):
                wrong.append(problem)
            continue
        on_none = await send(
            client, fill(doc, op, ids_of(a, scheduler, org_id=missing)), b.admin.headers
        )
        if on_a.status_code != 404:
            wrong.append(f"{op} on A's org: {on_a.status_code} {on_a.text}")
        elif on_a.text.replace(a.org_id, "ORG") != on_none.text.replace(missing, "ORG"):
            wrong.append(f"{op}: A's org answered unlike a missing org: {on_a.text}")
        # B's own org, with A's team / app / key ids in the path, query or body.
        b_call = fill(doc, op, ids_of(a, scheduler, org_id=b.org_id))
        if b_call.ids_used - {"org_id"}:
            on_b = await send(client, b_call, b.admin.headers)
            if on_b.status_code != 404:
                wrong.append(f"{op} with A's ids in B's org: {on_b.status_code} {on_b.text}")
    assert not wrong, "\n".join(wrong)
    assert org_view(auth.directory, a.org_id) == before
    assert metering.rows[a.org_id] and not metering.deletions
    assert str(scheduler.reservations[reservation_of(scheduler, a)]) == a_reservation


async def callers_resource_answer(
    client: httpx.AsyncClient, doc: Mapping[str, object], op: Operation,
    on_a: httpx.Response, a: Tenant, b: Tenant, scheduler: FakeCapacity,
) -> str:  # fmt: skip
    """What is wrong with B's answer on A's resource: anything but a missing one's 404."""
    if on_a.status_code != 404:
        return f"{op} on A's resource for B's key: {on_a.status_code} {on_a.text}"
    ids = ids_of(a, scheduler, reservation_id=MISSING_RESERVATION)
    on_none = await send(client, fill(doc, op, ids), b.admin.headers)
    theirs = reservation_of(scheduler, a)
    if on_a.text.replace(theirs, "ID") != on_none.text.replace(MISSING_RESERVATION, "ID"):
        return f"{op}: A's resource answered unlike a missing one: {on_a.text}"
    return ""


@pytest.mark.parametrize("who", ["member", "viewer", "nobody"])
async def test_members_viewers_and_callers_without_a_key_are_refused_on_every_route(
    who: str, client: httpx.AsyncClient, admin_app: FastAPI, operations: list[Operation],
    bus: Bus, auth: AuthService, key_runner: KeyRunner, metering: FakeMetering,
    scheduler: FakeCapacity,
) -> None:  # fmt: skip
    a = await new_tenant(bus)
    await settled(bus, key_runner[0])
    headers = {"member": a.member.headers, "viewer": a.viewer.headers, "nobody": {}}[who]
    expected = 401 if who == "nobody" else 403
    doc, before = admin_app.openapi(), org_view(auth.directory, a.org_id)
    answers = {
        str(op): (await send(client, fill(doc, op, ids_of(a, scheduler)), headers))
        for op in operations
    }
    wrong = {op: (r.status_code, r.text) for op, r in answers.items() if r.status_code != expected}
    assert not wrong
    assert all(r.json()["error"]["message"] for r in answers.values())
    assert org_view(auth.directory, a.org_id) == before
    assert metering.commands_seen == 0
    assert not scheduler.seen


@pytest.mark.parametrize("role", ["owner", "admin"])
async def test_the_orgs_own_owner_and_admin_keys_succeed_on_every_route(
    role: str, client: httpx.AsyncClient, admin_app: FastAPI, operations: list[Operation],
    bus: Bus, auth: AuthService, key_runner: KeyRunner, metering: FakeMetering,
    scheduler: FakeCapacity,
) -> None:  # fmt: skip
    c = await new_tenant(bus)
    usage_of(metering, c)
    reservations_of(scheduler, c)
    headers = c.owner.headers if role == "owner" else c.admin.headers
    doc, wrong = admin_app.openapi(), []
    for op in operations:
        expected = 200 if role in op.roles else 403
        # A fresh key per route, so a revoke or restrict does not change what another sees.
        fresh = await issue(bus, cmd.IssueKey(actor=c.actor, role=auth_pb2.ROLE_MEMBER,
                                              name="walk", team_id=c.team_id, app_id=c.app_id))  # fmt: skip
        await settled(bus, key_runner[0])
        answer = await send(
            client, fill(doc, op, ids_of(c, scheduler, key_id=fresh.key_id)), headers
        )
        if (200 if answer.is_success else answer.status_code) != expected:
            wrong.append(f"{op}: {answer.status_code} {answer.text}")
    assert not wrong, "\n".join(wrong)
