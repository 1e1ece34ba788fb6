"""A fake metering service on the real bus, answering the fixed metering contract
(`query_usage`, `delete_usage`, the `export_usage` stream) from rows a test seeds per org,
and recording every command it was sent, so a test can see which org a caller asked for.
It answers for exactly the org it is given, as metering does; it ignores the window."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, fields

from google.protobuf.message import Message

from hicap.bus import Bus, StreamRequest, StreamServer, Subscription, commands
from hicap.errors import HicapError
from hicap.events.v1 import metering_commands_pb2 as metering

QUEUE = "metering"


@dataclass(frozen=True, slots=True)
class Row:
    """One request's usage, as metering would store it."""

    org_id: str
    model: str = "gpt-5.4"
    app: str = "app_1"
    team: str = "team_1"
    lane: str = "standard"
    route: str = "openai"
    key: str = "key_1"
    day: str = "2026-11-24"
    input_tokens: int = 100
    cached_input_tokens: int = 10
    output_tokens: int = 20
    reasoning_tokens: int = 5
    cost_micros: int = 1_000
    latency_ms: float = 100.0


@dataclass(slots=True)
class FakeMetering:
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    queries: list[metering.UsageQuery] = field(default_factory=list)
    exports: list[metering.UsageExport] = field(default_factory=list)
    deletions: list[metering.DeleteUsage] = field(default_factory=list)
    refuse_with: HicapError | None = None  # set: every command answers this error

    def seed(self, *rows: Row) -> None:
        for row in rows:
            self.rows[row.org_id].append(row)

    @property
    def commands_seen(self) -> int:
        return len(self.queries) + len(self.exports) + len(self.deletions)

    async def query(self, q: metering.UsageQuery) -> Message:
        self.queries.append(q)
        self._refuse()
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows[q.org_id]:
            groups[str(getattr(row, q.group_by))].append(row)
        answer = sorted((group(k, rows) for k, rows in groups.items()), key=by_cost_descending)
        return metering.UsageQueryReply(groups=answer)

    async def delete(self, d: metering.DeleteUsage) -> Message:
        self.deletions.append(d)
        self._refuse()
        self.rows.pop(d.org_id, None)
        return metering.DeleteUsageReply(org_id=d.org_id)

    async def export(self, req: StreamRequest) -> AsyncIterator[bytes]:
        e = metering.UsageExport.FromString(req.data)
        self.exports.append(e)
        self._refuse()
        if e.format == "csv":
            yield (",".join(f.name for f in fields(Row)) + "\n").encode()
        for row in self.rows[e.org_id]:  # one frame per row: a real stream of several frames
            yield line(row, e.format).encode()

    def _refuse(self) -> None:
        if self.refuse_with is not None:
            raise self.refuse_with


def by_cost_descending(g: metering.UsageGroup) -> int:
    return -g.cost_micros


def group(key: str, rows: list[Row]) -> metering.UsageGroup:
    latencies = sorted(r.latency_ms for r in rows)
    return metering.UsageGroup(
        key=key,
        requests=len(rows),
        input_tokens=sum(r.input_tokens for r in rows),
        cached_input_tokens=sum(r.cached_input_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        reasoning_tokens=sum(r.reasoning_tokens for r in rows),
        cost_micros=sum(r.cost_micros for r in rows),
        latency_p50_ms=latencies[len(latencies) // 2],
        latency_p95_ms=latencies[-1],
    )


def line(row: Row, format: str) -> str:
    if format == "csv":
        return ",".join(str(v) for v in asdict(row).values()) + "\n"
    return json.dumps(asdict(row)) + "\n"


@asynccontextmanager
async def fake_metering(bus: Bus) -> AsyncIterator[FakeMetering]:
    fake = FakeMetering()
    query, delete, export = (
        commands.command_subject("metering", name)
        for name in ("query_usage", "delete_usage", "export_usage")
    )
    subs: list[Subscription] = [
        await commands.serve(bus, query, metering.UsageQuery, fake.query, queue=QUEUE),
        await commands.serve(bus, delete, metering.DeleteUsage, fake.delete, queue=QUEUE),
    ]
    server = await StreamServer(bus, export, fake.export, queue=QUEUE).start()
    await bus.nc.flush()  # the subscriptions are known to the server before the first call
    try:
        yield fake
    finally:
        for sub in subs:
            await sub.unsubscribe()
        await server.stop()
