"""Composition root of capacity-scheduler: one projection of the CAPACITY stream (catalogue
and reservations, `CapacityState`), the catalogue and reservation commands on
`hicap.cmd.capacity-scheduler.<command>` (queue group "capacity-scheduler"), and the
Temporal worker of the ReservationWorkflows (task queue "capacity-scheduler").

`start_catalog` wires the catalogue commands alone on a bus of the caller's;
`start_scheduler` adds the reservations and their worker on a Temporal client of the
caller's (the integration tests use both); `setup` hands it all to the runtime. Once the
projection has caught up, every live reservation's workflow is started if it has none (a
crash between ReservationRequested and the workflow's start strands nothing; one whose
start failed while the service ran is retried every RECONCILE_INTERVAL_S) and the
deployments file's entries that differ from the catalogue are declared; the service is
ready after that (a refused entry keeps it not ready, the reason in `hicap status`). The
lease service (`leases.serve_leases`, command `lease`) reads `runner.state.reservations`;
its book is in this process's memory, so capacity-scheduler runs as ONE replica (its
decide-and-append lock is in-process too).
The failpoint (`HICAP_FAILPOINT`, see activities.py) is a test hook read here only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from google.protobuf.message import Message
from pydantic import Field
from temporalio.client import Client
from temporalio.worker import Worker

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, Subscription, commands
from hicap.capacity_scheduler.activities import ReservationActivities
from hicap.capacity_scheduler.catalog_handlers import CatalogHandlers
from hicap.capacity_scheduler.leases import serve_leases
from hicap.capacity_scheduler.lifecycles import TemporalLifecycles
from hicap.capacity_scheduler.projections import CapacityState, evolve_capacity
from hicap.capacity_scheduler.reservation_handlers import ReservationHandlers
from hicap.capacity_scheduler.workflows import CONTINUE_AS_NEW_AFTER, ReservationWorkflow
from hicap.capacity_scheduler.writer import CapacityWriter
from hicap.catalog import Catalog, CatalogFileError, Deployment, Reservations, load_baseline
from hicap.catalog.deployments_file import parse_deployments_file
from hicap.catalog.reservations import REQUESTED
from hicap.errors import HicapError, InvalidRequest
from hicap.events import Clock, IdFactory, Stream, utc_now, uuid7
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.runtime import Runtime, run_service
from hicap.runtime.temporal import connect_temporal
from hicap.settings import CapacitySchedulerSettings

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=Message)

SERVICE = "capacity-scheduler"
QUEUE = "capacity-scheduler"
TASK_QUEUE = "capacity-scheduler"
PUBLISH_MODEL_SUBJECT = commands.command_subject(SERVICE, "publish_model")
DECLARE_DEPLOYMENT_SUBJECT = commands.command_subject(SERVICE, "declare_deployment")
CREATE_RESERVATION_SUBJECT = commands.command_subject(SERVICE, "create_reservation")
GET_RESERVATION_SUBJECT = commands.command_subject(SERVICE, "get_reservation")
LIST_RESERVATIONS_SUBJECT = commands.command_subject(SERVICE, "list_reservations")
UPDATE_RESERVATION_SUBJECT = commands.command_subject(SERVICE, "update_reservation")
CANCEL_RESERVATION_SUBJECT = commands.command_subject(SERVICE, "cancel_reservation")
LEASE_GRACE_INTERVALS = 3  # after a start, every live replica has asked for its leases
RECONCILE_INTERVAL_S = 30.0  # how often a reservation whose workflow did not start is retried


class SchedulerSettings(CapacitySchedulerSettings):
    """The service's settings plus the kill test's failpoint (never set in production)."""

    failpoint: str = Field("", description="Tests only: `after_append:<activity>`.")


def activity_timeout_s(period_s: float) -> float:
    """One activity attempt: 10 s, but never more than a period (tests use short periods,
    and a worker killed mid-activity costs one attempt's timeout)."""
    return min(10.0, max(2.0, period_s))


@dataclass(slots=True)
class SchedulerService:
    writer: CapacityWriter
    catalog_handlers: CatalogHandlers
    reservation_handlers: ReservationHandlers | None = None
    subscriptions: list[Subscription] = field(default_factory=list)
    worker: Worker | None = None
    worker_task: asyncio.Task[None] | None = None

    @property
    def runner(self) -> ProjectionRunner[CapacityState]:
        return self.writer.runner

    @property
    def state(self) -> CapacityState:
        return self.writer.state

    @property
    def catalog(self) -> Catalog:
        return self.writer.state.catalog

    @property
    def reservations(self) -> Reservations:
        return self.writer.state.reservations

    async def stop(self) -> None:
        for sub in self.subscriptions:
            await sub.unsubscribe()
        self.subscriptions.clear()
        if self.worker is not None and self.worker_task is not None:
            await self.worker.shutdown()
            await self.worker_task
            self.worker = self.worker_task = None
        await self.runner.stop()


CatalogService = SchedulerService  # the name the catalogue's tests know


def build_writer(
    bus: Bus, *, baseline: Catalog | None = None, ids: IdFactory = uuid7, clock: Clock = utc_now
) -> CapacityWriter:
    """The writer over a not-yet-started projection (`writer.runner`)."""
    start = CapacityState(load_baseline() if baseline is None else baseline)
    runner = ProjectionRunner(bus, Projection(Stream.CAPACITY, evolve_capacity, Snapshot(start, 0)))
    return CapacityWriter(bus, runner, ids=ids, clock=clock)


async def serve_commands(bus: Bus, service: SchedulerService) -> None:
    c, r, subs = service.catalog_handlers, service.reservation_handlers, service.subscriptions
    subs.append(await _serve(bus, PUBLISH_MODEL_SUBJECT, cmd.PublishModel, c.publish_model))
    subs.append(
        await _serve(bus, DECLARE_DEPLOYMENT_SUBJECT, cmd.DeclareDeployment, c.declare_deployment)
    )
    if r is None:
        return
    subs += [
        await _serve(bus, CREATE_RESERVATION_SUBJECT, cmd.CreateReservation, r.create_reservation),
        await _serve(bus, GET_RESERVATION_SUBJECT, cmd.GetReservation, r.get_reservation),
        await _serve(bus, LIST_RESERVATIONS_SUBJECT, cmd.ListReservations, r.list_reservations),
        await _serve(bus, UPDATE_RESERVATION_SUBJECT, cmd.UpdateReservation, r.update_reservation),
        await _serve(bus, CANCEL_RESERVATION_SUBJECT, cmd.CancelReservation, r.cancel_reservation),
    ]


async def _serve(
    bus: Bus, subject: str, request_type: type[Req], handler: Callable[[Req], Awaitable[Message]]
) -> Subscription:
    return await commands.serve(bus, subject, request_type, handler, queue=QUEUE)


async def start_catalog(
    bus: Bus, *, baseline: Catalog | None = None, ids: IdFactory = uuid7, clock: Clock = utc_now
) -> SchedulerService:
    """The catalogue on `bus`: replay CAPACITY, then answer publish_model/declare_deployment."""
    writer = build_writer(bus, baseline=baseline, ids=ids, clock=clock)
    service = SchedulerService(writer, CatalogHandlers(writer))
    await writer.runner.start()
    await serve_commands(bus, service)
    return service


async def start_scheduler(
    bus: Bus,
    client: Client,
    *,
    period_s: float,
    task_queue: str = TASK_QUEUE,
    deployments: Sequence[tuple[str, Deployment]] = (),
    failpoint: str = "",
    continue_as_new_after: int = CONTINUE_AS_NEW_AFTER,
    baseline: Catalog | None = None,
    ids: IdFactory = uuid7,
    clock: Clock = utc_now,
) -> SchedulerService:
    """Everything on a bus and a Temporal client of the caller's, caught up and resumed."""
    writer = build_writer(bus, baseline=baseline, ids=ids, clock=clock)
    service = wire(
        writer,
        client,
        period_s=period_s,
        task_queue=task_queue,
        failpoint=failpoint,
        continue_as_new_after=continue_as_new_after,
    )
    await writer.runner.start()
    await serve_commands(bus, service)
    await resume(service, deployments)
    return service


def wire(
    writer: CapacityWriter,
    client: Client,
    *,
    period_s: float,
    task_queue: str,
    failpoint: str,
    continue_as_new_after: int = CONTINUE_AS_NEW_AFTER,
) -> SchedulerService:
    """Handlers and a running worker over `writer` (its projection not necessarily started)."""
    timeout_s = activity_timeout_s(period_s)
    lifecycles = TemporalLifecycles(
        client,
        task_queue=task_queue,
        period_s=period_s,
        activity_timeout_s=timeout_s,
        continue_as_new_after=continue_as_new_after,
    )
    activities = ReservationActivities(writer, failpoint=failpoint)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[ReservationWorkflow],
        activities=activities.activities,
    )
    service = SchedulerService(
        writer, CatalogHandlers(writer), ReservationHandlers(writer, lifecycles), worker=worker
    )
    service.worker_task = asyncio.create_task(worker.run())
    return service


