"""`hicap usage`: one org's usage over the last while, grouped by a dimension, as the
operator sees it: metering's `query_usage` command on the bus of the platform running on
the data dir (found via the run file, like `hicap keys`), printed as a table with a total
line. The same numbers as `GET /v1/admin/usage`. Imports libs only, never a service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.table import Table

from hicap.bus import commands, connect
from hicap.errors import InvalidRequest
from hicap.events.v1 import metering_commands_pb2 as metering
from hicap.money import format_usd

__all__ = ["GROUPS", "UsageAsk", "fetch_usage", "render_usage"]

GROUPS = ("model", "app", "team", "lane", "route", "key", "day")  # metering's group_by values
MAX_SPAN = timedelta(days=400)  # as the admin API allows
CONNECT_TIMEOUT_S = 3.0
QUERY_TIMEOUT_S = 30.0
COLUMNS = ("requests", "input", "cached", "output", "reasoning", "cost (USD)", "p50 ms", "p95 ms")


@dataclass(frozen=True, slots=True)
class UsageAsk:
    org_id: str
    group_by: str
    since: timedelta

    def checked(self) -> UsageAsk:
        if self.group_by not in GROUPS:
            raise InvalidRequest(f"--by must be one of {', '.join(GROUPS)}")
        if not timedelta(0) < self.since <= MAX_SPAN:
            raise InvalidRequest(f"--since must be more than 0s and at most {MAX_SPAN.days}d")
        return self

    def query(self, now: datetime) -> metering.UsageQuery:
        start, end = Timestamp(), Timestamp()
        start.FromDatetime(now - self.since)
        end.FromDatetime(now)
        query = metering.UsageQuery(org_id=self.org_id, to=end, group_by=self.group_by)
        getattr(query, "from").CopyFrom(start)  # `from` is a Python keyword
        return query


async def fetch_usage(nats_url: str, ask: UsageAsk, now: datetime) -> list[metering.UsageGroup]:
    """The org's groups over [now - since, now), highest cost first."""
    query = ask.checked().query(now)
    bus = await connect(nats_url, name="hicap-cli-usage", timeout_s=CONNECT_TIMEOUT_S)
    try:
        subject = commands.command_subject("metering", "query_usage")
        reply = await commands.request(
            bus, subject, query, metering.UsageQueryReply, timeout_s=QUERY_TIMEOUT_S
        )
    finally:
        await bus.close()
    return list(reply.groups)


def render_usage(groups: Sequence[metering.UsageGroup], group_by: str, console: Console) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold", show_footer=bool(groups))
    table.add_column(group_by, overflow="fold", footer="total")
    for name, total in zip(COLUMNS, totals(groups), strict=True):
        table.add_column(name, justify="right", footer=total)
    for g in groups:
        table.add_row(
            g.key or "-", *counts(g), f"{g.latency_p50_ms:.0f}", f"{g.latency_p95_ms:.0f}"
        )
    console.print(table if groups else "no usage in that window")


def counts(g: metering.UsageGroup) -> tuple[str, ...]:
    tokens = (g.input_tokens, g.cached_input_tokens, g.output_tokens, g.reasoning_tokens)
    return (f"{g.requests:,}", *(f"{n:,}" for n in tokens), format_usd(g.cost_micros))


def totals(groups: Sequence[metering.UsageGroup]) -> tuple[str, ...]:
    """The footer: sums of the counts and the cost; a latency does not add up."""
    summed = metering.UsageGroup(
        requests=sum(g.requests for g in groups),
        input_tokens=sum(g.input_tokens for g in groups),
        cached_input_tokens=sum(g.cached_input_tokens for g in groups),
        output_tokens=sum(g.output_tokens for g in groups),
        reasoning_tokens=sum(g.reasoning_tokens for g in groups),
        cost_micros=sum(g.cost_micros for g in groups),
    )
    return (*counts(summed), "", "")
