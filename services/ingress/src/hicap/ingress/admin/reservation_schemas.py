"""The reservation routes' request and response bodies (pydantic, so the OpenAPI document
describes them) and their conversion from capacity-scheduler's `ReservationView`.

A reservation as the admin API shows it:

    {"id": "rsv_...", "object": "reservation", "org_id": "org_...", "model": "gpt-5.4",
     "tpm": 3400, "pending_tpm": null, "status": "active", "months": 1,
     "auto_renew": true, "overflow": true,
     "current_period": {"number": 1, "start": "2026-11-24T12:00:00Z", "end": "..."},
     "term_end": "...", "created_at": "...", "ended_at": null,
     "fee_per_period_usd": "8415.000000",
     "allocations": [{"deployment": "openai-gpt-5.4-ptu", "tpm": 3400}]}

`pending_tpm` is the TPM a scale-down brings from the next period on (null: none);
`current_period` is null until the reservation is activated; times are ISO 8601 in UTC,
null when not set. `GET /v1/admin/reservations/{id}` adds `utilization` (see
`utilization`). Imports pydantic, the generated messages and hicap.money only.
"""

from __future__ import annotations

from typing import Literal

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field

from hicap.events.v1 import capacity_commands_pb2 as capacity
from hicap.ingress.admin.utilization import Utilization
from hicap.money import format_usd

MAX_TPM = 10**12  # far above any deployment; keeps the value inside int64
Months = Literal[1, 3, 12]


class _Body(BaseModel):
    """A request body: an unknown field is a mistake worth a 400, not silence."""

    model_config = ConfigDict(extra="forbid")


class NewReservation(_Body):
    model: str = Field(min_length=1, max_length=200, description="A model of the catalogue.")
    tpm: int = Field(gt=0, le=MAX_TPM, description="Tokens per minute.", examples=[3400])
    months: Months = Field(1, description="The term: 1, 3 or 12 months.", examples=[1])
    auto_renew: bool = Field(True, description="Renew at the end of the term.")
    overflow: bool = Field(
        True, description="Past the reservation, serve on-demand (else 429 with Retry-After)."
    )


class ReservationChange(_Body):
    """At least one field. `tpm` up applies at once when capacity allows; down from the
    next period on (shown as `pending_tpm` until then)."""

    tpm: int | None = Field(None, gt=0, le=MAX_TPM, examples=[3400])
    overflow: bool | None = None
    auto_renew: bool | None = None

    @property
    def empty(self) -> bool:
        return self.tpm is None and self.overflow is None and self.auto_renew is None


class Period(BaseModel):
    number: int = Field(description="1 for the first period, 2 after the first renewal, ...")
    start: str
    end: str


class Allocation(BaseModel):
    deployment: str = Field(description="The reserved provider deployment holding this TPM.")
    tpm: int


class Reservation(BaseModel):
    id: str
    object: Literal["reservation"] = "reservation"
    org_id: str
    model: str
    tpm: int = Field(description="The TPM in force now.")
    pending_tpm: int | None = Field(description="A scale-down from the next period; null: none.")
    status: str = Field(description="requested, active, cancelling, cancelled or expired.")
    months: int
    auto_renew: bool
    overflow: bool
    current_period: Period | None = Field(description="Null until the reservation is active.")
    term_end: str | None
    created_at: str | None
    ended_at: str | None
    fee_per_period_usd: str = Field(description="Decimal USD, six places: '8415.000000'.")
    allocations: list[Allocation]

    @classmethod
    def of(cls, view: capacity.ReservationView) -> Reservation:
        return cls.model_validate(fields_of(view))


class ReservationDetail(Reservation):
    utilization: Utilization | None = Field(
        description="TPM used per window against TPM reserved; null when metering could "
        "not answer (then `utilization_unavailable` says why)."
    )
    utilization_unavailable: str | None = None


class ReservationList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Reservation] = Field(description="Newest first.")


def fields_of(view: capacity.ReservationView) -> dict[str, object]:
    return {
        "id": view.id,
        "org_id": view.org_id,
        "model": view.model,
        "tpm": view.tpm,
        "pending_tpm": view.pending_tpm or None,
        "status": view.status,
        "months": view.months,
        "auto_renew": view.auto_renew,
        "overflow": view.overflow,
        "current_period": _period(view),
        "term_end": iso(view.term_end),
        "created_at": iso(view.created_at),
        "ended_at": iso(view.ended_at),
        "fee_per_period_usd": format_usd(view.fee_micros_per_period),
        "allocations": [{"deployment": a.deployment, "tpm": a.tpm} for a in view.allocations],
    }


def _period(view: capacity.ReservationView) -> dict[str, object] | None:
    if view.period <= 0:
        return None
    return {"number": view.period, "start": iso(view.period_start), "end": iso(view.period_end)}


def iso(ts: Timestamp) -> str | None:
    """'2026-11-24T12:00:00Z' (UTC, fractions only when set); None for an unset time."""
    if ts.seconds == 0 and ts.nanos == 0:
        return None
    return ts.ToJsonString()
