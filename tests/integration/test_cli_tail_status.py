"""`hicap events tail` and `hicap status` against a real nats-server and a real service process.

Temporal is given an address where nothing listens: these tests check that its row says
so without raising; the Temporal fixture's tests cover a reachable one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from nats.errors import Error as NatsError
from rich.console import Console

from hicap.bus import Bus, BusUnavailable, Published, connect, ensure_streams, publish
from hicap.cli.runfile import Component, PlatformInfo
from hicap.cli.status import (
    ComponentStatus,
    gather_status,
    render_status,
    status_exit_code,
)
from hicap.cli.tail import tail_events
from hicap.errors import HicapError
from hicap.events import Event, auth_pb2, new_event
from tests.asserts import assert_eventually
from tests.fixtures.servers import NatsServer, free_port

ORG_CREATED = "hicap.auth.org_created.v1"


# --- helpers ---------------------------------------------------------------------------


@dataclass
class Tail:
    """A running `tail_events` writing into `out`."""

    out: StringIO
    stop: asyncio.Event
    task: asyncio.Task[int]

    def lines(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.out.getvalue().splitlines()]

    def events_of(self, org_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("org_id") == org_id]


@asynccontextmanager
async def tailing(url: str, **options: Any) -> AsyncIterator[Tail]:
    """Start a tail, wait until its consumers exist, stop it on exit."""
    args: dict[str, Any] = {"stream": None, "subject": None, "from_start": False, "since": None}
    out, stop, ready = StringIO(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(tail_events(url, out=out, stop=stop, ready=ready, **args | options))
    ready_wait = asyncio.create_task(ready.wait())
    await asyncio.wait([task, ready_wait], timeout=10, return_when=asyncio.FIRST_COMPLETED)
    ready_wait.cancel()
    if task.done():
        task.result()  # raises what made the tail end early
    assert ready.is_set(), "the tail did not subscribe within 10 s"
    try:
        yield Tail(out, stop, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def org_created(bus: Bus, org_id: str, name: str = "Acme") -> tuple[Event[Any], Published]:
    event = new_event(auth_pb2.OrgCreated(org_id=org_id, name=name), org_id=org_id)
    return event, await publish(bus, event)


def key_issued(org_id: str) -> Event[Any]:
    return new_event(
        auth_pb2.KeyIssued(org_id=org_id, key_id=f"key_{uuid.uuid4().hex}"), org_id=org_id
    )


def unreachable_temporal() -> str:
    return f"127.0.0.1:{free_port()}"


def platform(nats_url: str, monitor_url: str, *components: Component) -> PlatformInfo:
    return PlatformInfo(
        data_dir="/nonexistent",
        supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC).isoformat(),
        nats_url=nats_url,
        nats_monitor_url=monitor_url,
        temporal_address=unreachable_temporal(),
        temporal_ui_url="",
        api_url="",
        components=list(components),
    )


def row(rows: list[ComponentStatus], name: str, pid: int | None = None) -> ComponentStatus:
    matching = [r for r in rows if r.name == name and (pid is None or r.pid == pid)]
    assert len(matching) == 1, f"expected one {name} row (pid {pid}), got {rows}"
    return matching[0]


def rendered(rows: list[ComponentStatus]) -> str:
    out = StringIO()
    render_status(rows, Console(file=out, width=240, color_system=None))
    return out.getvalue()


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_file: Path
    component: Component = field(init=False)

    def __post_init__(self) -> None:
        self.component = Component(self.name, self.process.pid, str(self.log_file))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@pytest.fixture
def auth_service(nats_server: NatsServer, tmp_path: Path) -> Iterator[ServiceProcess]:
    """`python -m hicap.auth` against the session's NATS, reporting health every 0.5 s."""
    env = os.environ | {
        "HICAP_NATS_URL": nats_server.url,
        "HICAP_DATA_DIR": str(tmp_path),
        "HICAP_HEALTH_INTERVAL_S": "0.5",
    }
    log_file = tmp_path / "auth.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hicap.auth"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    service = ServiceProcess("auth", process, log_file)
    yield service
    service.stop()


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


async def publish_when_back(
    bus: Bus, make: Callable[[], Event[Any]], timeout_s: float = 15.0
) -> Event[Any]:
    """Publish once NATS accepts it again (after a restart); the same event on every try."""
    event = make()
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await publish(bus, event, timeout_s=1.0)
            return event
        except (HicapError, NatsError):  # reconnecting, or JetStream not back yet
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


