"""Metering's commands: `query_usage`, `usage_series`, `delete_usage`, and `export_usage` as
a stream.

Callers have already checked who may see or delete an org's usage; each command answers
for exactly the org it names. `delete_usage` appends `UsageDeleted` and answers once the
ingest loop has applied it, so a query right after the reply sees no rows. Export frames
are CSV (header first) or JSON lines, a page of rows per frame. Imports hicap.bus and the
store modules; no nats, no chdb.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from hicap.bus import Bus, StreamRequest, publish
from hicap.errors import DeadlineExceeded, InvalidRequest
from hicap.events import Clock, new_event, usage_pb2, utc_now
from hicap.events.v1 import metering_commands_pb2 as mc
from hicap.metering import queries
from hicap.metering.backends import Backend, Row
from hicap.metering.ingest import Ingestor

EXPORT_PAGE_ROWS = 2000  # ~1 MB of CSV: well under NATS's max payload
EXPORT_FORMATS = ("csv", "jsonl")


@dataclass(frozen=True, slots=True)
class Span:
    org_id: str
    start: datetime
    end: datetime


def _span(org_id: str, start: Timestamp, end: Timestamp) -> Span:
    if not org_id:
        raise InvalidRequest("org_id is required")
    span = Span(org_id, start.ToDatetime(tzinfo=UTC), end.ToDatetime(tzinfo=UTC))
    if span.end <= span.start:
        raise InvalidRequest("`to` must be after `from`")
    return span


class MeteringHandlers:
    def __init__(
        self,
        backend: Backend,
        bus: Bus,
        ingestor: Ingestor,
        *,
        clock: Clock = utc_now,
        delete_timeout_s: float = 30.0,
    ) -> None:
        self.backend, self.bus, self.ingestor = backend, bus, ingestor
        self.clock, self.delete_timeout_s = clock, delete_timeout_s

    async def query_usage(self, req: mc.UsageQuery) -> mc.UsageQueryReply:
        span = _span(req.org_id, getattr(req, "from"), req.to)
        totals = await queries.usage(self.backend, span.org_id, span.start, span.end, req.group_by)
        return mc.UsageQueryReply(groups=[_group(t) for t in totals])

    async def usage_series(self, req: mc.UsageSeriesQuery) -> mc.UsageSeriesReply:
        span = _span(req.org_id, getattr(req, "from"), req.to)
        if not req.model:
            raise InvalidRequest("model is required")
        points = await queries.usage_series(
            self.backend, span.org_id, req.model, span.start, span.end, req.bucket_s
        )
        return mc.UsageSeriesReply(points=[_point(p) for p in points])

    async def delete_usage(self, req: mc.DeleteUsage) -> mc.DeleteUsageReply:
        if not req.org_id:
            raise InvalidRequest("org_id is required")
        deleted = usage_pb2.UsageDeleted(org_id=req.org_id, key_id=req.key_id)
        deleted.before.FromDatetime(self.clock())
        event = new_event(deleted, org_id=req.org_id, clock=self.clock)
        applied = self.ingestor.expect(event.event_id)  # before publishing: it may apply fast
        await publish(self.bus, event)
        try:
            await asyncio.wait_for(asyncio.shield(applied), self.delete_timeout_s)
        except TimeoutError as exc:
            raise DeadlineExceeded(
                f"the deletion of {req.org_id}'s usage is recorded but not applied yet",
                retryable=True,
            ) from exc
        return mc.DeleteUsageReply(org_id=req.org_id)

    async def export_usage(self, request: StreamRequest) -> AsyncIterator[bytes]:
        req = mc.UsageExport()
        try:
            req.ParseFromString(request.data)
        except DecodeError as exc:
            raise InvalidRequest("malformed UsageExport") from exc
        fmt = req.format or "csv"
        if fmt not in EXPORT_FORMATS:
            raise InvalidRequest(f"format must be csv or jsonl, not {fmt!r}")
        span = _span(req.org_id, getattr(req, "from"), req.to)
        if fmt == "csv":
            yield _csv([queries.EXPORT_COLUMNS])
        after: tuple[int, str] | None = None
        while True:
            page = await queries.export_page(
                self.backend, span.org_id, span.start, span.end, after=after, limit=EXPORT_PAGE_ROWS
            )
            if page.rows:
                yield _csv(page.rows) if fmt == "csv" else _jsonl(page.rows)
            if page.after is None:
                return
            after = page.after


def _group(t: queries.GroupTotals) -> mc.UsageGroup:
    return mc.UsageGroup(
        key=t.key,
        requests=t.requests,
        input_tokens=t.input_tokens,
        cached_input_tokens=t.cached_input_tokens,
        output_tokens=t.output_tokens,
        reasoning_tokens=t.reasoning_tokens,
        cost_micros=t.cost_micros,
        latency_p50_ms=t.latency_p50_ms,
        latency_p95_ms=t.latency_p95_ms,
    )


def _point(p: queries.SeriesPoint) -> mc.UsageSeriesPoint:
    point = mc.UsageSeriesPoint(
        reserved_tokens=p.reserved_tokens,
        spot_tokens=p.spot_tokens,
        on_demand_tokens=p.on_demand_tokens,
        byok_tokens=p.byok_tokens,
    )
    point.start.FromMilliseconds(p.start_ms)
    return point


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([_csv_value(v) for v in row] for row in rows)
    return out.getvalue().encode()


def _csv_value(value: object) -> object:
    return ("true" if value else "false") if isinstance(value, bool) else value


def _jsonl(rows: Sequence[Row]) -> bytes:
    lines = (json.dumps(dict(zip(queries.EXPORT_COLUMNS, row, strict=True))) for row in rows)
    return ("\n".join(lines) + "\n").encode()
