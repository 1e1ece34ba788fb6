"""Reservations folded from the CAPACITY stream: who reserved how much TPM of which model,
where it is allocated, and where each one is in its lifecycle.

`evolve_reservations(state, event)` is pure (no I/O, no clock, no validation: the
capacity-scheduler decides before an event exists) and ignores events it does not know,
so it folds the same stream as the catalogue. Status: `requested` (accepted, capacity
allocated) -> `active` -> `cancelling` (cancel asked: serves until its term ends) ->
`cancelled`, or `expired` at the end of a term that does not renew. A scale-down waits in
`pending_tpm` until the next period (ReservationRenewed carries the TPM in force from
then on). Imports hicap.events only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from hicap.events import Event, capacity_pb2

__all__ = [
    "ACTIVE",
    "CANCELLED",
    "CANCELLING",
    "ENDED",
    "EXPIRED",
    "LIVE",
    "REQUESTED",
    "SERVING",
    "Allocation",
    "Reservation",
    "Reservations",
    "allocations_from_proto",
    "allocations_to_proto",
    "evolve_reservations",
]

REQUESTED, ACTIVE, CANCELLING, CANCELLED, EXPIRED = (
    "requested",
    "active",
    "cancelling",
    "cancelled",
    "expired",
)
SERVING = frozenset({ACTIVE, CANCELLING})
"""Statuses whose TPM is admitted on the reserved lane."""
LIVE = frozenset({REQUESTED, ACTIVE, CANCELLING})
"""Statuses that hold reserved capacity (an ended reservation frees its allocations)."""
ENDED = frozenset({CANCELLED, EXPIRED})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Allocation:
    deployment: str
    tpm: int


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    org_id: str
    model: str
    tpm: int
    months: int
    auto_renew: bool
    overflow: bool
    allocations: tuple[Allocation, ...]
    created_at: datetime
    requested_by: str = ""
    status: str = REQUESTED
    pending_tpm: int = 0  # a scale-down from the next period on; 0: none
    period: int = 0  # 0 until activated
    period_start: datetime = _EPOCH
    period_end: datetime = _EPOCH
    term_end: datetime = _EPOCH
    ended_at: datetime = _EPOCH
    changes: frozenset[str] = frozenset()  # change ids of scales and updates already applied

    @property
    def serving(self) -> bool:
        return self.status in SERVING

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True, slots=True)
class Reservations:
    """Every reservation by id, and the serving one of each (org, model)."""

    by_id: Mapping[str, Reservation] = field(default_factory=dict)

    def get(self, reservation_id: str) -> Reservation | None:
        return self.by_id.get(reservation_id)

    def of_org(self, org_id: str) -> list[Reservation]:
        """The org's reservations, newest first (every org's for "")."""
        found = [r for r in self.by_id.values() if not org_id or r.org_id == org_id]
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    def live_for(self, org_id: str, model: str) -> Reservation | None:
        """The org's live reservation of `model` (at most one is ever live)."""
        for r in self.by_id.values():
            if r.org_id == org_id and r.model == model and r.live:
                return r
        return None

    def allocated(self, deployment: str) -> int:
        """TPM of live reservations placed on `deployment` (what is promised of it)."""
        return sum(
            a.tpm
            for r in self.by_id.values()
            if r.live
            for a in r.allocations
            if a.deployment == deployment
        )

    def with_reservation(self, r: Reservation) -> Reservations:
        return Reservations({**self.by_id, r.id: r})


def evolve_reservations(state: Reservations, event: Event[Message]) -> Reservations:
    p = event.payload
    if isinstance(p, capacity_pb2.ReservationRequested):
        if p.reservation_id in state.by_id:
            return state
        return state.with_reservation(
            Reservation(
                id=p.reservation_id,
                org_id=p.org_id,
                model=p.model,
                tpm=int(p.tpm),
                months=int(p.months),
                auto_renew=p.auto_renew,
                overflow=p.overflow,
                allocations=allocations_from_proto(p.allocations),
                created_at=_when(p.requested_at),
                requested_by=p.requested_by,
            )
        )
    r = state.by_id.get(getattr(p, "reservation_id", ""))
    if r is None:
        return state
    if isinstance(p, capacity_pb2.ReservationActivated):
        r = replace(
            r,
            status=ACTIVE if r.status == REQUESTED else r.status,
            period=int(p.period),
            period_start=_when(p.period_start),
            period_end=_when(p.period_end),
            term_end=_when(p.term_end),
        )
    elif isinstance(p, capacity_pb2.ReservationRenewed):
        r = replace(
            r,
            period=int(p.period),
            period_start=_when(p.period_start),
            period_end=_when(p.period_end),
            term_end=_when(p.term_end),
            tpm=int(p.tpm),
            pending_tpm=0,
            allocations=allocations_from_proto(p.allocations),
        )
    elif isinstance(p, capacity_pb2.ReservationScaled):
        changes = r.changes | {p.change_id}
        if p.immediate:
            r = replace(
                r,
                tpm=int(p.tpm),
                pending_tpm=0,
                allocations=allocations_from_proto(p.allocations),
                changes=changes,
            )
        else:
            r = replace(r, pending_tpm=int(p.tpm), changes=changes)
    elif isinstance(p, capacity_pb2.ReservationUpdated):
        r = replace(
            r, overflow=p.overflow, auto_renew=p.auto_renew, changes=r.changes | {p.change_id}
        )
    elif isinstance(p, capacity_pb2.ReservationCancelRequested):
        if r.status in (REQUESTED, ACTIVE):
            r = replace(r, status=CANCELLING)
    elif isinstance(p, capacity_pb2.ReservationCancelled):
        r = replace(r, status=CANCELLED, ended_at=_when(p.ended_at))
    elif isinstance(p, capacity_pb2.ReservationExpired):
        r = replace(r, status=EXPIRED, ended_at=_when(p.ended_at))
    else:
        return state
    return state.with_reservation(r)


def allocations_from_proto(
    allocations: Iterable[capacity_pb2.ReservationAllocation],
) -> tuple[Allocation, ...]:
    return tuple(Allocation(a.deployment, int(a.tpm)) for a in allocations)


def allocations_to_proto(
    allocations: Iterable[Allocation],
) -> list[capacity_pb2.ReservationAllocation]:
    return [
        capacity_pb2.ReservationAllocation(deployment=a.deployment, tpm=a.tpm) for a in allocations
    ]


def _when(stamp: Timestamp) -> datetime:
    when: datetime = stamp.ToDatetime(tzinfo=UTC)
    return when
