"""A fake capacity-scheduler on the real bus, answering the fixed reservation and deployment
commands (`create_reservation`, `get_reservation`, `list_reservations`,
`update_reservation`, `cancel_reservation`, `declare_deployment`) the way the contract
says: each org sees only its own reservations (another org's is NotFound, worded exactly
as a missing one), an unknown model is InvalidRequest naming `model`, a reservation past
the model's free reserved TPM is Conflict naming what is free. It records every command,
so a test can see which org a caller asked for. Reservations are active at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message

from hicap.bus import Bus, Subscription, commands
from hicap.errors import Conflict, InvalidRequest, NotFound
from hicap.events.v1 import capacity_commands_pb2 as capacity

QUEUE = "capacity-scheduler"
RESERVED_TPM = 100_000  # per model, as the demo deployments
MODELS = ("gpt-5.4", "gpt-4.1", "claude-opus-4.6")
PERIOD = timedelta(days=30)
FEE_MICROS_PER_TPM = 2_475_000  # 2.475 USD per TPM-month


@dataclass(slots=True)
class FakeCapacity:
    reservations: dict[str, capacity.ReservationView] = field(default_factory=dict)
    seen: list[Message] = field(default_factory=list)
    declared: list[capacity.DeclareDeployment] = field(default_factory=list)
    now: datetime = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def free(self, model: str) -> int:
        taken = sum(v.tpm for v in self.reservations.values() if v.model == model)
        return RESERVED_TPM - taken

    def seed(
        self, org_id: str, model: str = "gpt-5.4", tpm: int = 1000
    ) -> capacity.ReservationView:
        view = capacity.ReservationView(
            id=f"rsv_{len(self.reservations) + 1:04d}_{org_id[-6:]}", org_id=org_id, model=model,
            tpm=tpm, months=1, auto_renew=True, overflow=True, status="active", period=1,
            fee_micros_per_period=tpm * FEE_MICROS_PER_TPM,
        )  # fmt: skip
        view.period_start.FromDatetime(self.now)
        view.period_end.FromDatetime(self.now + PERIOD)
        view.term_end.FromDatetime(self.now + PERIOD)
        view.created_at.FromDatetime(self.now)
        view.allocations.add(deployment=f"openai-{model}-ptu", tpm=tpm)
        self.reservations[view.id] = view
        return view

    async def create(self, req: capacity.CreateReservation) -> Message:
        self.seen.append(req)
        if req.model not in MODELS:
            raise InvalidRequest(f"model: {req.model!r} is not a model of the catalogue")
        if req.months not in (1, 3, 12):
            raise InvalidRequest("months: must be 1, 3 or 12")
        if req.tpm > self.free(req.model):
            raise Conflict(
                f"{req.model}: {req.tpm} TPM would oversell its reserved capacity; "
                f"{self.free(req.model)} TPM is free"
            )
        view = self.seed(req.org_id, req.model, req.tpm)
        view.months, view.auto_renew, view.overflow = req.months, req.auto_renew, req.overflow
        return capacity.ReservationReply(reservation=view)

    def _mine(self, org_id: str, reservation_id: str) -> capacity.ReservationView:
        view = self.reservations.get(reservation_id)
        if view is None or (org_id and view.org_id != org_id):
            raise NotFound(f"reservation {reservation_id} not found")
        return view

    async def get(self, req: capacity.GetReservation) -> Message:
        self.seen.append(req)
        return capacity.ReservationReply(reservation=self._mine(req.org_id, req.reservation_id))

    async def list(self, req: capacity.ListReservations) -> Message:
        self.seen.append(req)
        views = [v for v in self.reservations.values() if req.org_id in ("", v.org_id)]
        return capacity.ReservationList(reservations=list(reversed(views)))

    async def update(self, req: capacity.UpdateReservation) -> Message:
        self.seen.append(req)
        view = self._mine(req.org_id, req.reservation_id)
        if req.tpm and req.tpm > view.tpm:
            if req.tpm - view.tpm > self.free(view.model):
                raise Conflict(f"{view.model}: {self.free(view.model)} TPM is free")
            view.tpm, view.pending_tpm = req.tpm, 0
        elif req.tpm and req.tpm < view.tpm:
            view.pending_tpm = req.tpm
        if req.HasField("overflow"):
            view.overflow = req.overflow
        if req.HasField("auto_renew"):
            view.auto_renew = req.auto_renew
        return capacity.ReservationReply(reservation=view)

    async def cancel(self, req: capacity.CancelReservation) -> Message:
        self.seen.append(req)
        view = self._mine(req.org_id, req.reservation_id)
        view.status = "cancelling"
        return capacity.ReservationReply(reservation=view)

    async def declare(self, req: capacity.DeclareDeployment) -> Message:
        self.declared.append(req)
        if req.model not in MODELS:
            raise NotFound(f"model {req.model} is not in the catalogue")
        return capacity.DeclareDeploymentReply(deployment=req.deployment.name)


@asynccontextmanager
async def fake_capacity(bus: Bus) -> AsyncIterator[FakeCapacity]:
    fake = FakeCapacity()
    subject = commands.command_subject
    table: list[tuple[str, type[Message], object]] = [
        ("create_reservation", capacity.CreateReservation, fake.create),
        ("get_reservation", capacity.GetReservation, fake.get),
        ("list_reservations", capacity.ListReservations, fake.list),
        ("update_reservation", capacity.UpdateReservation, fake.update),
        ("cancel_reservation", capacity.CancelReservation, fake.cancel),
        ("declare_deployment", capacity.DeclareDeployment, fake.declare),
    ]
    subs: list[Subscription] = [
        await commands.serve(bus, subject(QUEUE, name), kind, handler, queue=QUEUE)  # type: ignore[arg-type]  # a table of (type, handler) pairs
        for name, kind, handler in table
    ]
    await bus.nc.flush()  # the subscriptions are known to the server before the first call
    try:
        yield fake
    finally:
        for sub in subs:
            await sub.unsubscribe()
