"""Allocation of reserved TPM: filled in catalogue order, refused naming what is free, and
never more promised on a deployment than Hicap bought, whatever the order of creates,
scales, cancels and renewals."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from hicap.capacity_scheduler.lifecycle import decide_activate, decide_period_end
from hicap.capacity_scheduler.projections import CapacityState
from hicap.capacity_scheduler.reserving import allocate, decide_cancel, decide_scale, free_tpm
from hicap.catalog import Allocation
from hicap.errors import Conflict
from tests.unit.capacity_scheduler.scenario import MODEL, T0, apply, created, state

PERIOD_S = 60.0


def test_allocations_fill_the_deployments_in_catalogue_order() -> None:
    s = state(1_000, 500)
    assert allocate(s.catalog, s.reservations, MODEL, 1_200) == (
        Allocation("r0", 1_000),
        Allocation("r1", 200),
    )


def test_what_would_oversell_is_refused_naming_the_tpm_free() -> None:
    s = created(state(1_000, 200), "a", "org-a", 1_000)
    with pytest.raises(Conflict) as refused:
        allocate(s.catalog, s.reservations, MODEL, 3_400)
    assert refused.value.message == "gpt-x has 200 reserved TPM free; asked for 3,400"


def test_a_reservation_excluded_counts_as_holding_nothing() -> None:
    s = created(state(1_000), "a", "org-a", 800)
    assert free_tpm(s.catalog, s.reservations, MODEL) == [("r0", 200)]
    assert free_tpm(s.catalog, s.reservations, MODEL, exclude="a") == [("r0", 1_000)]
    assert allocate(s.catalog, s.reservations, MODEL, 1_000, exclude="a") == (
        Allocation("r0", 1_000),
    )


def test_an_ended_reservation_frees_its_capacity() -> None:
    s = created(state(1_000), "a", "org-a", 1_000)
    s = apply(s, decide_activate(s.reservations.by_id["a"], start=T0, period_s=PERIOD_S))
    s = apply(s, decide_cancel(s.reservations.by_id["a"]))
    s = apply(s, _end(s, "a"))
    assert s.reservations.by_id["a"].status == "cancelled"
    assert free_tpm(s.catalog, s.reservations, MODEL) == [("r0", 1_000)]


def _end(s: CapacityState, rid: str) -> Message | None:
    r = s.reservations.by_id[rid]
    return decide_period_end(s.catalog, s.reservations, r, period=r.period, period_s=PERIOD_S)


Op = tuple[str, int, int]  # (what, which reservation, tpm)
OPS = st.lists(
    st.tuples(
        st.sampled_from(["create", "scale", "cancel", "period_end"]),
        st.integers(0, 4),
        st.integers(1, 1_500),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(tpms=st.lists(st.integers(1, 1_000), min_size=1, max_size=3), ops=OPS)
def test_never_more_reserved_tpm_promised_than_bought(tpms: list[int], ops: list[Op]) -> None:
    s = state(*tpms)
    for what, which, tpm in ops:
        s = _step(s, what, f"res-{which}", tpm)
        for d in s.catalog.reserved_deployments(MODEL):
            assert s.reservations.allocated(d.name) <= d.tpm
        for r in s.reservations.by_id.values():
            if r.live:
                assert sum(a.tpm for a in r.allocations) == r.tpm


def _step(s: CapacityState, what: str, rid: str, tpm: int) -> CapacityState:
    r = s.reservations.get(rid)
    try:
        if what == "create" and r is None:
            s = created(s, rid, f"org-{rid}", tpm)
            r = s.reservations.by_id[rid]
            return apply(s, decide_activate(r, start=T0, period_s=PERIOD_S))
        if r is None or not r.live:
            return s
        if what == "scale":
            scaled = decide_scale(
                s.catalog, s.reservations, r, tpm=tpm, change_id=f"c{len(r.changes)}", now=T0
            )
            return apply(s, scaled)
        if what == "cancel":
            return apply(s, decide_cancel(r))
        if what == "period_end":
            return apply(s, _end(s, rid))
    except Conflict:
        pass  # refused: nothing appended
    return s
