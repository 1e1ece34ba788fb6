"""A capacity state built by deciding and folding, as the scheduler does, without a bus:
a model with reserved deployments, and `apply` to fold an event payload in."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message

from hicap.capacity_scheduler.projections import CapacityState, evolve_capacity
from hicap.capacity_scheduler.reserving import NewReservation, decide_create
from hicap.catalog import RESERVED, Catalog, Deployment, Model, Price
from hicap.events import new_event

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PRICE = Price(datetime(2026, 3, 5, tzinfo=UTC), 2_500_000, 250_000, 0, 15_000_000)
MODEL = "gpt-x"


def deployment(name: str, tpm: int, kind: str = RESERVED) -> Deployment:
    return Deployment(name, "openai", "https://api.example.com/v1", "gpt-x", "", kind=kind, tpm=tpm)


def state(*tpms: int) -> CapacityState:
    ds = (deployment("od", 0, "on-demand"), *(deployment(f"r{i}", t) for i, t in enumerate(tpms)))
    return CapacityState(Catalog.of([Model(MODEL, "openai", 8192, ds, (PRICE,))]))


def apply(s: CapacityState, payload: Message | None) -> CapacityState:
    if payload is None:
        return s
    return evolve_capacity(s, new_event(payload, clock=lambda: T0))


def new(org: str, tpm: int, months: int = 1, auto_renew: bool = True) -> NewReservation:
    return NewReservation(org, MODEL, tpm, months, auto_renew, overflow=True)


def created(s: CapacityState, rid: str, org: str, tpm: int, **kw: object) -> CapacityState:
    n = new(org, tpm, **kw)  # type: ignore[arg-type]  # months / auto_renew pass through
    return apply(s, decide_create(s.catalog, s.reservations, n, reservation_id=rid, now=T0))
