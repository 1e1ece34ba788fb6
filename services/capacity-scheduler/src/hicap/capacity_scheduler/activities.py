"""The ReservationWorkflow's activities: each decides one transition against the
caught-up projection and appends its event through the scheduler's `CapacityWriter`.

Exactly once: an activity first asks the projection whether its transition is already
applied (period >= n, change id in `changes`, status) and then appends nothing; and the
event id is derived (`lifecycle.transition_id`), so even a publish retried after a lost
ack is stored once. A `HicapError` becomes an `ApplicationError` of type `error.code`
(non-retryable unless the error is retryable), which the caller sees again as that error.

Failpoint (tests only, never in production config): with `failpoint` set to
`after_append:<activity>` (app.py reads `HICAP_FAILPOINT`), the process exits at once
(`os._exit(137)`, as a SIGKILL would) right after that activity's event is stored and
folded in, before the activity returns: the kill test then restarts the service and
checks that the retried activity appends nothing. Imports temporalio's activity API,
hicap.catalog, hicap.errors; no nats.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.message import Message
from temporalio import activity
from temporalio.exceptions import ApplicationError

from hicap.capacity_scheduler.lifecycle import decide_activate, decide_period_end, transition_id
from hicap.capacity_scheduler.projections import CapacityState
from hicap.capacity_scheduler.reserving import decide_cancel, decide_scale, decide_update
from hicap.capacity_scheduler.writer import CapacityWriter
from hicap.catalog import Reservation
from hicap.errors import HicapError, NotFound

__all__ = [
    "Activate",
    "Cancel",
    "EndPeriod",
    "ReservationActivities",
    "Scale",
    "Standing",
    "Update",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Activate:
    reservation_id: str
    start_s: float  # the workflow's time, unix seconds
    period_s: float


@dataclass(frozen=True)
class EndPeriod:
    reservation_id: str
    period: int
    period_s: float


@dataclass(frozen=True)
class Scale:
    reservation_id: str
    change_id: str
    tpm: int


@dataclass(frozen=True)
class Update:
    reservation_id: str
    change_id: str
    overflow: bool | None = None
    auto_renew: bool | None = None


@dataclass(frozen=True)
class Cancel:
    reservation_id: str


@dataclass(frozen=True)
class Standing:
    """Where a reservation is, as the workflow needs it: status, period and its end."""

    status: str
    period: int
    period_end_s: float


class ReservationActivities:
    def __init__(self, writer: CapacityWriter, *, failpoint: str = "") -> None:
        self.writer, self.failpoint = writer, failpoint

    @activity.defn(name="reservation.activate")
    async def activate(self, req: Activate) -> Standing:
        start = datetime.fromtimestamp(req.start_s, UTC)
        await self._write(
            "activate",
            req.reservation_id,
            lambda s, r: decide_activate(r, start=start, period_s=req.period_s),
        )
        return self._standing(req.reservation_id)

    @activity.defn(name="reservation.end_period")
    async def end_period(self, req: EndPeriod) -> Standing:
        await self._write(
            "end_period",
            req.reservation_id,
            lambda s, r: decide_period_end(
                s.catalog, s.reservations, r, period=req.period, period_s=req.period_s
            ),
        )
        return self._standing(req.reservation_id)

    @activity.defn(name="reservation.scale")
    async def scale(self, req: Scale) -> Standing:
        now = self.writer.clock()
        await self._write(
            "scale",
            req.reservation_id,
            lambda s, r: decide_scale(
                s.catalog, s.reservations, r, tpm=req.tpm, change_id=req.change_id, now=now
            ),
        )
        return self._standing(req.reservation_id)

    @activity.defn(name="reservation.update")
    async def update(self, req: Update) -> Standing:
        await self._write(
            "update",
            req.reservation_id,
            lambda s, r: decide_update(
                r, change_id=req.change_id, overflow=req.overflow, auto_renew=req.auto_renew
            ),
        )
        return self._standing(req.reservation_id)

    @activity.defn(name="reservation.cancel")
    async def cancel(self, req: Cancel) -> Standing:
        await self._write("cancel", req.reservation_id, lambda s, r: decide_cancel(r))
        return self._standing(req.reservation_id)

    @property
    def activities(self) -> list[Callable[..., object]]:
        return [self.activate, self.end_period, self.scale, self.update, self.cancel]

    async def _write(
        self,
        name: str,
        reservation_id: str,
        decide: Callable[[CapacityState, Reservation], Message | None],
    ) -> None:
        try:
            stored = await self.writer.write(
                lambda s: decide(s, _reservation(s, reservation_id)), event_id=transition_id
            )
        except HicapError as err:
            raise ApplicationError(
                err.message, type=err.code, non_retryable=not err.retryable
            ) from err
        if stored is not None and self.failpoint == f"after_append:{name}":
            log.warning("failpoint %s: exiting after the event was stored", self.failpoint)
            os._exit(137)

    def _standing(self, reservation_id: str) -> Standing:
        r = _reservation(self.writer.state, reservation_id)
        return Standing(r.status, r.period, r.period_end.timestamp())


def _reservation(state: CapacityState, reservation_id: str) -> Reservation:
    r = state.reservations.get(reservation_id)
    if r is None:
        raise NotFound(f"no reservation {reservation_id!r}")
    return r
