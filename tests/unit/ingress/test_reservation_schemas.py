"""The reservation admin API's bodies: a `ReservationView` as its documented JSON (times in
ISO 8601 UTC, unset ones null, no pending scale-down null, no period before activation,
the fee as a decimal USD string); request bodies refuse what the API refuses; utilisation
counts used tokens (reserved, spot, on-demand) per window against the TPM reserved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from hicap.events.v1 import capacity_commands_pb2 as capacity
from hicap.ingress.admin.reservation_schemas import NewReservation, Reservation, ReservationChange
from hicap.ingress.admin.utilization import Use, bucket_seconds, period_use, window_use

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def requested_view() -> capacity.ReservationView:
    view = capacity.ReservationView(
        id="rsv_1", org_id="org_1", model="gpt-5.4", tpm=3400, months=12, auto_renew=True,
        overflow=False, status="requested", fee_micros_per_period=7_405_200_000,
    )  # fmt: skip
    view.created_at.FromDatetime(T0)
    return view


def test_a_requested_reservation_has_no_period_and_null_times() -> None:
    assert Reservation.of(requested_view()).model_dump(mode="json") == {
        "id": "rsv_1", "object": "reservation", "org_id": "org_1", "model": "gpt-5.4",
        "tpm": 3400, "pending_tpm": None, "status": "requested", "months": 12,
        "auto_renew": True, "overflow": False, "current_period": None, "term_end": None,
        "created_at": "2026-11-24T12:00:00Z", "ended_at": None,
        "fee_per_period_usd": "7405.200000", "allocations": [],
    }  # fmt: skip


def test_an_active_reservation_shows_its_period_pending_tpm_and_allocations() -> None:
    view = requested_view()
    view.status, view.period, view.pending_tpm = "active", 2, 1000
    view.period_start.FromDatetime(T0)
    view.period_end.FromDatetime(T0 + timedelta(days=30))
    view.allocations.add(deployment="openai-gpt-5.4-ptu", tpm=3400)
    body = Reservation.of(view).model_dump(mode="json")
    assert body["current_period"] == {
        "number": 2, "start": "2026-11-24T12:00:00Z", "end": "2026-12-24T12:00:00Z",
    }  # fmt: skip
    assert body["pending_tpm"] == 1000
    assert body["allocations"] == [{"deployment": "openai-gpt-5.4-ptu", "tpm": 3400}]


def test_a_new_reservation_defaults_to_a_month_renewed_with_overflow() -> None:
    new = NewReservation.model_validate({"model": "gpt-5.4", "tpm": 3400})
    assert (new.months, new.auto_renew, new.overflow) == (1, True, True)


@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-5.4", "tpm": 0},
        {"model": "gpt-5.4", "tpm": 10, "months": 6},
        {"model": "", "tpm": 10},
        {"model": "gpt-5.4", "tpm": 10, "extra": 1},
        {"model": "gpt-5.4", "tpm": 10**13},
    ],
)
def test_a_bad_new_reservation_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        NewReservation.model_validate(body)


def test_a_change_knows_when_it_changes_nothing() -> None:
    assert ReservationChange.model_validate({}).empty
    assert not ReservationChange.model_validate({"overflow": False}).empty
    with pytest.raises(ValidationError):
        ReservationChange.model_validate({"tpm": 0})


def test_a_window_at_112_percent_shows_its_overflow() -> None:
    use = Use(T0, reserved=3400, spot=0, on_demand=408)
    assert window_use(use, 3400).model_dump() == {
        "start": "2026-11-24T12:00:00Z", "reserved_tokens": 3400, "spot_tokens": 0,
        "on_demand_tokens": 408, "utilization": 1.12,
    }  # fmt: skip


def test_the_period_averages_over_every_elapsed_window_idle_ones_included() -> None:
    uses = [Use(T0, 100, 0, 0), Use(T0 + timedelta(minutes=5), 90, 10, 0)]
    period = period_use(uses, 100, T0, T0 + timedelta(minutes=10), 60)
    assert (period.minutes, period.average_tpm_used, period.peak_tpm_used) == (10, 20.0, 100)
    assert (period.utilization, period.overflow_share) == (0.2, 0.05)
    idle = period_use([], 100, T0, T0 + timedelta(seconds=1), 60)
    assert (idle.minutes, idle.utilization, idle.overflow_share) == (1, 0.0, 0.0)


@pytest.mark.parametrize(("window_s", "bucket_s"), [(60.0, 60), (4.0, 4), (2.6, 3), (0.2, 1)])
def test_metering_counts_in_whole_seconds_of_the_capacity_window(
    window_s: float, bucket_s: int
) -> None:
    assert bucket_seconds(window_s) == bucket_s
