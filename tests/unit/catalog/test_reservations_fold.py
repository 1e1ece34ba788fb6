"""The reservations fold and `with_deployment`: what each CAPACITY event does to the state,
that an unknown reservation or event leaves it as it is, and that a replay of the same
events gives the same state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from hicap.catalog import (
    RESERVED,
    Allocation,
    Deployment,
    Reservations,
    evolve_reservations,
    load_baseline,
    with_deployment,
)
from hicap.catalog.reservations import allocations_to_proto
from hicap.events import capacity_pb2, catalog_pb2, new_event

T0 = datetime(2026, 11, 1, tzinfo=UTC)
P = timedelta(days=30)
ALLOC = allocations_to_proto([Allocation("r0", 600)])


def ts(when: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(when)
    return out


def fold(*payloads: Message) -> Reservations:
    state = Reservations()
    for p in payloads:
        state = evolve_reservations(state, new_event(p, clock=lambda: T0))
    return state


REQUESTED = capacity_pb2.ReservationRequested(
    reservation_id="a",
    org_id="o",
    model="m",
    tpm=600,
    months=1,
    auto_renew=True,
    overflow=True,
    allocations=ALLOC,
    requested_at=ts(T0),
)
ACTIVATED = capacity_pb2.ReservationActivated(
    reservation_id="a",
    org_id="o",
    period=1,
    period_start=ts(T0),
    period_end=ts(T0 + P),
    term_end=ts(T0 + P),
)


def test_requested_then_activated_holds_capacity_and_serves() -> None:
    requested = fold(REQUESTED).by_id["a"]
    assert (requested.status, requested.live, requested.serving) == ("requested", True, False)
    assert fold(REQUESTED).allocated("r0") == 600
    r = fold(REQUESTED, ACTIVATED).by_id["a"]
    assert (r.status, r.period, r.period_end, r.serving) == ("active", 1, T0 + P, True)
    assert fold(REQUESTED, ACTIVATED).live_for("o", "m") == r


def test_a_second_request_with_the_same_id_changes_nothing() -> None:
    twice = capacity_pb2.ReservationRequested(reservation_id="a", org_id="x", model="y", tpm=1)
    assert fold(REQUESTED, twice).by_id["a"].org_id == "o"


def test_scaled_at_once_or_pending_and_renewed_with_the_tpm_in_force() -> None:
    up = capacity_pb2.ReservationScaled(
        reservation_id="a",
        change_id="c1",
        tpm=900,
        immediate=True,
        allocations=allocations_to_proto([Allocation("r0", 900)]),
    )
    down = capacity_pb2.ReservationScaled(reservation_id="a", change_id="c2", tpm=100)
    state = fold(REQUESTED, ACTIVATED, up, down)
    r = state.by_id["a"]
    assert (r.tpm, r.pending_tpm, r.changes, state.allocated("r0")) == (
        900,
        100,
        frozenset({"c1", "c2"}),
        900,
    )
    renewed = capacity_pb2.ReservationRenewed(
        reservation_id="a",
        period=2,
        period_start=ts(T0 + P),
        period_end=ts(T0 + 2 * P),
        term_end=ts(T0 + 2 * P),
        tpm=100,
        allocations=allocations_to_proto([Allocation("r0", 100)]),
    )
    r = fold(REQUESTED, ACTIVATED, up, down, renewed).by_id["a"]
    assert (r.tpm, r.pending_tpm, r.period, r.allocations) == (100, 0, 2, (Allocation("r0", 100),))


def test_settings_cancel_and_end() -> None:
    updated = capacity_pb2.ReservationUpdated(reservation_id="a", change_id="u", auto_renew=False)
    cancel = capacity_pb2.ReservationCancelRequested(reservation_id="a")
    state = fold(REQUESTED, ACTIVATED, updated, cancel)
    r = state.by_id["a"]
    assert (r.overflow, r.auto_renew, r.status, "u" in r.changes) == (
        False,
        False,
        "cancelling",
        True,
    )
    assert r.serving and state.allocated("r0") == 600
    ended = capacity_pb2.ReservationCancelled(reservation_id="a", ended_at=ts(T0 + P))
    state = fold(REQUESTED, ACTIVATED, cancel, ended)
    assert (state.by_id["a"].status, state.allocated("r0")) == ("cancelled", 0)
    assert state.live_for("o", "m") is None
    expired = capacity_pb2.ReservationExpired(reservation_id="a", ended_at=ts(T0 + P))
    assert fold(REQUESTED, ACTIVATED, expired).by_id["a"].status == "expired"


def test_events_of_unknown_reservations_and_other_events_change_nothing() -> None:
    stray = capacity_pb2.ReservationActivated(reservation_id="zz", period=1)
    other = catalog_pb2.ModelWithdrawn(model="m")
    assert fold(REQUESTED, stray, other) == fold(REQUESTED)


def test_the_orgs_reservations_newest_first() -> None:
    later = capacity_pb2.ReservationRequested(
        reservation_id="b", org_id="o", model="n", tpm=1, requested_at=ts(T0 + P)
    )
    state = fold(REQUESTED, later)
    assert [r.id for r in state.of_org("o")] == ["b", "a"]
    assert state.of_org("other") == [] and len(state.of_org("")) == 2


@given(st.lists(st.sampled_from([REQUESTED, ACTIVATED]), max_size=6))
def test_replaying_the_same_events_gives_the_same_state(events: list[Message]) -> None:
    assert fold(*events) == fold(*events)


def test_with_deployment_adds_or_replaces_in_place_keeping_the_failover_order() -> None:
    base = load_baseline()
    first = base.models["gpt-5.4"].deployments[0]
    r = Deployment("gpt-r", "openai", "https://x/v1", "gpt-5.4", "", kind=RESERVED, tpm=10)
    added = with_deployment(base, "gpt-5.4", r)
    assert [d.name for d in added.models["gpt-5.4"].deployments] == [first.name, "gpt-r"]
    assert added.reserved_deployments("gpt-5.4") == (r,)
    moved = Deployment(first.name, "openai", "https://y/v1", "gpt-5.4", "")
    replaced = with_deployment(added, "gpt-5.4", moved)
    assert [d.name for d in replaced.models["gpt-5.4"].deployments] == [first.name, "gpt-r"]
    assert replaced.deployment(first.name) == moved
    assert with_deployment(base, "no-such-model", r) is base
