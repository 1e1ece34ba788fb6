"""The two analytics backends behind one Protocol: embedded chDB and a ClickHouse server.

Both run the same SQL text: `{name:Type}` placeholders bound by the engine, tables
qualified with the backend's `database`. Rows come back as tuples of str, int, float and
bool (queries format dates in SQL), so callers never see a backend's own types. Bulk
writes come as `Columns` (one list per column, moments as epoch milliseconds): chDB
reads them in place through its `Python()` table function, with no text encoding of the
batch. chDB runs in this process and is not safe for concurrent queries: its calls go
through one lock and run off the event loop. The only module that imports chdb or
clickhouse-connect; no nats, no hicap.bus.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import clickhouse_connect
from chdb import session as chdb_session
from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from hicap.metering.errors import StoreFailed, StoreUnavailable

Value = str | int | float | bool | datetime
Row = tuple[Value, ...]
Params = Mapping[str, str | int | float]

DEFAULT_DATABASE = "hicap"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Columns:
    """A batch by column: `values[i]` holds column `names[i]` of every row, all of one
    length; the columns named in `moments` hold UTC epoch milliseconds (int)."""

    names: tuple[str, ...]
    values: tuple[Sequence[Value], ...]
    moments: frozenset[str] = frozenset()

    @property
    def rows(self) -> int:
        return len(self.values[0]) if self.values else 0


class Backend(Protocol):
    """What metering needs of an analytics store."""

    @property
    def database(self) -> str: ...

    async def execute(self, sql: str, params: Params | None = None) -> None: ...

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Insert rows into `database.table`, all or none (one INSERT statement)."""
        ...

    async def insert_columns(self, table: str, batch: Columns) -> None:
        """Insert a batch given by column into `database.table`, all or none."""
        ...

    async def query(self, sql: str, params: Params | None = None) -> list[Row]: ...

    async def close(self) -> None: ...


def _text_time(value: datetime) -> str:
    """ClickHouse's text form of a moment, in UTC, to the millisecond."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "milliseconds")[:23]


def _json_columns(rows: Sequence[Row]) -> str:
    """The rows as one JSONCompactColumns document: one C-level dumps for the whole batch."""
    columns: list[Sequence[Value]] = list(zip(*rows, strict=True))
    for i, column in enumerate(columns):
        if isinstance(column[0], datetime):
            columns[i] = [_text_time(v) if isinstance(v, datetime) else v for v in column]
    return json.dumps(columns, ensure_ascii=False)


class ChdbBackend:
    """chDB in this process, its files under `path` (one path per process: chDB's rule)."""

    def __init__(self, path: Path, database: str = DEFAULT_DATABASE) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path, self._database = path, database
        self._session = chdb_session.Session(str(path))  # type: ignore[no-untyped-call]  # chdb ships no annotations
        self._lock = asyncio.Lock()

    @property
    def database(self) -> str:
        return self._database

    async def _run(self, sql: str, params: Params | None) -> str:
        async with self._lock:
            try:
                result = await asyncio.to_thread(
                    self._session.query, sql, "JSONCompact", params=dict(params or {})
                )
            except RuntimeError as exc:  # chdb.ChdbError: the engine refused the statement
                raise StoreFailed(f"chDB: {exc}") from exc
        return str(result)

    async def execute(self, sql: str, params: Params | None = None) -> None:
        await self._run(sql, params)

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        head = f"INSERT INTO {self._database}.{table} ({names}) FORMAT JSONCompactColumns"
        await self._run(f"{head}\n{_json_columns(rows)}", None)

    async def insert_columns(self, table: str, batch: Columns) -> None:
        if not batch.rows:
            return
        select = ", ".join(
            f"fromUnixTimestamp64Milli({n}, 'UTC')" if n in batch.moments else n
            for n in batch.names
        )
        sql = (
            f"INSERT INTO {self._database}.{table} ({', '.join(batch.names)})"
            f" SELECT {select} FROM Python(hicap_batch)"
        )
        async with self._lock:
            try:
                await asyncio.to_thread(
                    _query_batch,
                    self._session,
                    sql,
                    dict(zip(batch.names, batch.values, strict=True)),
                )
            except RuntimeError as exc:  # chdb.ChdbError: the engine refused the statement
                raise StoreFailed(f"chDB: {exc}") from exc

    async def query(self, sql: str, params: Params | None = None) -> list[Row]:
        text = await self._run(sql, params)
        if not text.strip():
            return []
        return [tuple(row) for row in json.loads(text)["data"]]

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._session.close)


