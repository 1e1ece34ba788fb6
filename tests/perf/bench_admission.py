"""Admission on the request path, in-process: `admit` + `settle` of a call whose org holds
a lease of its reservation (the reserved lane), of an org without a reservation (the
on-demand lane), and the reserved lane with its egress targets built (`targets_for`), over
200,000 calls each, among 10,000 reservations. Target: < 50 us at p99 for the lane
decision and the lease check. Prints numbers, asserts nothing.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from hicap.catalog import Allocation, Catalog, Deployment, Model, Reservation, Reservations
from hicap.catalog.model import RESERVED
from hicap.catalog.reservations import ACTIVE
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.ingress.admission import Admission
from hicap.ingress.lanes import targets_for

CALLS = 200_000
RESERVATIONS = 10_000
MODEL = "gpt-5.4"
ESTIMATE = 1_200


def _state() -> Reservations:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    by_id = {
        f"res-{i}": Reservation(
            f"res-{i}",
            f"org-{i}",
            MODEL,
            10**12,
            1,
            True,
            True,
            (Allocation("gpt-reserved", 10**12),),
            created,
            status=ACTIVE,
        )
        for i in range(RESERVATIONS)
    }
    return Reservations(by_id)


def _catalog() -> Catalog:
    deployments = (
        Deployment("gpt-reserved", "openai", "https://x/v1", "gpt-5.4", "openai", kind=RESERVED),
        Deployment("gpt-on-demand", "openai", "https://x/v1", "gpt-5.4", "openai"),
    )
    return Catalog.of([Model(MODEL, "openai", 400_000, deployments, ())])


def _admission(state: Reservations) -> Admission:
    admission = Admission(lambda: state, window_s=60.0, allowance_tokens=1024)
    for i in range(0, RESERVATIONS, 97):  # every org the bench calls as holds a lease
        admission.admit(f"org-{i}", MODEL, 0)
        window = int(time.time() // 60.0)
        grants = [
            cmd.LeaseGrant(reservation_id=f"res-{i}", window=w, tokens=10**12, remaining=1)
            for w in (window, window + 1)
        ]
        admission.apply(grants)
    return admission


def _timed(call: Callable[[int], None]) -> list[float]:
    samples = [0.0] * CALLS
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for n in range(CALLS):
            started = clock()
            call(n)
            samples[n] = (clock() - started) / 1000
    finally:
        gc.enable()
    return samples


def _line(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[int(len(ordered) * 0.99)]
    mean = statistics.fmean(samples)
    return f"{name:<34} p50 {p50:6.2f} us   p99 {p99:6.2f} us   mean {mean:6.2f} us"


def main() -> None:
    state = _state()
    catalog = _catalog()
    admission = _admission(state)
    orgs = [f"org-{i}" for i in range(0, RESERVATIONS, 97)]

    def reserved(n: int) -> None:
        ticket = admission.admit(orgs[n % len(orgs)], MODEL, ESTIMATE)
        assert ticket is not None
        admission.settle(ticket, 900, ticket.lane)

    def on_demand(n: int) -> None:
        ticket = admission.admit("org-without", MODEL, ESTIMATE)
        assert ticket is not None
        admission.settle(ticket, 900, ticket.lane)

    def with_targets(n: int) -> None:
        ticket = admission.admit(orgs[n % len(orgs)], MODEL, ESTIMATE)
        assert ticket is not None
        targets_for(catalog, catalog.models[MODEL], ticket)
        admission.settle(ticket, 900, ticket.lane)

    reserved(0)  # warm the (org, model) index
    print(f"admission: {CALLS:,} calls each, {RESERVATIONS:,} reservations", flush=True)
    for name, call in (
        ("admit+settle, reserved (lease held)", reserved),
        ("admit+settle, on-demand", on_demand),
        ("admit+targets+settle, reserved", with_targets),
    ):
        print(_line(name, _timed(call)), flush=True)
