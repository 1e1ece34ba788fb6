"""The one set of queries on `requests`: an org's usage grouped, its tokens of one model per
time bucket and lane (`usage_series`), its rows for export, and the deletion of its rows.
Same SQL on chDB and on a ClickHouse server.

Every query names exactly one org (bound, never formatted into the text) and reads with
`FINAL`, so a request inserted twice counts once. Times cross as epoch milliseconds and
dates leave as strings, so no backend type leaks. Imports the backend Protocol and the
schema; no nats, no chdb, no clickhouse-connect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hicap.errors import InvalidRequest
from hicap.metering.backends import Backend, Row
from hicap.metering.schema import COLUMN_NAMES

# What `group_by` may name, and the expression that gives each group its key.
GROUP_KEYS: dict[str, str] = {
    # The Hicap model name the customer asked for: what their costs are reported by.
    # (model_served keeps the provider's exact answering model id, for detail.)
    "model": "model_requested",
    "app": "app_id",
    "team": "team_id",
    "lane": "lane",
    "route": "route",
    "key": "key_id",
    "day": "toString(toDate(started_at))",
}

_ORG_SPAN = (
    "org_id = {org_id:String}"
    " AND started_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')"
    " AND started_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"
)

# Exported as they are stored, except times: ISO 8601 strings in UTC.
_TIME_COLUMNS = ("started_at", "occurred_at")
EXPORT_COLUMNS: tuple[str, ...] = COLUMN_NAMES


@dataclass(frozen=True, slots=True)
class GroupTotals:
    key: str
    requests: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_micros: int
    latency_p50_ms: float
    latency_p95_ms: float


@dataclass(frozen=True, slots=True)
class ExportPage:
    rows: list[Row]  # values in EXPORT_COLUMNS order
    after: tuple[int, str] | None  # (started_at ms, request_id) of the last row; None: done


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _span(org_id: str, start: datetime, end: datetime) -> dict[str, str | int | float]:
    return {"org_id": org_id, "from_ms": epoch_ms(start), "to_ms": epoch_ms(end)}


def usage_sql(database: str, group_by: str) -> str:
    key = GROUP_KEYS.get(group_by)
    if key is None:
        raise InvalidRequest(f"group_by must be one of {', '.join(GROUP_KEYS)}, not {group_by!r}")
    return (
        f"SELECT {key} AS group_key, count() AS requests, sum(input_tokens),"
        " sum(cached_input_tokens), sum(output_tokens), sum(reasoning_tokens),"
        " sum(total_cost_micros) AS cost, quantile(0.5)(latency_ms), quantile(0.95)(latency_ms)"
        f" FROM {database}.requests FINAL WHERE {_ORG_SPAN}"
        " GROUP BY group_key ORDER BY cost DESC, group_key ASC"
    )


async def usage(
    backend: Backend, org_id: str, start: datetime, end: datetime, group_by: str
) -> list[GroupTotals]:
    """The org's requests over [start, end), grouped, highest cost first."""
    rows = await backend.query(usage_sql(backend.database, group_by), _span(org_id, start, end))
    return [_totals(row) for row in rows]


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """Tokens (input + output) of one bucket, per lane. A row without a lane (recorded
    before lanes existed, when everything was on-demand) counts as on-demand."""

    start_ms: int  # the bucket's start, epoch milliseconds, a multiple of the bucket
    reserved_tokens: int = 0
    spot_tokens: int = 0
    on_demand_tokens: int = 0
    byok_tokens: int = 0


SERIES_LANES = {"reserved": "reserved_tokens", "spot": "spot_tokens", "byok": "byok_tokens"}
MAX_SERIES_BUCKETS = 100_000


def series_sql(database: str) -> str:
    # Buckets are aligned on the epoch (floor(t / bucket)), as the capacity window is.
    bucket = "intDiv(toUnixTimestamp64Milli(started_at), {bucket_ms:Int64}) * {bucket_ms:Int64}"
    return (
        f"SELECT {bucket} AS bucket_ms, lane, sum(input_tokens + output_tokens)"
        f" FROM {database}.requests FINAL WHERE {_ORG_SPAN}"
        " AND model_requested = {model:String}"
        " GROUP BY bucket_ms, lane ORDER BY bucket_ms, lane"
    )


