"""Capacity-scheduler's rules for reservations: where a reservation's TPM goes, and whether
a reservation may be created, scaled, updated or cancelled.

`allocate` fills a model's reserved deployments in catalogue order with their free TPM
(the TPM bought minus what live reservations hold) and refuses (Conflict, naming what is
free) what would oversell them: the sum of live allocations on a deployment never exceeds
its TPM. Each `decide_*` returns the event to append, None when there is nothing to do
(the change is already applied: a retried command or activity), or raises the
`hicap.errors` a caller sees. Scale-up is immediate (re-allocated with the reservation's
own allocation excluded); scale-down waits for the next period (ReservationRenewed
re-allocates then). Pure: time and ids come in as arguments; imports hicap.catalog,
hicap.errors and hicap.events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from hicap.catalog import Allocation, Catalog, Reservation, Reservations
from hicap.catalog.reservations import ACTIVE, REQUESTED, allocations_to_proto
from hicap.errors import Conflict, InvalidRequest
from hicap.events import capacity_pb2

__all__ = [
    "MAX_TPM",
    "TERMS",
    "NewReservation",
    "allocate",
    "decide_cancel",
    "decide_create",
    "decide_scale",
    "decide_update",
    "free_tpm",
    "stamp",
]

TERMS = frozenset({1, 3, 12})
"""Commitment terms sold, in periods (months)."""
MAX_TPM = 100_000_000


@dataclass(frozen=True, slots=True)
class NewReservation:
    org_id: str
    model: str
    tpm: int
    months: int
    auto_renew: bool
    overflow: bool
    requested_by: str = ""


def free_tpm(
    catalog: Catalog, reservations: Reservations, model: str, exclude: str | None = None
) -> list[tuple[str, int]]:
    """(deployment, TPM free on it) for the model's reserved deployments, in catalogue order;
    the reservation `exclude` counts as holding nothing."""
    own = reservations.get(exclude) if exclude else None
    held = {a.deployment: a.tpm for a in own.allocations} if own is not None and own.live else {}
    return [
        (d.name, max(d.tpm - reservations.allocated(d.name) + held.get(d.name, 0), 0))
        for d in catalog.reserved_deployments(model)
    ]


def allocate(
    catalog: Catalog,
    reservations: Reservations,
    model: str,
    tpm: int,
    exclude: str | None = None,
) -> tuple[Allocation, ...]:
    """`tpm` placed on the model's reserved deployments, first ones first; Conflict if it
    does not fit."""
    free = free_tpm(catalog, reservations, model, exclude)
    total = sum(f for _, f in free)
    if tpm > total:
        raise Conflict(f"{model} has {total:,} reserved TPM free; asked for {tpm:,}")
    out, left = [], tpm
    for name, f in free:
        take = min(f, left)
        if take > 0:
            out.append(Allocation(name, take))
            left -= take
    return tuple(out)


def decide_create(
    catalog: Catalog,
    reservations: Reservations,
    new: NewReservation,
    *,
    reservation_id: str,
    now: datetime,
) -> capacity_pb2.ReservationRequested:
    if not new.org_id:
        raise InvalidRequest("org_id: a reservation belongs to an org")
    if catalog.model(new.model) is None:
        raise InvalidRequest(f"model: no model named {new.model!r}")
    if not catalog.reserved_deployments(new.model):
        raise InvalidRequest(f"model: {new.model} has no reserved capacity (on-demand only)")
    _check_tpm(new.tpm)
    if new.months not in TERMS:
        raise InvalidRequest("months: one of 1, 3 or 12")
    live = reservations.live_for(new.org_id, new.model)
    if live is not None:
        raise Conflict(f"the org already has reservation {live.id} of {new.model}; scale that one")
    allocations = allocate(catalog, reservations, new.model, new.tpm)
    return capacity_pb2.ReservationRequested(
        reservation_id=reservation_id,
        org_id=new.org_id,
        model=new.model,
        tpm=new.tpm,
        months=new.months,
        auto_renew=new.auto_renew,
        overflow=new.overflow,
        allocations=allocations_to_proto(allocations),
        requested_at=stamp(now),
        requested_by=new.requested_by,
    )


def decide_scale(
    catalog: Catalog,
    reservations: Reservations,
    r: Reservation,
    *,
    tpm: int,
    change_id: str,
    now: datetime,
) -> capacity_pb2.ReservationScaled | None:
    """Up: at once, re-allocated. Down: pending until the next period. Same: clears a
    pending scale-down (or nothing to do)."""
    if change_id in r.changes:
        return None
    _check_tpm(tpm)
    if r.status not in (REQUESTED, ACTIVE):
        raise Conflict(f"reservation {r.id} is {r.status}; it can no longer be scaled")
    if tpm == r.tpm and not r.pending_tpm:
        return None
    immediate = tpm >= r.tpm
    allocations = (
        allocate(catalog, reservations, r.model, tpm, exclude=r.id)
        if tpm > r.tpm
        else (r.allocations if immediate else ())
    )
    return capacity_pb2.ReservationScaled(
        reservation_id=r.id,
        org_id=r.org_id,
        change_id=change_id,
        tpm=tpm,
        immediate=immediate,
        allocations=allocations_to_proto(allocations),
        effective_at=stamp(now if immediate else r.period_end),
    )


def decide_update(
    r: Reservation, *, change_id: str, overflow: bool | None, auto_renew: bool | None
) -> capacity_pb2.ReservationUpdated | None:
    if change_id in r.changes:
        return None
    if not r.live:
        raise Conflict(f"reservation {r.id} has {r.status}")
    return capacity_pb2.ReservationUpdated(
        reservation_id=r.id,
        org_id=r.org_id,
        change_id=change_id,
        overflow=r.overflow if overflow is None else overflow,
        auto_renew=r.auto_renew if auto_renew is None else auto_renew,
    )


def decide_cancel(r: Reservation) -> capacity_pb2.ReservationCancelRequested | None:
    """Cancel at the end of the paid term; None when already asked (or ended)."""
    if r.status not in (REQUESTED, ACTIVE):
        return None
    return capacity_pb2.ReservationCancelRequested(
        reservation_id=r.id, org_id=r.org_id, effective_at=stamp(r.term_end)
    )


def _check_tpm(tpm: int) -> None:
    if not 0 < tpm <= MAX_TPM:
        raise InvalidRequest(f"tpm: between 1 and {MAX_TPM:,}")


def stamp(when: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(when)
    return out