# --- hicap events tail -----------------------------------------------------------------


async def test_tail_from_start_prints_a_published_event_as_one_json_line(
    nats_server: NatsServer, bus: Bus, org_id: str
) -> None:
    event, published = await org_created(bus, org_id, name="Acme Robotics")

    async with tailing(nats_server.url, from_start=True) as tail:
        [line] = await assert_eventually(lambda: tail.events_of(org_id))

    assert line == {
        "event_id": event.event_id,
        "type": "hicap.events.v1.OrgCreated",
        "subject": ORG_CREATED,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "org_id": org_id,
        "traceparent": "",
        "payload": {"org_id": org_id, "name": "Acme Robotics"},
        "stream": "AUTH",
        "seq": published.seq,
    }
    # Nothing but JSON lines, one per event, in the output.
    assert all(isinstance(line, dict) for line in tail.lines())


async def test_tail_with_subject_prints_only_matching_events(
    nats_server: NatsServer, bus: Bus, org_id: str
) -> None:
    await publish(bus, key_issued(org_id))  # earlier in AUTH than the match below
    await org_created(bus, org_id)

    async with tailing(
        nats_server.url, from_start=True, subject="hicap.auth.org_created.*"
    ) as tail:
        await assert_eventually(lambda: tail.events_of(org_id))

    assert {line["subject"] for line in tail.lines()} == {ORG_CREATED}
    assert [line["type"] for line in tail.events_of(org_id)] == ["hicap.events.v1.OrgCreated"]


async def test_tail_by_default_prints_only_events_published_after_it_started(
    nats_server: NatsServer, bus: Bus, org_id: str
) -> None:
    await org_created(bus, org_id, name="old")

    async with tailing(nats_server.url, subject=ORG_CREATED, max_events=1) as tail:
        await org_created(bus, org_id, name="new")
        printed = await asyncio.wait_for(tail.task, 10)

    assert printed == 1
    assert [line["payload"]["name"] for line in tail.events_of(org_id)] == ["new"]


async def test_tail_since_prints_events_from_that_time_on(
    nats_server: NatsServer, bus: Bus, org_id: str
) -> None:
    await org_created(bus, org_id, name="before")
    await asyncio.sleep(0.5)  # makes "before" half a second older than the start below
    start = datetime.now(UTC) - timedelta(seconds=0.2)
    await org_created(bus, org_id, name="after")

    async with tailing(
        nats_server.url, subject=ORG_CREATED, since=datetime.now(UTC) - start
    ) as tail:
        await assert_eventually(lambda: tail.events_of(org_id))
    async with tailing(nats_server.url, subject=ORG_CREATED, since=timedelta(hours=1)) as hour:
        await assert_eventually(lambda: len(hour.events_of(org_id)) == 2)

    assert [line["payload"]["name"] for line in tail.events_of(org_id)] == ["after"]
    assert [line["payload"]["name"] for line in hour.events_of(org_id)] == ["before", "after"]


async def test_tail_prints_an_undecodable_message_as_an_error_line_and_keeps_going(
    nats_server: NatsServer, bus: Bus, org_id: str
) -> None:
    garbage_subject = f"hicap.auth.garbage_{uuid.uuid4().hex}.v1"
    ack = await bus.js.publish(garbage_subject, b"\xff\xfe not an envelope", stream="AUTH")
    await org_created(bus, org_id)

    async with tailing(nats_server.url, from_start=True, stream="auth") as tail:
        await assert_eventually(lambda: tail.events_of(org_id))

    lines = tail.lines()
    [error] = [line for line in lines if line.get("subject") == garbage_subject]
    assert error["stream"] == "AUTH"
    assert error["seq"] == ack.seq
    assert error["error"].startswith("undecodable event")
    assert lines.index(error) < lines.index(tail.events_of(org_id)[0])


