"""A reservation's periods: the pure transitions the ReservationWorkflow's activities
append, and the deterministic event id of each.

`decide_activate` starts period 1 at the workflow's time; `decide_period_end` ends period
n: a reservation whose term ends now is Cancelled (if cancelling), Expired (if it does
not auto-renew) or Renewed into a new term; otherwise it is Renewed into the next period
of its term (a cancelling one serves until its term ends). A pending scale-down takes
effect at renewal, re-allocated then. Each returns None once its transition is already in
the state (period >= n, status ended), so a retried activity appends nothing.
`transition_id(payload)` is a uuid5 of the reservation id, the transition and its period
or change id: a retried publish carries the same `Nats-Msg-Id` and is stored once. Pure;
imports hicap.catalog, hicap.errors and hicap.events.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from google.protobuf.message import Message

from hicap.capacity_scheduler.reserving import allocate, stamp
from hicap.catalog import Catalog, Reservation, Reservations
from hicap.catalog.reservations import CANCELLING, REQUESTED, allocations_to_proto
from hicap.errors import Conflict
from hicap.events import capacity_pb2

__all__ = ["NAMESPACE", "decide_activate", "decide_period_end", "transition_id"]

NAMESPACE = uuid.UUID("5b0f4e0e-7d59-4c39-9a52-6a3d2c1f0a11")
"""uuid5 namespace of reservation transition event ids (fixed forever)."""

PeriodEnd = (
    capacity_pb2.ReservationRenewed
    | capacity_pb2.ReservationCancelled
    | capacity_pb2.ReservationExpired
)


def decide_activate(
    r: Reservation, *, start: datetime, period_s: float
) -> capacity_pb2.ReservationActivated | None:
    if r.status != REQUESTED or r.period >= 1:
        return None
    end = start + timedelta(seconds=period_s)
    return capacity_pb2.ReservationActivated(
        reservation_id=r.id,
        org_id=r.org_id,
        period=1,
        period_start=stamp(start),
        period_end=stamp(end),
        term_end=stamp(start + timedelta(seconds=period_s * r.months)),
    )


def decide_period_end(
    catalog: Catalog, reservations: Reservations, r: Reservation, *, period: int, period_s: float
) -> PeriodEnd | None:
    """What happens at the end of period `period` (None: it already happened)."""
    if not r.live or r.period != period or period < 1:
        return None
    if r.period_end >= r.term_end:
        if r.status == CANCELLING:
            return capacity_pb2.ReservationCancelled(
                reservation_id=r.id, org_id=r.org_id, ended_at=stamp(r.period_end)
            )
        if not r.auto_renew:
            return capacity_pb2.ReservationExpired(
                reservation_id=r.id, org_id=r.org_id, ended_at=stamp(r.period_end)
            )
    return _renewed(catalog, reservations, r, period_s)


def _renewed(
    catalog: Catalog, reservations: Reservations, r: Reservation, period_s: float
) -> capacity_pb2.ReservationRenewed:
    start = r.period_end
    new_term = start >= r.term_end
    term_end = start + timedelta(seconds=period_s * r.months) if new_term else r.term_end
    tpm = r.pending_tpm or r.tpm
    allocations = r.allocations
    if tpm != r.tpm:
        try:
            allocations = allocate(catalog, reservations, r.model, tpm, exclude=r.id)
        except Conflict:
            tpm = r.tpm  # its deployments shrank under it: keep what it holds, never oversell
    return capacity_pb2.ReservationRenewed(
        reservation_id=r.id,
        org_id=r.org_id,
        period=r.period + 1,
        period_start=stamp(start),
        period_end=stamp(start + timedelta(seconds=period_s)),
        term_end=stamp(term_end),
        tpm=tpm,
        allocations=allocations_to_proto(allocations),
    )


def transition_id(payload: Message) -> str:
    """The event id of a reservation transition, the same on every retry."""
    rid = getattr(payload, "reservation_id", "")
    if isinstance(payload, capacity_pb2.ReservationActivated | capacity_pb2.ReservationRenewed):
        key = f"period/{payload.period}"
    elif isinstance(payload, capacity_pb2.ReservationScaled | capacity_pb2.ReservationUpdated):
        key = f"change/{payload.change_id}"
    else:
        key = "once"
    return str(uuid.uuid5(NAMESPACE, f"{rid}/{payload.DESCRIPTOR.name}/{key}"))
