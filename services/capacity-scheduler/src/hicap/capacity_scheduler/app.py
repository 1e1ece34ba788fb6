"""Composition root of capacity-scheduler: the model catalogue (baseline file plus the
CAPACITY stream, folded by `hicap.catalog.evolve`) and its command `publish_model` on
`hicap.cmd.capacity-scheduler.publish_model` (queue group "capacity-scheduler"); it joins
Temporal for the reservations and leases to come. `start_catalog` wires the catalogue on a
bus of the caller's (the integration tests use it); `setup` hands it to the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, Subscription, commands
from hicap.capacity_scheduler.catalog_handlers import CatalogHandlers
from hicap.catalog import Catalog, evolve, load_baseline
from hicap.events import Clock, IdFactory, Stream, utc_now, uuid7
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.runtime import Runtime, run_service
from hicap.runtime.temporal import connect_temporal
from hicap.settings import CapacitySchedulerSettings

SERVICE = "capacity-scheduler"
QUEUE = "capacity-scheduler"
PUBLISH_MODEL_SUBJECT = commands.command_subject(SERVICE, "publish_model")


@dataclass(slots=True)
class CatalogService:
    handlers: CatalogHandlers
    runner: ProjectionRunner[Catalog]
    subscriptions: list[Subscription]

    @property
    def catalog(self) -> Catalog:
        return self.runner.state

    async def stop(self) -> None:
        for sub in self.subscriptions:
            await sub.unsubscribe()
        self.subscriptions.clear()
        await self.runner.stop()


def build_catalog(
    bus: Bus, *, baseline: Catalog | None = None, ids: IdFactory = uuid7, clock: Clock = utc_now
) -> CatalogHandlers:
    """The handlers over a not-yet-started catalogue projection (`handlers.runner`)."""
    start = load_baseline() if baseline is None else baseline
    runner = ProjectionRunner(bus, Projection(Stream.CAPACITY, evolve, Snapshot(start, 0)))
    return CatalogHandlers(bus, runner, ids=ids, clock=clock)


async def serve_commands(bus: Bus, h: CatalogHandlers) -> list[Subscription]:
    return [
        await commands.serve(
            bus, PUBLISH_MODEL_SUBJECT, cmd.PublishModel, h.publish_model, queue=QUEUE
        )
    ]


async def start_catalog(
    bus: Bus, *, baseline: Catalog | None = None, ids: IdFactory = uuid7, clock: Clock = utc_now
) -> CatalogService:
    """The catalogue on `bus`: replay CAPACITY, then answer `publish_model`."""
    handlers = build_catalog(bus, baseline=baseline, ids=ids, clock=clock)
    await handlers.runner.start()
    subscriptions = await serve_commands(bus, handlers)
    return CatalogService(handlers, handlers.runner, subscriptions)


async def setup(rt: Runtime[CapacitySchedulerSettings]) -> None:
    s = rt.settings
    await connect_temporal(rt, s.temporal_address, s.temporal_namespace)
    handlers = build_catalog(rt.bus)
    rt.add_projection(handlers.runner)  # the runtime starts it; commands wait for catch-up
    subscriptions = await serve_commands(rt.bus, handlers)

    async def unsubscribe() -> None:
        for sub in subscriptions:
            await sub.unsubscribe()

    rt.on_stop(unsubscribe)


def main() -> None:
    run_service(SERVICE, CapacitySchedulerSettings, setup)