def _query_batch(
    session: chdb_session.Session, sql: str, hicap_batch: Mapping[str, Sequence[Value]]
) -> None:
    """Run `sql`, whose `Python(hicap_batch)` chDB resolves by name in its caller's frames:
    this frame's argument. A dict of lists, read in place (its types inferred: str as
    String, int as Int64, bool as UInt8; the INSERT casts them to the table's)."""
    session.query(sql, "JSONCompact")  # type: ignore[no-untyped-call]  # chdb ships no annotations


def _from_ms(value: Value) -> datetime:
    if not isinstance(value, int):
        raise TypeError(f"a moment column holds epoch milliseconds, not {type(value).__name__}")
    return EPOCH + timedelta(milliseconds=value)


def _plain(value: object) -> Value:
    if isinstance(value, str | int | float | bool | datetime):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class ClickHouseBackend:
    """A ClickHouse server through clickhouse-connect's async client (HTTP)."""

    def __init__(self, client: AsyncClient, database: str = DEFAULT_DATABASE) -> None:
        self._client, self._database = client, database

    @classmethod
    async def connect(cls, url: str, database: str = DEFAULT_DATABASE) -> ClickHouseBackend:
        try:
            client = await clickhouse_connect.get_async_client(dsn=url)
        except OperationalError as exc:
            raise StoreUnavailable(f"cannot reach ClickHouse at {_safe(url)}: {exc}") from exc
        return cls(client, database)

    @property
    def database(self) -> str:
        return self._database

    async def execute(self, sql: str, params: Params | None = None) -> None:
        try:
            await self._client.command(sql, parameters=dict(params or {}))
        except OperationalError as exc:
            raise StoreUnavailable(f"ClickHouse: {exc}") from exc
        except DatabaseError as exc:
            raise StoreFailed(f"ClickHouse: {exc}") from exc

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        try:
            await self._client.insert(
                table, data=rows, column_names=list(columns), database=self._database
            )
        except OperationalError as exc:
            raise StoreUnavailable(f"ClickHouse: {exc}") from exc
        except DatabaseError as exc:
            raise StoreFailed(f"ClickHouse: {exc}") from exc

    async def insert_columns(self, table: str, batch: Columns) -> None:
        if not batch.rows:
            return
        values = [
            [_from_ms(v) for v in column] if name in batch.moments else column
            for name, column in zip(batch.names, batch.values, strict=True)
        ]
        await self.insert(table, batch.names, list(zip(*values, strict=True)))

    async def query(self, sql: str, params: Params | None = None) -> list[Row]:
        try:
            result = await self._client.query(sql, parameters=dict(params or {}))
        except OperationalError as exc:
            raise StoreUnavailable(f"ClickHouse: {exc}") from exc
        except DatabaseError as exc:
            raise StoreFailed(f"ClickHouse: {exc}") from exc
        return [tuple(_plain(v) for v in row) for row in result.result_rows]

    async def close(self) -> None:
        await self._client.close()


def _safe(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[-1]}"


async def open_backend(
    clickhouse_url: str | None, chdb_path: Path, database: str = DEFAULT_DATABASE
) -> Backend:
    """The server when a URL is set, else embedded chDB under `chdb_path`."""
    if clickhouse_url:
        return await ClickHouseBackend.connect(clickhouse_url, database)
    return ChdbBackend(chdb_path, database)
