"""Metering fixtures: a migrated store per test (chDB always, a ClickHouse server too when
HICAP_CLICKHOUSE_URL is set), usage-event builders, and an ingest loop of the test's own
(its own durable consumer starting after what the USAGE stream already holds)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.message import Message

from hicap.bus import Bus, DurableConsumer, stream_last_seq
from hicap.events import Event, Stream, new_event, usage_pb2
from hicap.metering.backends import Backend, ChdbBackend, ClickHouseBackend
from hicap.metering.ingest import IngestConfig, Ingestor
from hicap.metering.schema import migrate

T0 = datetime(2026, 11, 1, tzinfo=UTC)

StartIngest = Callable[..., Awaitable[Ingestor]]


def usage(
    org_id: str,
    request_id: str | None = None,
    *,
    started_at: datetime = T0,
    **fields: object,
) -> usage_pb2.UsageRecorded:
    """A UsageRecorded with sensible defaults; `fields` override any payload field."""
    base: dict[str, object] = {
        "request_id": request_id or f"req_{uuid.uuid4().hex}",
        "org_id": org_id,
        "team_id": "team_1",
        "app_id": "app_1",
        "key_id": "key_1",
        "model_requested": "gpt-5.4",
        "model_served": "gpt-5.4",
        "provider": "openai",
        "deployment": "openai-default",
        "lane": usage_pb2.LANE_ON_DEMAND,
        "input_tokens": 100,
        "output_tokens": 20,
        "total_cost_micros": 1500,
        "latency_ms": 200,
        "http_status": 200,
        "finish_reason": "stop",
        "api_surface": "openai",
    }
    base.update(fields)
    msg = usage_pb2.UsageRecorded(**base)  # type: ignore[arg-type]  # test defaults by name
    msg.started_at.FromDatetime(started_at)
    return msg


def usage_event(payload: usage_pb2.UsageRecorded) -> Event[Message]:
    return new_event(payload, org_id=payload.org_id)


async def _chdb(chdb_dir: Path, database: str) -> Backend:
    backend = ChdbBackend(chdb_dir, database)
    await migrate(backend)
    return backend


@pytest.fixture
async def backend(chdb_dir: Path, chdb_database: str) -> Backend:
    """A migrated chDB store in this test's own database."""
    return await _chdb(chdb_dir, chdb_database)


@pytest.fixture(params=["chdb", "clickhouse"])
async def any_backend(
    request: pytest.FixtureRequest, chdb_dir: Path, chdb_database: str
) -> AsyncIterator[Backend]:
    """Each backend in turn: chDB, then the ClickHouse server of HICAP_CLICKHOUSE_URL."""
    if request.param == "chdb":
        yield await _chdb(chdb_dir, chdb_database)
        return
    url = os.environ.get("HICAP_CLICKHOUSE_URL")
    if not url:
        pytest.skip("HICAP_CLICKHOUSE_URL is not set: no ClickHouse server to test against")
    server = await ClickHouseBackend.connect(url, chdb_database)
    await migrate(server)
    yield server
    await server.execute(f"DROP DATABASE IF EXISTS {chdb_database}")
    await server.close()


FAST = IngestConfig(batch_rows=500, batch_wait_s=0.05, retry_delay_s=0.05)


@pytest.fixture
async def start_ingest(bus: Bus) -> AsyncIterator[StartIngest]:
    """Start an ingest loop on a durable consumer of this test (stopped afterwards)."""
    started: list[Ingestor] = []
    first_seq = await stream_last_seq(bus, Stream.USAGE) + 1
    durable = f"metering_test_{uuid.uuid4().hex[:12]}"

    async def start(
        store: Backend, *, max_deliver: int = 5, ack_wait_s: float = 30.0, run: bool = True
    ) -> Ingestor:
        consumer = DurableConsumer(
            bus,
            Stream.USAGE,
            durable,
            Stream.USAGE.subjects[0],
            max_deliver=max_deliver,
            ack_wait_s=ack_wait_s,
            start_seq=first_seq,
        )
        ingestor = Ingestor(store, await consumer.start(), FAST)
        started.append(ingestor)
        return ingestor.start() if run else ingestor

    yield start
    for ingestor in started:
        await ingestor.stop()
    await bus.js.delete_consumer(Stream.USAGE.value, durable)


def window(days: int = 1) -> tuple[datetime, datetime]:
    return T0 - timedelta(days=days), T0 + timedelta(days=days)
