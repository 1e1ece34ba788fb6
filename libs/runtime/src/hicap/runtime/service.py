"""The life of a Hicap service process, wired once for all of them.

`run_service(name, settings_cls, setup)` loads settings, configures logs, tracing and
`/metrics`, connects to NATS, declares the streams, starts health reporting, calls the
service's `setup` (which registers projections, handlers and servers on the `Runtime`),
reports ready once every projection has caught up, and on SIGTERM/SIGINT stops in reverse
order within the grace period. Imports libs only, never a service.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Generic, TypeVar

import uvloop

from hicap.bus import (
    Bus,
    HealthReporter,
    ProjectionRunner,
    base_health,
    connect,
    ensure_streams,
)
from hicap.errors import HicapError
from hicap.events import health_pb2
from hicap.settings import BaseServiceSettings
from hicap.telemetry import (
    Gauge,
    MetricsServer,
    configure_logging,
    configure_tracing,
    shutdown_tracing,
)

log = logging.getLogger(__name__)

SettingsT = TypeVar("SettingsT", bound=BaseServiceSettings)
Closer = Callable[[], Awaitable[None]]
STOP_GRACE_S = 7.0  # `hicap up` allows 10 s for the whole platform to stop

UP = Gauge("hicap_service_ready", "1 when the service is ready to serve.", ["service"])


class Runtime(Generic[SettingsT]):
    """What a service's `setup` gets: settings, the bus, and places to register its parts."""

    def __init__(self, name: str, settings: SettingsT, bus: Bus, version: str) -> None:
        self.name, self.settings, self.bus, self.version = name, settings, bus, version
        self.instance_id = settings.instance_id or f"{name}@{socket.gethostname()}:{os.getpid()}"
        self.started_at = datetime.now(UTC)
        self.projections: list[ProjectionRunner[Any]] = []
        self.http_url = ""
        self.metrics_url = ""
        self.detail = ""
        self.stopping = False
        self._closers: list[Closer] = []
        self._checks: list[Callable[[], bool]] = []

    def add_projection(self, runner: ProjectionRunner[Any]) -> None:
        """Readiness waits until this projection has caught up with its stream."""
        self.projections.append(runner)
        self.on_stop(runner.stop)

    def add_readiness_check(self, check: Callable[[], bool]) -> None:
        self._checks.append(check)

    def on_stop(self, closer: Closer) -> None:
        """Run at shutdown, in reverse order of registration."""
        self._closers.append(closer)

    @property
    def ready(self) -> bool:
        return (
            not self.stopping
            and self.bus.connected
            and all(p.caught_up.is_set() for p in self.projections)
            and all(check() for check in self._checks)
        )

    async def health(self) -> health_pb2.ServiceHealth:
        report = base_health(
            self.name,
            instance_id=self.instance_id,
            version=self.version,
            started_at=self.started_at,
        )
        report.ready = self.ready
        report.status = "stopping" if self.stopping else ("ready" if report.ready else "starting")
        report.detail = self.detail
        report.metrics_url, report.http_url = self.metrics_url, self.http_url
        report.projections.extend([await p.lag() for p in self.projections])
        return report

    async def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                await asyncio.wait_for(closer(), STOP_GRACE_S)
            except (TimeoutError, OSError) as exc:
                log.warning("a part did not stop cleanly: %s", exc)


def service_version(name: str) -> str:
    try:
        return metadata.version(f"hicap-{name}")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def run_service(
    name: str,
    settings_cls: type[SettingsT],
    setup: Callable[[Runtime[SettingsT]], Awaitable[None]],
) -> None:
    """Run a service until SIGTERM/SIGINT; exit non-zero with a clear line if it cannot start."""
    settings = settings_cls()
    configure_logging(name, log_format=settings.log_format, level=settings.log_level)
    version = service_version(name)
    configure_tracing(name, version=version, otlp_endpoint=settings.otel_exporter_otlp_endpoint)
    try:
        uvloop.run(_serve(name, settings, version, setup))
    except HicapError as exc:  # NATS or Temporal unreachable, a port taken: one clear line
        log.error("%s cannot start: %s", name, exc.message)
        sys.exit(2)
    finally:
        shutdown_tracing()


async def _serve(
    name: str,
    settings: SettingsT,
    version: str,
    setup: Callable[[Runtime[SettingsT]], Awaitable[None]],
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bus = await connect(
        settings.nats_url, name=f"hicap-{name}", timeout_s=settings.nats_connect_timeout_s
    )
    rt = Runtime(name, settings, bus, version)
    metrics = MetricsServer(lambda: rt.ready, port=settings.metrics_port).start()
    rt.metrics_url = metrics.url
    try:
        await ensure_streams(bus)
        reporter = await HealthReporter(
            bus, rt.health, interval_s=settings.health_interval_s
        ).start()
        await setup(rt)
        for runner in rt.projections:
            await runner.start()
        await _wait_ready_or_stop(rt, stop)
        await reporter.report_now()
        await stop.wait()
        log.info("stopping")
        rt.stopping = True
        UP.labels(name).set(0)
        await reporter.report_now()
        await rt.close()
        await reporter.stop()
    finally:
        metrics.stop()
        await bus.close()
    log.info("stopped")


async def _wait_ready_or_stop(rt: Runtime[Any], stop: asyncio.Event) -> None:
    while not stop.is_set():
        if rt.ready:
            UP.labels(rt.name).set(1)
            log.info("ready", extra={"version": rt.version, "metrics": rt.metrics_url})
            return
        await asyncio.sleep(0.02)
