"""What the lane tests run against: the real bus, auth (for keys), capacity-scheduler's
lease book served with `serve_leases` over a reservations projection of CAPACITY, the
real provider-egress handler on the hot path, provider-sim with a reserved and an
on-demand deployment per model, and ingress replicas (each its own Admission, LeaseClient
and Relay, driven in-process through httpx's ASGI transport). Reservations are created
by publishing ReservationRequested + ReservationActivated on CAPACITY."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from hicap.auth.app import AuthService, start_auth
from hicap.bus import (
    Bus,
    Projection,
    ProjectionRunner,
    Snapshot,
    StreamClient,
    StreamServer,
    Subscription,
    commands,
    publish,
)
from hicap.capacity_scheduler.leases import serve_leases
from hicap.catalog import (
    ON_DEMAND,
    RESERVED,
    Catalog,
    Deployment,
    Model,
    Price,
    Reservations,
    evolve_reservations,
)
from hicap.events import Stream, capacity_pb2, new_event
from hicap.events.egress import egress_subject
from hicap.events.v1 import auth_commands_pb2 as auth_cmd
from hicap.ingress.admission import Admission
from hicap.ingress.app import lease_over
from hicap.ingress.http import build_app
from hicap.ingress.keys import KeyIndex, KeyRing, key_projection
from hicap.ingress.lease_client import LeaseClient
from hicap.ingress.relay import CallRecord, Relay, RelayConfig
from hicap.provider_egress.credentials import Credentials
from hicap.provider_egress.handlers import EgressHandler, Wire
from hicap.provider_egress.retry import RetryPolicy
from hicap.provider_egress.upstream import SendConfig, make_pool
from hicap.provider_egress.wire.estimate import estimate_input_tokens
from hicap.provider_egress.wire.registry import adapter_for, surface_for
from hicap.provider_sim.config import Deployment as SimDeployment
from hicap.provider_sim.config import SimConfig

SECRET = b"lanes-integration-secret"
WINDOW_S = 2.0
LEASE_INTERVAL_S = 0.2
PRICE = Price(datetime(2025, 1, 1, tzinfo=UTC), 2_000_000, 500_000, 2_500_000, 8_000_000)
MODEL, TIGHT = "lane-model", "lane-tight"  # TIGHT's reserved deployment has a low TPM
TIGHT_SIM_TPM = 600


def _deployment(name: str, kind: str) -> Deployment:
    return Deployment(
        name, "openai", "https://api.openai.com/v1", "gpt-4.1", "openai", kind=kind, tpm=100_000
    )


def lanes_catalog() -> Catalog:
    return Catalog.of(
        Model(
            m,
            "openai",
            100_000,
            (_deployment(f"{m}-r", RESERVED), _deployment(f"{m}-od", ON_DEMAND)),
            (PRICE,),
        )
        for m in (MODEL, TIGHT)
    )


def sim_config() -> SimConfig:
    return SimConfig(
        deployments={
            f"{MODEL}-r": SimDeployment(tpm=1_000_000, window_s=WINDOW_S),
            f"{TIGHT}-r": SimDeployment(tpm=TIGHT_SIM_TPM, window_s=30.0),
        }
    )


def window_of(unix_s: float) -> int:
    return math.floor(unix_s / WINDOW_S)


async def until_next_window(margin_s: float = 0.05) -> int:
    """Sleep into the next window; its number."""
    now = time.time()
    nxt = window_of(now) + 1
    await asyncio.sleep(nxt * WINDOW_S - now + margin_s)
    return nxt


@dataclass
class Replica:
    """One ingress replica: its admission, lease client, relay and an HTTP client to it."""

    admission: Admission
    leases: LeaseClient
    http: httpx.AsyncClient
    records: list[CallRecord] = field(default_factory=list)

    async def chat(self, key: str, model: str, *, text_chars: int = 400) -> httpx.Response:
        body = {
            "model": model,
            "max_tokens": 5,
            "messages": [{"role": "user", "content": f"{uuid.uuid4().hex} " + "x" * text_chars}],
        }
        return await self.http.post(
            "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
        )


@dataclass
class Lanes:
    bus: Bus
    auth: AuthService
    key_runner: ProjectionRunner[KeyIndex]
    keys: KeyRing
    reservations: ProjectionRunner[Reservations]
    scheduler_view: ProjectionRunner[Reservations]
    catalog: Catalog
    client: StreamClient

    async def new_key(self) -> tuple[str, str]:
        """A fresh org and its owner key: (org id, key)."""
        subject = commands.command_subject("auth", "create_org")
        org = auth_cmd.CreateOrg(name=f"Lanes {uuid.uuid4().hex[:6]}")
        reply = await commands.request(self.bus, subject, org, auth_cmd.CreateOrgReply)
        await self.key_runner.wait_applied(self.auth.runner.projection.applied_seq, 5.0)
        return reply.org_id, reply.owner_key.key

    async def reserve(self, org_id: str, model: str, tpm: int, *, overflow: bool = True) -> str:
        rid = f"res-{uuid.uuid4().hex[:12]}"
        allocation = capacity_pb2.ReservationAllocation(deployment=f"{model}-r", tpm=tpm)
        requested = capacity_pb2.ReservationRequested(
            reservation_id=rid,
            org_id=org_id,
            model=model,
            tpm=tpm,
            months=1,
            overflow=overflow,
            allocations=[allocation],
        )
        requested.requested_at.FromDatetime(datetime.now(UTC))
        activated = capacity_pb2.ReservationActivated(reservation_id=rid, org_id=org_id, period=1)
        start = datetime.now(UTC)
        activated.period_start.FromDatetime(start)
        activated.period_end.FromDatetime(start + timedelta(days=30))
        activated.term_end.FromDatetime(start + timedelta(days=30))
        await publish(self.bus, new_event(requested, org_id=org_id))
        done = await publish(self.bus, new_event(activated, org_id=org_id))
        await self.reservations.wait_applied(done.seq, 5.0)
        await self.scheduler_view.wait_applied(done.seq, 5.0)
        return rid

    @contextlib.asynccontextmanager
    async def replica(self, name: str) -> AsyncIterator[Replica]:
        admission = Admission(
            lambda: self.reservations.state, window_s=WINDOW_S, allowance_tokens=1024
        )
        leases = await LeaseClient(
            admission, lease_over(self.bus), replica=name, interval_s=LEASE_INTERVAL_S
        ).start()
        records: list[CallRecord] = []
        relay = Relay(
            self.keys,
            lambda: self.catalog,
            self.client,
            RelayConfig(max_body_bytes=1 << 20, deadline_s=10.0),
            on_complete=records.append,
            admission=admission,
        )
        transport = httpx.ASGITransport(app=build_app(relay))
        async with httpx.AsyncClient(transport=transport, base_url="http://ingress") as http:
            try:
                yield Replica(admission, leases, http, records)
            finally:
                await leases.stop()


@contextlib.asynccontextmanager
async def running_lanes(bus: Bus, sim_url: str) -> AsyncIterator[Lanes]:
    auth = await start_auth(bus, SECRET)
    key_runner, keys = key_projection(bus, SECRET)
    reservations = _reservations(bus)
    scheduler_view = _reservations(bus)
    for runner in (key_runner, reservations, scheduler_view):
        await runner.start()
        await runner.wait_caught_up(10)
    subscriptions: list[Subscription] = await serve_leases(
        bus, lambda: scheduler_view.state, window_s=WINDOW_S, grace_s=3 * LEASE_INTERVAL_S
    )
    catalog = lanes_catalog()
    pool = make_pool(2.0)
    handler = EgressHandler(
        pool,
        lambda: catalog,
        Credentials({"openai": "sk-lanes-test"}, None),
        SendConfig(policy=RetryPolicy(max_attempts=3, backoff_s=0.05), first_byte_timeout_s=5.0),
        Wire(adapter_for, surface_for, estimate_input_tokens),
        override_url=sim_url,
        simulated=None,
    )
    server = await StreamServer(bus, egress_subject("openai"), handler, queue="lanes").start()
    client = await StreamClient(bus).start()
    try:
        yield Lanes(bus, auth, key_runner, keys, reservations, scheduler_view, catalog, client)
    finally:
        await client.stop()
        await server.stop()
        await pool.close()
        for sub in subscriptions:
            await sub.unsubscribe()
        for runner in (key_runner, reservations, scheduler_view):
            await runner.stop()
        await auth.stop()


def _reservations(bus: Bus) -> ProjectionRunner[Reservations]:
    return ProjectionRunner(
        bus, Projection(Stream.CAPACITY, evolve_reservations, Snapshot(Reservations(), 0))
    )
