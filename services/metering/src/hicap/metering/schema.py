"""The analytics schema and its migrations: the one place that says what the tables are.

`requests` holds one row per `UsageRecorded`: every metadata field of the event (never a
prompt, a completion or a key), plus the envelope's event id and time. It is a
ReplacingMergeTree ordered by `(org_id, started_at, request_id)`: a request's
`started_at` is set once by ingress and travels unchanged in every copy of its event, so
a re-inserted request (a redelivery, a crash between insert and ack, a republish) has
the same sorting key and collapses into one row. Queries read it with `FINAL`, which
collapses copies not merged yet (measured: a 30-day group-by over 10 million rows stays
well under a second in chDB). Partitions are months of `started_at`, so copies always
share a partition and FINAL never merges across partitions.

Migrations are numbered, each an idempotent statement, recorded in `schema_migrations`;
`migrate` applies the missing ones in order and is safe to run at every start and from
two processes. Imports the backend Protocol only; no nats, no chdb, no clickhouse-connect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from hicap.metering.backends import Backend

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# The columns of `requests` in insert order; `ingest.request_columns` (and `request_row`)
# fill them in this order.
REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("request_id", "String"),
    ("started_at", "DateTime64(3, 'UTC')"),
    ("org_id", "String"),
    ("team_id", "String"),
    ("app_id", "String"),
    ("key_id", "String"),
    ("end_user_hash", "String"),
    ("route", "String"),
    ("model_requested", "LowCardinality(String)"),
    ("model_served", "LowCardinality(String)"),
    ("provider", "LowCardinality(String)"),
    ("deployment", "LowCardinality(String)"),
    ("lane", "LowCardinality(String)"),
    ("input_tokens", "Int64"),
    ("cached_input_tokens", "Int64"),
    ("cache_write_tokens", "Int64"),
    ("output_tokens", "Int64"),
    ("reasoning_tokens", "Int64"),
    ("input_cost_micros", "Int64"),
    ("cached_input_cost_micros", "Int64"),
    ("cache_write_cost_micros", "Int64"),
    ("output_cost_micros", "Int64"),
    ("total_cost_micros", "Int64"),
    ("list_value_micros", "Int64"),
    ("latency_ms", "Int32"),
    ("ttft_ms", "Int32"),
    ("http_status", "Int32"),
    ("finish_reason", "LowCardinality(String)"),
    ("streamed", "Bool"),
    ("error_code", "LowCardinality(String)"),
    ("api_surface", "LowCardinality(String)"),
    ("event_id", "String"),
    ("occurred_at", "DateTime64(3, 'UTC')"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in REQUEST_COLUMNS)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str  # `{db}` stands for the database; must be idempotent (IF NOT EXISTS, ...)


def _requests_table() -> str:
    columns = ",\n  ".join(f"{name} {kind}" for name, kind in REQUEST_COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {{db}}.requests (\n  {columns}\n)"
        " ENGINE = ReplacingMergeTree"
        " PARTITION BY toYYYYMM(started_at)"
        " ORDER BY (org_id, started_at, request_id)"
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "requests: one row per UsageRecorded", _requests_table()),
)


def check_identifier(name: str) -> str:
    """A database name goes into SQL text: allow letters, digits and underscores only."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a valid database name: {name!r}")
    return name


async def applied_versions(backend: Backend) -> set[int]:
    rows = await backend.query(f"SELECT version FROM {backend.database}.schema_migrations")
    return {int(str(row[0])) for row in rows}


async def migrate(backend: Backend, *, now: datetime | None = None) -> list[int]:
    """Create the database and apply the missing migrations; return the versions applied."""
    db = check_identifier(backend.database)
    await backend.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
    await backend.execute(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations"
        " (version UInt32, description String, applied_at DateTime64(3, 'UTC'))"
        " ENGINE = ReplacingMergeTree ORDER BY version"
    )
    done = await applied_versions(backend)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        await backend.execute(migration.sql.replace("{db}", db))
        row = (migration.version, migration.description, now or datetime.now(UTC))
        await backend.insert("schema_migrations", ("version", "description", "applied_at"), [row])
        applied.append(migration.version)
    return applied
