"""Composition root of metering: the analytics store (chDB, or ClickHouse when
HICAP_CLICKHOUSE_URL is set) migrated at start, the USAGE consumer, the commands
(`query_usage`, `usage_series`, `delete_usage`, the `export_usage` stream) and the Temporal connection.
The only module that makes clients."""

from __future__ import annotations

from hicap.bus import DurableConsumer, StreamServer, commands
from hicap.events import Stream
from hicap.events.v1 import metering_commands_pb2 as mc
from hicap.metering.backends import open_backend
from hicap.metering.handlers import MeteringHandlers
from hicap.metering.ingest import Ingestor
from hicap.metering.schema import migrate
from hicap.runtime import Runtime, run_service
from hicap.runtime.temporal import connect_temporal
from hicap.settings import MeteringSettings

SERVICE = "metering"
DURABLE = "metering"  # the one durable consumer of USAGE; replicas share it


async def setup(rt: Runtime[MeteringSettings]) -> None:
    s = rt.settings
    backend = await open_backend(s.clickhouse_url, s.data_dir / "chdb")
    rt.on_stop(backend.close)
    await migrate(backend)
    consumer = await DurableConsumer(
        rt.bus, Stream.USAGE, DURABLE, Stream.USAGE.subjects[0]
    ).start()
    ingestor = Ingestor(backend, consumer).start()
    rt.on_stop(ingestor.stop)
    rt.add_readiness_check(lambda: ingestor.running)
    await serve_commands(rt, MeteringHandlers(backend, rt.bus, ingestor))
    await connect_temporal(rt, s.temporal_address, s.temporal_namespace)


async def serve_commands(rt: Runtime[MeteringSettings], handlers: MeteringHandlers) -> None:
    subject = commands.command_subject
    subs = [
        await commands.serve(
            rt.bus, subject(SERVICE, "query_usage"), mc.UsageQuery, handlers.query_usage,
            queue=SERVICE,
        ),
        await commands.serve(
            rt.bus, subject(SERVICE, "usage_series"), mc.UsageSeriesQuery, handlers.usage_series,
            queue=SERVICE,
        ),
        await commands.serve(
            rt.bus, subject(SERVICE, "delete_usage"), mc.DeleteUsage, handlers.delete_usage,
            queue=SERVICE,
        ),
    ]  # fmt: skip
    for sub in subs:
        rt.on_stop(sub.unsubscribe)
    export = StreamServer(
        rt.bus, subject(SERVICE, "export_usage"), handlers.export_usage, queue=SERVICE
    )
    await export.start()
    rt.on_stop(export.stop)


def main() -> None:
    run_service(SERVICE, MeteringSettings, setup)
