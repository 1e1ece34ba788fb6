"""The reservation commands: create, get, list, update (PATCH) and cancel (DELETE).

`create_reservation` decides and appends ReservationRequested through the writer, then
starts the reservation's workflow; scale, settings and cancel are the workflow's updates
(its activities decide and append), and the handler answers once they complete, from the
projection. Org scoping: a non-empty `org_id` only ever sees and touches its own
reservations; another org's id is NotFound, exactly as an unknown id (never "forbidden",
which would confirm it exists). Replies carry `ReservationView`, with the period's fee.
Imports no nats and no temporalio: the workflow is behind the `Lifecycles` protocol.
"""

from __future__ import annotations

import logging
from typing import Protocol

from hicap.capacity_scheduler.fees import fee_micros_per_period
from hicap.capacity_scheduler.reserving import NewReservation, decide_create, stamp
from hicap.capacity_scheduler.writer import CapacityWriter
from hicap.catalog import Catalog, Reservation
from hicap.catalog.reservations import CANCELLING, allocations_to_proto
from hicap.errors import Conflict, HicapError, InvalidRequest, NotFound
from hicap.events.v1 import capacity_commands_pb2 as cmd

__all__ = ["Lifecycles", "ReservationHandlers", "view"]

log = logging.getLogger(__name__)


class Lifecycles(Protocol):
    """The reservations' workflows, as the handlers drive them."""

    async def start(self, reservation_id: str) -> None: ...
    async def scale(self, reservation_id: str, change_id: str, tpm: int) -> None: ...
    async def update(
        self, reservation_id: str, change_id: str, overflow: bool | None, auto_renew: bool | None
    ) -> None: ...
    async def cancel(self, reservation_id: str) -> None: ...


class ReservationHandlers:
    def __init__(self, writer: CapacityWriter, lifecycles: Lifecycles) -> None:
        self.writer, self.lifecycles = writer, lifecycles

    async def create_reservation(self, req: cmd.CreateReservation) -> cmd.ReservationReply:
        new = NewReservation(
            org_id=req.org_id,
            model=req.model,
            tpm=int(req.tpm),
            months=int(req.months) or 1,
            auto_renew=req.auto_renew,
            overflow=req.overflow,
            requested_by=req.requested_by,
        )
        rid = self.writer.ids()
        now = self.writer.clock()
        await self.writer.write(
            lambda s: decide_create(s.catalog, s.reservations, new, reservation_id=rid, now=now),
            org_id=new.org_id,
        )
        try:
            await self.lifecycles.start(rid)
        except HicapError as exc:  # stored: app.py retries its start until it runs
            log.error("reservation %s stored but its workflow did not start: %s", rid, exc.message)
        return await self._reply(new.org_id, rid)

    async def get_reservation(self, req: cmd.GetReservation) -> cmd.ReservationReply:
        return await self._reply(req.org_id, req.reservation_id)

    async def list_reservations(self, req: cmd.ListReservations) -> cmd.ReservationList:
        state = await self.writer.read()
        found = state.reservations.of_org(req.org_id)
        return cmd.ReservationList(reservations=[view(state.catalog, r) for r in found])

    async def update_reservation(self, req: cmd.UpdateReservation) -> cmd.ReservationReply:
        r = await self._owned(req.org_id, req.reservation_id)
        overflow = req.overflow if req.HasField("overflow") else None
        auto_renew = req.auto_renew if req.HasField("auto_renew") else None
        if req.tpm < 0 or (req.tpm == 0 and overflow is None and auto_renew is None):
            raise InvalidRequest("nothing to change: send tpm (> 0), overflow or auto_renew")
        if not r.live:
            raise Conflict(f"reservation {r.id} has {r.status}")
        change_id = req.change_id or self.writer.ids()
        if req.tpm:
            await self.lifecycles.scale(r.id, f"{change_id}/tpm", int(req.tpm))
        if overflow is not None or auto_renew is not None:
            await self.lifecycles.update(r.id, f"{change_id}/settings", overflow, auto_renew)
        return await self._reply(req.org_id, r.id)

    async def cancel_reservation(self, req: cmd.CancelReservation) -> cmd.ReservationReply:
        r = await self._owned(req.org_id, req.reservation_id)
        if r.status == CANCELLING:
            return await self._reply(req.org_id, r.id)
        if not r.live:
            raise Conflict(f"reservation {r.id} has {r.status}")
        await self.lifecycles.cancel(r.id)
        return await self._reply(req.org_id, r.id)

    async def _owned(self, org_id: str, reservation_id: str) -> Reservation:
        state = await self.writer.read()
        r = state.reservations.get(reservation_id)
        if r is None or (org_id and r.org_id != org_id):
            raise NotFound(f"no reservation {reservation_id!r}")
        return r

    async def _reply(self, org_id: str, reservation_id: str) -> cmd.ReservationReply:
        r = await self._owned(org_id, reservation_id)
        return cmd.ReservationReply(reservation=view(self.writer.state.catalog, r))


def view(catalog: Catalog, r: Reservation) -> cmd.ReservationView:
    """A reservation as its owner sees it; the fee at the price in force when its period
    (or, before activation, the reservation) began."""
    model = catalog.model(r.model)
    at = r.period_start if r.period else r.created_at
    fee = fee_micros_per_period(model, r.tpm, r.months, at=at) if model is not None else 0
    return cmd.ReservationView(
        id=r.id,
        org_id=r.org_id,
        model=r.model,
        tpm=r.tpm,
        pending_tpm=r.pending_tpm,
        months=r.months,
        auto_renew=r.auto_renew,
        overflow=r.overflow,
        status=r.status,
        period=r.period,
        period_start=stamp(r.period_start),
        period_end=stamp(r.period_end),
        term_end=stamp(r.term_end),
        created_at=stamp(r.created_at),
        ended_at=stamp(r.ended_at),
        allocations=allocations_to_proto(r.allocations),
        fee_micros_per_period=fee,
    )
