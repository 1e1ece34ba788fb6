"""`hicap status`: one row per component of a running platform, healthy or not, and why.

Owns probing NATS (a connection, plus version and uptime from the monitor's `/varz`),
Temporal (its server version over gRPC) and the services (their `ServiceHealth` answers
to `hicap.health.query`, one per replica, with projection lag), and rendering the rows
as a table. Never raises for a component that is down: that is a row saying so.
Imports libs only, never a service; temporalio only inside the Temporal probe.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from nats.errors import Error as NatsError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hicap.bus import Bus, BusUnavailable, connect, query_health
from hicap.cli.durations import format_duration
from hicap.cli.runfile import Component, PlatformInfo
from hicap.events import health_pb2

__all__ = [
    "INFRA_COMPONENTS",
    "ComponentStatus",
    "gather_status",
    "lag_summary",
    "render_status",
    "status_exit_code",
]

NATS, TEMPORAL = "nats", "temporal"
INFRA_COMPONENTS = frozenset({NATS, TEMPORAL})
"""Run-file components that are servers, not services: they do not answer health queries."""

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    name: str
    healthy: bool
    status: str  # "ready", "starting", "unreachable", "no answer", "unknown", ...
    version: str = ""
    uptime_s: float | None = None
    detail: str = ""
    lag: str = ""  # "AUTH 0 behind", or "" for a component without projections
    pid: int | None = None
    url: str = ""


async def gather_status(
    info: PlatformInfo, *, wait_s: float = 0.5, connect_timeout_s: float = 2.0
) -> list[ComponentStatus]:
    """NATS, Temporal, then every service replica (and every expected service that is silent)."""
    bus_rows, temporal_row = await asyncio.gather(
        _bus_rows(info, wait_s=wait_s, connect_timeout_s=connect_timeout_s),
        _temporal_row(info),
    )
    return [bus_rows[0], temporal_row, *bus_rows[1:]]


def status_exit_code(rows: Sequence[ComponentStatus]) -> int:
    """0 when every component is healthy, else 1."""
    return 0 if rows and all(row.healthy for row in rows) else 1


def render_status(rows: Sequence[ComponentStatus], console: Console) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("component", "pid", "health", "version", "uptime", "lag", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.name,
            str(row.pid) if row.pid else "",
            Text(row.status, style="green" if row.healthy else "red"),
            row.version,
            format_duration(row.uptime_s) if row.uptime_s is not None else "",
            row.lag,
            row.detail,
        )
    console.print(table)


def lag_summary(projections: Iterable[health_pb2.ProjectionLag]) -> str:
    """`"AUTH 0 behind, USAGE 3 behind (replaying)"`: the furthest-behind projection per stream."""
    behind: dict[str, int] = {}
    replaying: set[str] = set()
    for p in projections:
        behind[p.stream] = max(behind.get(p.stream, 0), p.stream_last_seq - p.applied_seq, 0)
        if not p.caught_up:
            replaying.add(p.stream)
    return ", ".join(
        f"{stream} {n} behind" + (" (replaying)" if stream in replaying else "")
        for stream, n in sorted(behind.items())
    )


# --- NATS and the services ---------------------------------------------------------------


async def _bus_rows(
    info: PlatformInfo, *, wait_s: float, connect_timeout_s: float
) -> list[ComponentStatus]:
    """The NATS row first, then the service rows (all "unknown" when NATS is unreachable)."""
    nats_pid = _component_pid(info, NATS)
    try:
        bus = await connect(info.nats_url, name="hicap-cli-status", timeout_s=connect_timeout_s)
    except BusUnavailable as exc:
        down = ComponentStatus(
            NATS, False, "unreachable", detail=exc.message, pid=nats_pid, url=info.nats_url
        )
        return [down, *_unknown_services(info)]
    try:
        varz, reports = await asyncio.gather(
            _varz(info.nats_monitor_url), query_health(bus, wait_s=wait_s)
        )
        nats_row = _nats_row(info, bus, varz, nats_pid)
    except (NatsError, TimeoutError) as exc:  # the connection broke while asking
        lost = f"connection lost: {str(exc) or type(exc).__name__}"
        down = ComponentStatus(NATS, False, "unreachable", detail=lost, pid=nats_pid)
        return [down, *_unknown_services(info)]
    finally:
        await bus.close()
    return [nats_row, *_service_rows(info, reports)]


@dataclass(frozen=True, slots=True)
class _Varz:
    version: str = ""
    uptime_s: float | None = None
    error: str = ""


async def _varz(monitor_url: str) -> _Varz:
    if not monitor_url:
        return _Varz(error="no monitor URL in the run file")
    url = monitor_url.rstrip("/") + "/varz"
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
            response = await client.get(url)
            response.raise_for_status()
            varz = response.json()
        # Go's RFC 3339 with nanoseconds; fromisoformat keeps microseconds.
        uptime = datetime.fromisoformat(varz["now"]) - datetime.fromisoformat(varz["start"])
        return _Varz(str(varz["version"]), uptime.total_seconds())
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        return _Varz(error=f"monitor {url}: {str(exc) or type(exc).__name__}")


def _nats_row(info: PlatformInfo, bus: Bus, varz: _Varz, pid: int | None) -> ComponentStatus:
    server = bus.nc.connected_server_version
    version = varz.version or f"{server.major}.{server.minor}.{server.patch}"
    uptime = varz.uptime_s if varz.uptime_s is not None else _process_uptime_s(pid)
    return ComponentStatus(
        NATS,
        True,
        "ready",
        version=version,
        uptime_s=uptime,
        detail=varz.error,
        pid=pid,
        url=info.nats_url,
    )


def _service_rows(
    info: PlatformInfo, reports: Sequence[health_pb2.ServiceHealth]
) -> list[ComponentStatus]:
    now = datetime.now(UTC)
    rows = [_report_row(report, now) for report in reports]
    answered = {report.service for report in reports}
    rows += [_silent(c) for c in _services(info) if c.name not in answered]
    return sorted(rows, key=lambda row: (row.name, row.pid or 0))


def _report_row(report: health_pb2.ServiceHealth, now: datetime) -> ComponentStatus:
    started = report.started_at.ToDatetime(tzinfo=UTC) if report.HasField("started_at") else None
    return ComponentStatus(
        report.service,
        report.ready,
        report.status or ("ready" if report.ready else "not ready"),
        version=report.version,
        uptime_s=(now - started).total_seconds() if started else None,
        detail=report.detail,
        lag=lag_summary(report.projections),
        pid=report.pid or None,
        url=report.http_url or report.metrics_url,
    )


def _silent(component: Component) -> ComponentStatus:
    alive = _process_uptime_s(component.pid) is not None
    where = f"pid {component.pid} is running" if alive else f"pid {component.pid} is not running"
    log = f"; see {component.log_file}" if component.log_file else ""
    return ComponentStatus(
        component.name,
        False,
        "no answer",
        detail=f"did not answer the health query ({where}){log}",
        pid=component.pid,
        url=component.url,
    )


def _unknown_services(info: PlatformInfo) -> list[ComponentStatus]:
    return [
        ComponentStatus(
            c.name, False, "unknown", detail="NATS is unreachable", pid=c.pid, url=c.url
        )
        for c in _services(info)
    ]


def _services(info: PlatformInfo) -> list[Component]:
    return [c for c in info.components if c.name not in INFRA_COMPONENTS]


def _component_pid(info: PlatformInfo, name: str) -> int | None:
    return next((c.pid for c in info.components if c.name == name), None)


# --- Temporal ----------------------------------------------------------------------------


async def _temporal_row(info: PlatformInfo) -> ComponentStatus:
    pid = _component_pid(info, TEMPORAL)
    version, error = await asyncio.to_thread(_temporal_version, info.temporal_address)
    return ComponentStatus(
        TEMPORAL,
        not error,
        "unreachable" if error else "ready",
        version=version,
        uptime_s=_process_uptime_s(pid),
        detail=error,
        pid=pid,
        url=info.temporal_ui_url or info.temporal_address,
    )


def _temporal_version(address: str) -> tuple[str, str]:
    """(server version, "") or ("", why not), on a thread with its own loop and runtime.

    temporalio's Rust runtime, left alive until the interpreter exits, sometimes crashes
    the process at exit (SIGSEGV/SIGABRT; temporalio/sdk-python#300). A runtime of our
    own, dropped once its event loop has closed, does not.
    """
    from temporalio.service import RPCError

    try:
        return asyncio.run(_system_info(address)), ""
    except (RuntimeError, RPCError, TimeoutError, OSError) as exc:
        return "", f"cannot reach Temporal at {address}: {exc}"
    finally:
        gc.collect()  # drop the runtime now, not during interpreter shutdown


async def _system_info(address: str) -> str:
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
    from temporalio.client import Client
    from temporalio.runtime import Runtime, TelemetryConfig

    runtime = Runtime(telemetry=TelemetryConfig())
    client = await asyncio.wait_for(Client.connect(address, runtime=runtime), PROBE_TIMEOUT_S)
    reply = await client.workflow_service.get_system_info(
        GetSystemInfoRequest(), timeout=timedelta(seconds=PROBE_TIMEOUT_S)
    )
    return str(reply.server_version)


# --- helpers -----------------------------------------------------------------------------


def _process_uptime_s(pid: int | None) -> float | None:
    """Seconds since `pid` started (Linux /proc), or None when it is not running."""
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot_uptime_s = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    if fields[0] == "Z":
        return None  # exited, not yet reaped
    started_s = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return max(0.0, boot_uptime_s - started_s)