async def resume(service: SchedulerService, deployments: Sequence[tuple[str, Deployment]]) -> None:
    """After catch-up: start stranded workflows, then declare the file's changed deployments
    (a refused one is raised: the service is not ready, its reservations still run)."""
    await service.writer.read()
    handlers = service.reservation_handlers
    if handlers is not None:
        live = [r for r in service.reservations.of_org("") if r.live]
        for r in live:
            await handlers.lifecycles.start(r.id)
        log.info("reservation workflows resumed", extra={"live_reservations": len(live)})
    await service.catalog_handlers.declare_deployments(deployments)


def read_deployments(path: Path | None) -> list[tuple[str, Deployment]]:
    """The deployments file's entries; InvalidRequest (the service does not start) if bad."""
    if path is None:
        return []
    try:
        return parse_deployments_file(path.read_text("utf-8"), str(path))
    except (OSError, CatalogFileError) as exc:
        raise InvalidRequest(f"deployments file: {exc}") from exc


async def setup(rt: Runtime[SchedulerSettings]) -> None:
    s = rt.settings
    deployments = read_deployments(s.deployments_file)
    client = await connect_temporal(rt, s.temporal_address, s.temporal_namespace)
    writer = build_writer(rt.bus)
    rt.add_projection(writer.runner)  # the runtime starts it; commands wait for catch-up
    service = wire(
        writer,
        client,
        period_s=s.reservation_period_s,
        task_queue=TASK_QUEUE,
        failpoint=s.failpoint,
    )
    await serve_commands(rt.bus, service)
    service.subscriptions += await serve_leases(
        rt.bus,
        lambda: service.reservations,
        window_s=s.capacity_window_s,
        grace_s=LEASE_GRACE_INTERVALS * s.lease_interval_s,
    )
    resumed = asyncio.create_task(_resume_when_caught_up(rt, service, deployments))
    rt.add_readiness_check(
        lambda: resumed.done() and not resumed.cancelled() and resumed.exception() is None
    )

    handlers = service.reservation_handlers
    assert handlers is not None  # wire() always builds them
    reconciling = asyncio.create_task(
        start_stranded(
            lambda: service.reservations, handlers.lifecycles.start, RECONCILE_INTERVAL_S
        )
    )

    async def stop() -> None:
        resumed.cancel()
        reconciling.cancel()
        await service.stop()

    rt.on_stop(stop)


async def _resume_when_caught_up(
    rt: Runtime[SchedulerSettings],
    service: SchedulerService,
    deployments: Sequence[tuple[str, Deployment]],
) -> None:
    await service.runner.wait_caught_up()
    try:
        await resume(service, deployments)
    except HicapError as exc:  # not ready; `hicap status` shows why
        rt.detail = f"cannot resume: {exc.message}"
        log.error("capacity-scheduler cannot resume: %s", exc.message)
        raise


async def start_stranded(
    reservations: Callable[[], Reservations],
    start: Callable[[str], Awaitable[None]],
    interval_s: float,
) -> None:
    """Every `interval_s`, start the workflow of each reservation still `requested` (its
    workflow did not start when it was created, e.g. Temporal was down): it would
    otherwise wait for the next start of the service."""
    while True:
        await asyncio.sleep(interval_s)
        for r in reservations().of_org(""):
            if r.status != REQUESTED:
                continue
            try:
                await start(r.id)
            except HicapError as exc:
                log.warning("reservation %s: workflow still not started: %s", r.id, exc.message)


def main() -> None:
    run_service(SERVICE, SchedulerSettings, setup)
