"""`hicap reservations`: create, list, show, scale and cancel reservations of throughput as
the platform operator, through capacity-scheduler's commands on the bus of the platform
running on the data dir (found via the run file, like `hicap keys`). The operator reads
every org's reservations (an empty org id); `scale` and `cancel` first read the
reservation to learn its org, then ask as that org, so the scheduler applies the same
rules as for the org's own admin API. Each `scale` sends a new change id. The
scheduler's refusals (an oversell naming what is free, an unknown model) come back as
HicapErrors. Imports libs only, never a service.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.table import Table

from hicap.bus import Bus
from hicap.cli.operator_bus import ask, on_bus
from hicap.errors import InvalidRequest
from hicap.events.v1 import capacity_commands_pb2 as capacity
from hicap.money import format_usd

__all__ = [
    "NewReservation",
    "cancel_reservation",
    "create_reservation",
    "describe",
    "get_reservation",
    "list_reservations",
    "render_reservations",
    "scale_reservation",
]

SCHEDULER = "capacity-scheduler"
MONTHS = (1, 3, 12)
Rep = TypeVar("Rep", bound=Message)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NewReservation:
    org_id: str
    model: str
    tpm: int
    months: int = 1
    auto_renew: bool = True
    overflow: bool = True

    def checked(self) -> NewReservation:
        """InvalidRequest naming the option, before looking for the platform."""
        if self.tpm <= 0:
            raise InvalidRequest("--tpm must be a positive number of tokens per minute")
        if self.months not in MONTHS:
            raise InvalidRequest("--months must be 1, 3 or 12")
        return self


async def create_reservation(nats_url: str, new: NewReservation) -> capacity.ReservationView:
    new = new.checked()
    request = capacity.CreateReservation(
        org_id=new.org_id, model=new.model, tpm=new.tpm, months=new.months,
        auto_renew=new.auto_renew, overflow=new.overflow, requested_by="operator",
    )  # fmt: skip
    reply = await _one(nats_url, "create_reservation", request, capacity.ReservationReply)
    return reply.reservation


async def list_reservations(nats_url: str, org_id: str = "") -> list[capacity.ReservationView]:
    """One org's reservations, or (no org) every org's; newest first."""
    request = capacity.ListReservations(org_id=org_id)
    reply = await _one(nats_url, "list_reservations", request, capacity.ReservationList)
    return list(reply.reservations)


async def get_reservation(nats_url: str, reservation_id: str) -> capacity.ReservationView:
    request = capacity.GetReservation(reservation_id=reservation_id)
    return (await _one(nats_url, "get_reservation", request, capacity.ReservationReply)).reservation


async def scale_reservation(
    nats_url: str, reservation_id: str, tpm: int
) -> capacity.ReservationView:
    if tpm <= 0:
        raise InvalidRequest("--tpm must be a positive number of tokens per minute")

    async def scale(bus: Bus) -> capacity.ReservationView:
        org_id = (await _read(bus, reservation_id)).org_id
        request = capacity.UpdateReservation(
            org_id=org_id, reservation_id=reservation_id, tpm=tpm, change_id=uuid.uuid4().hex
        )
        return (
            await _ask(bus, "update_reservation", request, capacity.ReservationReply)
        ).reservation

    return await _on_bus(nats_url, scale)


async def cancel_reservation(nats_url: str, reservation_id: str) -> capacity.ReservationView:
    async def cancel(bus: Bus) -> capacity.ReservationView:
        org_id = (await _read(bus, reservation_id)).org_id
        request = capacity.CancelReservation(org_id=org_id, reservation_id=reservation_id)
        return (
            await _ask(bus, "cancel_reservation", request, capacity.ReservationReply)
        ).reservation

    return await _on_bus(nats_url, cancel)


def render_reservations(views: Sequence[capacity.ReservationView], console: Console) -> None:
    if not views:
        console.print("no reservations")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "org", "model", "tpm", "status", "period", "term end", "fee/period USD"):
        table.add_column(column, overflow="fold")
    for v in views:
        tpm = f"{v.tpm:,}" + (f" -> {v.pending_tpm:,}" if v.pending_tpm else "")
        table.add_row(
            v.id, v.org_id, v.model, tpm, v.status, str(v.period or "-"), _when(v.term_end),
            format_usd(v.fee_micros_per_period, 2),
        )  # fmt: skip
    console.print(table)


def describe(v: capacity.ReservationView) -> list[str]:
    """`hicap reservations show`: one line per field."""
    pending = f" (from the next period: {v.pending_tpm:,})" if v.pending_tpm else ""
    allocations = ", ".join(f"{a.deployment} {a.tpm:,}" for a in v.allocations) or "-"
    return [
        f"id            {v.id}",
        f"org           {v.org_id}",
        f"model         {v.model}",
        f"tpm           {v.tpm:,}{pending}",
        f"status        {v.status}",
        f"term          {v.months} month(s), auto-renew {'on' if v.auto_renew else 'off'}",
        f"overflow      {'on-demand' if v.overflow else 'off (429 past the reservation)'}",
        f"period        {v.period or '-'}: {_when(v.period_start)} .. {_when(v.period_end)}",
        f"term end      {_when(v.term_end)}",
        f"fee/period    {format_usd(v.fee_micros_per_period, 2)} USD",
        f"allocations   {allocations}",
        f"created       {_when(v.created_at)}",
        f"ended         {_when(v.ended_at)}",
    ]


def _when(ts: Timestamp) -> str:
    return ts.ToJsonString() if ts.seconds or ts.nanos else "-"


async def _read(bus: Bus, reservation_id: str) -> capacity.ReservationView:
    request = capacity.GetReservation(reservation_id=reservation_id)
    return (await _ask(bus, "get_reservation", request, capacity.ReservationReply)).reservation


async def _ask(bus: Bus, name: str, message: Message, reply_type: type[Rep]) -> Rep:
    return await ask(bus, SCHEDULER, name, message, reply_type)


async def _one(nats_url: str, name: str, message: Message, reply_type: type[Rep]) -> Rep:
    async def ask(bus: Bus) -> Rep:
        return await _ask(bus, name, message, reply_type)

    return await _on_bus(nats_url, ask)


async def _on_bus(nats_url: str, work: Callable[[Bus], Awaitable[T]]) -> T:
    return await on_bus(nats_url, "reservations", work)
