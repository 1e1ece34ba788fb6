"""The analytics store. Only metering opens it. The skeleton opens the embedded chDB under
the data dir and creates the database; the metering issue adds the schema and queries."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chdb import session as chdb_session

DATABASE = "hicap"


class EmbeddedStore:
    """chDB in this process, its files under `path`. Queries run off the event loop."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._session = chdb_session.Session(str(path))  # type: ignore[no-untyped-call]  # chdb ships no annotations

    async def execute(self, sql: str) -> str:
        result = await asyncio.to_thread(self._session.query, sql, "CSV")
        return str(result)

    async def open(self) -> EmbeddedStore:
        await self.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        return self

    async def close(self) -> None:
        await asyncio.to_thread(self._session.close)
