"""Shared by the capacity tests: a model of the test's own with reserved deployments,
reservation commands over the bus, and the CAPACITY stream's events of one reservation.
Must not import pytest fixtures (conftest has them)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import Message

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, commands, stream_last_seq
from hicap.catalog import RESERVED, Deployment, Model, Price, deployment_to_proto, model_to_event
from hicap.events import Event, Stream
from hicap.events.v1 import capacity_commands_pb2 as cmd
from tests.asserts import assert_eventually

PRICE = Price(datetime(2026, 1, 1, tzinfo=UTC), 2_500_000, 250_000, 0, 15_000_000)
SUBJECT = "hicap.cmd.capacity-scheduler."
R = TypeVar("R", bound=Message)


def reserved(name: str, tpm: int) -> Deployment:
    return Deployment(
        name,
        "openai",
        "http://127.0.0.1:9/v1",
        "gpt-x",
        "",
        kind=RESERVED,
        tpm=tpm,
        hourly_cost_micros=1_000_000,
    )


async def new_reserved_model(bus: Bus, *tpms: int) -> str:
    """A model of this test's own with one on-demand and reserved deployments of `tpms`."""
    name = f"m-{uuid.uuid4().hex[:8]}"
    on_demand = Deployment(f"{name}-od", "openai", "http://127.0.0.1:9/v1", "gpt-x", "")
    model = Model(name, "openai", 8192, (on_demand,), (PRICE,))
    await call(
        bus, "publish_model", cmd.PublishModel(model=model_to_event(model)), cmd.PublishModelReply
    )
    for i, tpm in enumerate(tpms):
        declare = cmd.DeclareDeployment(
            model=name, deployment=deployment_to_proto(reserved(f"{name}-r{i}", tpm))
        )
        await call(bus, "declare_deployment", declare, cmd.DeclareDeploymentReply)
    return name


async def call(bus: Bus, command: str, req: Message, reply: type[R]) -> R:
    return await commands.request(bus, SUBJECT + command, req, reply, timeout_s=30)


async def create(bus: Bus, org: str, model: str, tpm: int, **kw: object) -> cmd.ReservationView:
    req = cmd.CreateReservation(
        org_id=org, model=model, tpm=tpm, months=1, auto_renew=True, overflow=True
    )
    for key, value in kw.items():
        setattr(req, key, value)
    return (await call(bus, "create_reservation", req, cmd.ReservationReply)).reservation


async def get(bus: Bus, org: str, rid: str) -> cmd.ReservationView:
    req = cmd.GetReservation(org_id=org, reservation_id=rid)
    return (await call(bus, "get_reservation", req, cmd.ReservationReply)).reservation


async def scale(bus: Bus, org: str, rid: str, tpm: int) -> cmd.ReservationView:
    req = cmd.UpdateReservation(org_id=org, reservation_id=rid, tpm=tpm)
    return (await call(bus, "update_reservation", req, cmd.ReservationReply)).reservation


async def cancel(bus: Bus, org: str, rid: str) -> cmd.ReservationView:
    req = cmd.CancelReservation(org_id=org, reservation_id=rid)
    return (await call(bus, "cancel_reservation", req, cmd.ReservationReply)).reservation


async def events_of(bus: Bus, rid: str) -> list[Event[Message]]:
    """Every CAPACITY event of reservation `rid`, in stream order."""
    return await events_where(bus, lambda p: getattr(p, "reservation_id", "") == rid)


async def events_where(bus: Bus, wanted: Callable[[Message], bool]) -> list[Event[Message]]:
    """Every CAPACITY event whose payload is `wanted`, in stream order."""

    def keep(acc: tuple[Event[Message], ...], e: Event[Message]) -> tuple[Event[Message], ...]:
        return (*acc, e) if wanted(e.payload) else acc

    start: Snapshot[tuple[Event[Message], ...]] = Snapshot((), 0)
    runner = ProjectionRunner(bus, Projection(Stream.CAPACITY, keep, start))
    last = await stream_last_seq(bus, Stream.CAPACITY)
    await runner.start()
    try:
        await assert_eventually(lambda: runner.projection.applied_seq >= last, timeout=10)
        return list(runner.state)
    finally:
        await runner.stop()


def counts(events: list[Event[Message]]) -> Counter[str]:
    """How many of each (type, period or change): each must be 1 for exactly once."""
    out: Counter[str] = Counter()
    for e in events:
        p = e.payload
        key = getattr(p, "period", None) or getattr(p, "change_id", None) or ""
        out[f"{p.DESCRIPTOR.name}/{key}"] += 1
    return out