async def usage_series(
    backend: Backend, org_id: str, model: str, start: datetime, end: datetime, bucket_s: int
) -> list[SeriesPoint]:
    """The org's tokens of `model` over [start, end) per bucket of `bucket_s` seconds and
    lane, ascending; buckets without usage are left out."""
    if bucket_s <= 0:
        raise InvalidRequest("bucket_s must be a positive number of seconds")
    if (end - start).total_seconds() / bucket_s > MAX_SERIES_BUCKETS:
        raise InvalidRequest(f"at most {MAX_SERIES_BUCKETS} buckets: widen bucket_s")
    params = _span(org_id, start, end) | {"model": model, "bucket_ms": bucket_s * 1000}
    rows = await backend.query(series_sql(backend.database), params)
    points: dict[int, dict[str, int]] = {}
    for bucket_ms, lane, tokens in rows:
        counts = points.setdefault(_int(bucket_ms), {})
        field = SERIES_LANES.get(str(lane), "on_demand_tokens")
        counts[field] = counts.get(field, 0) + _int(tokens)
    return [SeriesPoint(start_ms, **counts) for start_ms, counts in sorted(points.items())]


def _totals(row: Row) -> GroupTotals:
    key, requests, inp, cached, out, reasoning, cost, p50, p95 = row
    return GroupTotals(
        key=str(key),
        requests=_int(requests),
        input_tokens=_int(inp),
        cached_input_tokens=_int(cached),
        output_tokens=_int(out),
        reasoning_tokens=_int(reasoning),
        cost_micros=_int(cost),
        latency_p50_ms=float(str(p50)),
        latency_p95_ms=float(str(p95)),
    )


def _int(value: object) -> int:
    return int(str(value))  # 64-bit integers may arrive quoted from a JSON format


def _export_select() -> str:
    return (
        ", ".join(f"toString({c})" if c in _TIME_COLUMNS else c for c in EXPORT_COLUMNS)
        + ", toUnixTimestamp64Milli(started_at)"
    )


async def export_page(
    backend: Backend,
    org_id: str,
    start: datetime,
    end: datetime,
    *,
    after: tuple[int, str] | None = None,
    limit: int = 5000,
) -> ExportPage:
    """One page of the org's rows over [start, end) in (started_at, request_id) order."""
    params = _span(org_id, start, end)
    where = _ORG_SPAN
    if after is not None:
        where += (
            " AND (started_at, request_id) >"
            " (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
        )
        params |= {"after_ms": after[0], "after_id": after[1]}
    sql = (
        f"SELECT {_export_select()} FROM {backend.database}.requests FINAL WHERE {where}"
        f" ORDER BY started_at, request_id LIMIT {int(limit)}"
    )
    rows = await backend.query(sql, params)
    page = [_iso_times(row[:-1]) for row in rows]
    if len(rows) < limit:
        return ExportPage(page, None)
    last = rows[-1]
    return ExportPage(page, (int(str(last[-1])), str(last[0])))


def _iso_times(row: Sequence[object]) -> Row:
    """'2026-11-24 18:00:00.123' (ClickHouse's text) as '2026-11-24T18:00:00.123Z'."""
    out: list[str | int | float | bool | datetime] = []
    for name, value in zip(EXPORT_COLUMNS, row, strict=True):
        if name in _TIME_COLUMNS:
            out.append(str(value).replace(" ", "T") + "Z")
        else:
            out.append(value if isinstance(value, str | int | float | bool) else str(value))
    return tuple(out)


async def delete_org(backend: Backend, org_id: str, before: datetime) -> None:
    """Delete the org's rows of requests started before `before`; visible when it returns."""
    await backend.execute(
        f"DELETE FROM {backend.database}.requests WHERE org_id = {{org_id:String}}"
        " AND started_at < fromUnixTimestamp64Milli({before_ms:Int64}, 'UTC')",
        {"org_id": org_id, "before_ms": epoch_ms(before)},
    )


async def count_requests(backend: Backend, org_id: str) -> int:
    """How many distinct requests the org has (for tests and `hicap status`)."""
    rows = await backend.query(
        f"SELECT count() FROM {backend.database}.requests FINAL WHERE org_id = {{org_id:String}}",
        {"org_id": org_id},
    )
    return _int(rows[0][0])
