"""A reservation's utilisation, from metering's `usage_series` of its org and model: TPM used
per capacity window against TPM reserved, over the last hour and over the current period,
and how much overflowed.

    "utilization": {
      "window_s": 60,
      "last_hour": [{"start": "2026-11-24T12:01:00Z", "reserved_tokens": 3400,
                     "spot_tokens": 0, "on_demand_tokens": 408, "utilization": 1.12}, ...],
      "period": {"start": ..., "end": ..., "reserved_tokens": ..., "spot_tokens": ...,
                 "on_demand_tokens": ..., "minutes": 1440, "average_tpm_used": 3808.0,
                 "peak_tpm_used": 3900, "utilization": 1.12, "overflow_share": 0.1071}
    }

"Used" is what the org's applications asked of the model in a window: reserved, spot and
on-demand tokens (input + output); BYOK traffic is not the reservation's and is left out.
`utilization` is used / TPM reserved (in force now), so 1.12 is a reservation driven at
112% with the extra served by overflow; the reserved lane's own share is
`reserved_tokens / tpm`. `last_hour` lists the windows with usage, ascending (a window
without usage is left out, as metering does). `minutes` counts the windows of the period
elapsed so far (the "minute" is the capacity window, shortened in tests); averages are
over all of them, idle ones included. `overflow_share` is spot + on-demand over used.
`window_s` is the bucket metering counted in: the capacity window, in whole seconds
(at least 1). Pure: no I/O; imports pydantic and the generated messages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from hicap.events.v1 import metering_commands_pb2 as metering

LAST_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Use:
    """One window's tokens per lane (BYOK left out)."""

    start: datetime
    reserved: int
    spot: int
    on_demand: int

    @property
    def used(self) -> int:
        return self.reserved + self.spot + self.on_demand

    @property
    def overflow(self) -> int:
        return self.spot + self.on_demand


class WindowUse(BaseModel):
    start: str
    reserved_tokens: int
    spot_tokens: int
    on_demand_tokens: int
    utilization: float


class PeriodUse(BaseModel):
    start: str
    end: str
    reserved_tokens: int
    spot_tokens: int
    on_demand_tokens: int
    minutes: int
    average_tpm_used: float
    peak_tpm_used: int
    utilization: float
    overflow_share: float


class Utilization(BaseModel):
    window_s: int
    last_hour: list[WindowUse]
    period: PeriodUse | None


def bucket_seconds(window_s: float) -> int:
    """metering counts in whole seconds: the capacity window, rounded, at least 1."""
    return max(1, round(window_s))


def uses_of(reply: metering.UsageSeriesReply) -> list[Use]:
    return [
        Use(p.start.ToDatetime(tzinfo=UTC), p.reserved_tokens, p.spot_tokens, p.on_demand_tokens)
        for p in reply.points
    ]


def window_use(use: Use, tpm: int) -> WindowUse:
    return WindowUse(
        start=_iso(use.start),
        reserved_tokens=use.reserved,
        spot_tokens=use.spot,
        on_demand_tokens=use.on_demand,
        utilization=_ratio(use.used, tpm),
    )


def period_use(
    uses: Sequence[Use], tpm: int, start: datetime, end: datetime, bucket_s: int
) -> PeriodUse:
    """The period [start, end) so far (`end` is now, or the period's end if earlier)."""
    minutes = max(1, math.ceil((end - start).total_seconds() / bucket_s))
    used = sum(u.used for u in uses)
    average = used / minutes
    return PeriodUse(
        start=_iso(start),
        end=_iso(end),
        reserved_tokens=sum(u.reserved for u in uses),
        spot_tokens=sum(u.spot for u in uses),
        on_demand_tokens=sum(u.on_demand for u in uses),
        minutes=minutes,
        average_tpm_used=round(average, 1),
        peak_tpm_used=max((u.used for u in uses), default=0),
        utilization=_ratio(average, tpm),
        overflow_share=_ratio(sum(u.overflow for u in uses), used),
    )


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole > 0 else 0.0


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