@pytest.mark.parametrize("start", ["new", "since"])
async def test_tail_follows_across_a_nats_restart_without_printing_an_event_twice(
    nats_server_factory: Callable[..., NatsServer], org_id: str, start: str
) -> None:
    server = nats_server_factory()
    publisher = await connect(server.url, name="test-publisher")
    await ensure_streams(publisher)
    try:
        await org_created(publisher, org_id, name="old")
        since = timedelta(hours=1) if start == "since" else None
        async with tailing(server.url, subject=ORG_CREATED, since=since) as tail:
            if start == "since":
                await assert_eventually(lambda: tail.events_of(org_id))
            await asyncio.to_thread(server.restart)
            await publish_when_back(
                publisher,
                lambda: new_event(auth_pb2.OrgCreated(org_id=org_id, name="new"), org_id=org_id),
            )
            await assert_eventually(
                lambda: "new" in [e["payload"]["name"] for e in tail.events_of(org_id)],
                timeout=20,
            )
    finally:
        await publisher.close()

    expected = ["old", "new"] if start == "since" else ["new"]
    assert [line["payload"]["name"] for line in tail.events_of(org_id)] == expected


# --- hicap status ----------------------------------------------------------------------


async def test_status_reports_nats_ready_with_its_version_and_temporal_unreachable(
    nats_server: NatsServer,
) -> None:
    info = platform(nats_server.url, nats_server.monitor_url)

    rows = await gather_status(info, wait_s=0.2)

    nats = row(rows, "nats")
    assert nats.healthy and nats.status == "ready"
    assert nats.version.count(".") == 2 and nats.version[0].isdigit()
    assert nats.uptime_s is not None and nats.uptime_s >= 0
    assert nats.detail == ""
    temporal = row(rows, "temporal")
    assert not temporal.healthy and temporal.status == "unreachable"
    assert info.temporal_address in temporal.detail
    assert status_exit_code(rows) == 1
    assert "unreachable" in rendered(rows)


async def test_status_reports_a_running_service_ready_with_its_projection_lag(
    nats_server: NatsServer, auth_service: ServiceProcess
) -> None:
    info = platform(nats_server.url, nats_server.monitor_url, auth_service.component)

    async def auth_is_ready() -> list[ComponentStatus]:
        rows = await gather_status(info, wait_s=0.3)
        auth = row(rows, "auth", pid=auth_service.process.pid)
        assert auth.healthy, auth
        return rows

    rows = await assert_eventually(auth_is_ready, timeout=20)

    auth = row(rows, "auth", pid=auth_service.process.pid)
    assert auth.status == "ready"
    assert auth.lag == "AUTH 0 behind"
    assert auth.version
    assert auth.uptime_s is not None and 0 <= auth.uptime_s < 60
    assert auth.url.startswith("http://127.0.0.1:")  # its /metrics
    table = rendered(rows)
    assert "AUTH 0 behind" in table and str(auth_service.process.pid) in table


async def test_status_says_no_answer_for_a_service_that_is_not_running(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    gone = Component("metering", dead_pid(), str(tmp_path / "metering.log"))
    info = platform(nats_server.url, nats_server.monitor_url, gone)

    rows = await gather_status(info, wait_s=0.2)

    metering = row(rows, "metering")
    assert (metering.healthy, metering.status) == (False, "no answer")
    assert f"pid {gone.pid} is not running" in metering.detail
    assert gone.log_file in metering.detail
    assert status_exit_code(rows) == 1
    assert "no answer" in rendered(rows)


async def test_status_without_nats_marks_nats_unreachable_and_services_unknown(
    tmp_path: Path,
) -> None:
    nowhere = f"nats://127.0.0.1:{free_port()}"
    info = platform(nowhere, "", Component("auth", dead_pid(), str(tmp_path / "auth.log")))

    rows = await gather_status(info, wait_s=0.2, connect_timeout_s=0.5)

    nats = row(rows, "nats")
    assert (nats.healthy, nats.status) == (False, "unreachable")
    assert nowhere in nats.detail
    auth = row(rows, "auth")
    assert (auth.healthy, auth.status) == (False, "unknown")
    assert [r.name for r in rows] == ["nats", "temporal", "auth"]
    assert status_exit_code(rows) == 1
    assert "unknown" in rendered(rows)


async def test_tail_without_nats_fails_fast_naming_the_url() -> None:
    nowhere = f"nats://127.0.0.1:{free_port()}"

    with pytest.raises(BusUnavailable, match=nowhere):
        await asyncio.wait_for(
            tail_events(
                nowhere,
                stream=None,
                subject=None,
                from_start=False,
                since=None,
                out=StringIO(),
                connect_timeout_s=0.5,
            ),
            5,
        )
