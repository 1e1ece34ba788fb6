"""Capacity-scheduler's decisions: what a create, scale, update, cancel or deployment
declaration is refused with (the field or the conflict named), what each period end
becomes (renewed in the term, a new term, expired, cancelled at the term's end), and that
a decision already applied decides nothing (a retried activity appends nothing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from hicap.capacity_scheduler.domain import decide_declare_deployment, decide_publish
from hicap.capacity_scheduler.lifecycle import decide_activate, decide_period_end, transition_id
from hicap.capacity_scheduler.projections import CapacityState
from hicap.capacity_scheduler.reserving import (
    decide_cancel,
    decide_create,
    decide_scale,
    decide_update,
)
from hicap.catalog import Reservation
from hicap.errors import Conflict, HicapError, InvalidRequest, NotFound
from hicap.events import capacity_pb2
from tests.unit.capacity_scheduler.scenario import (
    MODEL,
    T0,
    apply,
    created,
    deployment,
    new,
    state,
)

PERIOD = timedelta(seconds=100)


def active(months: int = 1, auto_renew: bool = True, tpm: int = 400) -> CapacityState:
    s = created(state(1_000, 500), "a", "org-a", tpm, months=months, auto_renew=auto_renew)
    return apply(s, decide_activate(s.reservations.by_id["a"], start=T0, period_s=100))


def res(s: CapacityState) -> Reservation:
    return s.reservations.by_id["a"]


def end(s: CapacityState) -> CapacityState:
    r = res(s)
    return apply(s, decide_period_end(s.catalog, s.reservations, r, period=r.period, period_s=100))


def create_refusal(s: CapacityState, **changes: object) -> HicapError:
    n = replace(new("org-b", 100), **changes)  # type: ignore[arg-type]  # test overrides
    with pytest.raises(HicapError) as refused:
        decide_create(s.catalog, s.reservations, n, reservation_id="b", now=T0)
    return refused.value


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"model": "nope"}, InvalidRequest, "model: no model named 'nope'"),
        ({"tpm": 0}, InvalidRequest, "tpm: between 1 and 100,000,000"),
        ({"tpm": 100_000_001}, InvalidRequest, "tpm: between 1 and 100,000,000"),
        ({"months": 6}, InvalidRequest, "months: one of 1, 3 or 12"),
        ({"org_id": ""}, InvalidRequest, "org_id: a reservation belongs to an org"),
        ({"tpm": 1_101}, Conflict, "gpt-x has 1,100 reserved TPM free; asked for 1,101"),
    ],
)
def test_a_create_is_refused_naming_what_is_wrong(
    changes: dict[str, object], error: type[HicapError], message: str
) -> None:
    refused = create_refusal(active(), **changes)
    assert type(refused) is error and refused.message == message


def test_a_second_live_reservation_of_the_model_is_a_conflict_naming_the_first() -> None:
    refused = create_refusal(active(), org_id="org-a")
    assert type(refused) is Conflict and "reservation a of gpt-x" in refused.message


def test_a_model_without_reserved_deployments_cannot_be_reserved() -> None:
    s = state()
    refused = create_refusal(s)
    assert refused.message == "model: gpt-x has no reserved capacity (on-demand only)"


def test_activation_starts_period_one_and_the_term() -> None:
    r = res(active(months=3))
    assert (r.status, r.period, r.period_start) == ("active", 1, T0)
    assert r.period_end == T0 + PERIOD and r.term_end == T0 + 3 * PERIOD
    assert decide_activate(r, start=T0 + PERIOD, period_s=100) is None  # already applied


def test_a_period_inside_the_term_renews_into_the_next_one() -> None:
    s = end(active(months=3, auto_renew=False))
    r = res(s)
    assert (r.status, r.period, r.period_start, r.term_end) == (
        "active",
        2,
        T0 + PERIOD,
        T0 + 3 * PERIOD,
    )


def test_the_end_of_a_term_renews_into_a_new_term_or_expires() -> None:
    renewed = res(end(active(months=1, auto_renew=True)))
    assert (renewed.period, renewed.term_end) == (2, T0 + 2 * PERIOD)
    expired = res(end(active(months=1, auto_renew=False)))
    assert (expired.status, expired.ended_at) == ("expired", T0 + PERIOD)
    assert not expired.live


def test_a_cancelled_reservation_serves_until_its_term_ends() -> None:
    s = active(months=3)
    s = apply(s, decide_cancel(res(s)))
    assert res(s).status == "cancelling"
    assert decide_cancel(res(s)) is None  # asked twice: once
    s = end(end(s))
    assert (res(s).status, res(s).period) == ("cancelling", 3)
    s = end(s)
    assert (res(s).status, res(s).ended_at) == ("cancelled", T0 + 3 * PERIOD)


def test_a_scale_up_is_immediate_and_a_scale_down_waits_for_the_next_period() -> None:
    s = active(tpm=400)
    up = decide_scale(s.catalog, s.reservations, res(s), tpm=1_200, change_id="c1", now=T0)
    s = apply(s, up)
    assert res(s).tpm == 1_200
    assert [(a.deployment, a.tpm) for a in res(s).allocations] == [("r0", 1_000), ("r1", 200)]
    assert decide_scale(s.catalog, s.reservations, res(s), tpm=5, change_id="c1", now=T0) is None
    s = apply(s, decide_scale(s.catalog, s.reservations, res(s), tpm=300, change_id="c2", now=T0))
    assert (res(s).tpm, res(s).pending_tpm) == (1_200, 300)
    s = end(s)
    assert (res(s).tpm, res(s).pending_tpm) == (300, 0)
    assert [(a.deployment, a.tpm) for a in res(s).allocations] == [("r0", 300)]


def test_a_scale_past_what_is_free_or_of_a_cancelling_reservation_is_a_conflict() -> None:
    s = created(active(tpm=400), "b", "org-b", 1_000)
    with pytest.raises(Conflict, match="gpt-x has 500 reserved TPM free; asked for 900"):
        decide_scale(s.catalog, s.reservations, res(s), tpm=900, change_id="c", now=T0)
    s = apply(s, decide_cancel(res(s)))
    with pytest.raises(Conflict, match="cancelling"):
        decide_scale(s.catalog, s.reservations, res(s), tpm=100, change_id="c", now=T0)


def test_settings_change_at_once_and_once_per_change_id() -> None:
    s = active()
    s = apply(s, decide_update(res(s), change_id="u1", overflow=False, auto_renew=None))
    assert (res(s).overflow, res(s).auto_renew) == (False, True)
    assert decide_update(res(s), change_id="u1", overflow=True, auto_renew=None) is None


def test_transition_ids_are_the_same_on_every_retry_and_differ_between_transitions() -> None:
    s = active()
    renewed = decide_period_end(s.catalog, s.reservations, res(s), period=1, period_s=100)
    assert renewed is not None
    assert transition_id(renewed) == transition_id(renewed)
    again = capacity_pb2.ReservationRenewed(reservation_id="a", period=3)
    assert transition_id(again) != transition_id(renewed)
    assert decide_period_end(s.catalog, s.reservations, res(end(s)), period=1, period_s=100) is None


@pytest.mark.parametrize(
    ("model", "tpm", "kind", "error", "message"),
    [
        ("nope", 100, "reserved", NotFound, "model: no model named 'nope'; publish it first"),
        (MODEL, 0, "reserved", InvalidRequest, "deployment.tpm: a reserved deployment needs"),
        (MODEL, 100, "spot", InvalidRequest, "deployment.kind: one of on-demand, reserved"),
        (MODEL, 300, "reserved", InvalidRequest, "deployment.tpm: reservations hold 400 TPM"),
        (MODEL, 1_000, "on-demand", InvalidRequest, "deployment.kind: r0 holds 400 reserved"),
    ],
)
def test_a_deployment_declaration_is_refused_naming_the_field(
    model: str, tpm: int, kind: str, error: type[HicapError], message: str
) -> None:
    s = active(tpm=400)
    with pytest.raises(error) as refused:
        decide_declare_deployment(
            s.catalog,
            model,
            deployment("r0", tpm, kind),
            allocated_tpm=s.reservations.allocated("r0"),
        )
    assert refused.value.message.startswith(message)


def test_a_declared_deployment_takes_its_models_provider_and_may_grow() -> None:
    s = active(tpm=400)
    d = replace(deployment("r0", 2_000), provider="")
    event = decide_declare_deployment(s.catalog, MODEL, d, allocated_tpm=400)
    assert (event.model, event.deployment.provider, event.deployment.tpm) == (
        MODEL,
        "openai",
        2_000,
    )


def test_republishing_a_model_may_not_take_capacity_from_under_its_reservations() -> None:
    s = active(tpm=400)  # allocated on r0
    model = s.catalog.model(MODEL)
    assert model is not None
    held = {d.name: s.reservations.allocated(d.name) for d in model.deployments}
    assert held["r0"] == 400
    without_r0 = replace(model, deployments=tuple(d for d in model.deployments if d.name != "r0"))
    shrunk = replace(
        model,
        deployments=tuple(replace(d, tpm=399) if d.name == "r0" else d for d in model.deployments),
    )
    on_demand = replace(
        model,
        deployments=tuple(
            replace(d, kind="on-demand") if d.name == "r0" else d for d in model.deployments
        ),
    )
    for changed in (without_r0, shrunk, on_demand):
        with pytest.raises(Conflict) as refused:
            decide_publish(s.catalog, changed, allocated=held)
        assert "r0 holds 400 reserved TPM" in refused.value.message
    grown = replace(
        model,
        deployments=tuple(
            replace(d, tpm=5_000) if d.name == "r0" else d for d in model.deployments
        ),
    )
    assert decide_publish(s.catalog, grown, allocated=held).model == MODEL
