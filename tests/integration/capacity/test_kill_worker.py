"""Killing capacity-scheduler mid-workflow: run as its own process with the failpoint
`after_append:<activity>` (it exits with 137 right after that activity's event is stored,
before the activity returns), restarted without it, a reservation still goes through its
whole life (activate, renew, scale up, settings, cancel, cancelled) with each event on
CAPACITY exactly once. One activity per test; the period is 2 s."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from hicap.bus import Bus, BusTimeout, BusUnavailable
from hicap.errors import Unavailable
from hicap.events.v1 import capacity_commands_pb2 as cmd
from tests.asserts import assert_eventually
from tests.fixtures.servers import NatsServer
from tests.integration.capacity.helpers import call, counts, events_of, new_reserved_model

if TYPE_CHECKING:
    from tests.fixtures.temporal import TemporalServer

PERIOD_S = 2.0
T = TypeVar("T")
ACTIVITIES = ("activate", "end_period", "scale", "update", "cancel")


class Scheduler:
    """`python -m hicap.capacity_scheduler`, restarted without the failpoint when it dies."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc = self._spawn(env)
        self.restarts = 0

    def _spawn(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "hicap.capacity_scheduler"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def revive(self) -> None:
        if self.proc.poll() is None:
            return
        assert self.proc.returncode == 137, self.log.read_text()[-3000:]
        self.restarts += 1
        self.proc = self._spawn({k: v for k, v in self.env.items() if k != "HICAP_FAILPOINT"})

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    async def until_answered(self, send: Callable[[], Awaitable[T]], timeout_s: float = 60) -> T:
        """`send()` again (the same command: same change id) until the scheduler answers; a
        command the process died on is sent again at once to the restarted one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            self.revive()
            try:
                return await self._unless_it_dies(send)
            except (BusTimeout, BusUnavailable, Unavailable):
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def _unless_it_dies(self, send: Callable[[], Awaitable[T]]) -> T:
        task = asyncio.ensure_future(send())
        while not task.done():
            if self.proc.poll() is not None:
                task.cancel()
                raise BusUnavailable("the scheduler died while answering")
            await asyncio.wait([task], timeout=0.1)
        return task.result()


@pytest.fixture
def scheduler_env(
    nats_server: NatsServer, temporal_server: TemporalServer, tmp_path: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "HICAP_NATS_URL": nats_server.url,
        "HICAP_TEMPORAL_ADDRESS": temporal_server.target,
        "HICAP_TEMPORAL_NAMESPACE": temporal_server.namespace,
        "HICAP_RESERVATION_PERIOD_S": str(PERIOD_S),
        "HICAP_DATA_DIR": str(tmp_path / "data"),
        "HICAP_HEALTH_INTERVAL_S": "1",
    }


@pytest.fixture(params=ACTIVITIES)
def scheduler(
    request: pytest.FixtureRequest, scheduler_env: dict[str, str], tmp_path: Path
) -> Iterator[Scheduler]:
    env = {**scheduler_env, "HICAP_FAILPOINT": f"after_append:{request.param}"}
    running = Scheduler(env, tmp_path / "scheduler.log")
    yield running
    running.stop()


async def test_killed_at_an_activity_the_lifecycle_completes_with_each_event_once(
    bus: Bus, scheduler: Scheduler, org_id: str
) -> None:
    s = scheduler
    model = await s.until_answered(lambda: new_reserved_model(bus, 1_000))
    create = cmd.CreateReservation(org_id=org_id, model=model, tpm=300, months=1, auto_renew=True)
    rid = (
        await s.until_answered(
            lambda: call(bus, "create_reservation", create, cmd.ReservationReply)
        )
    ).reservation.id

    async def view() -> cmd.ReservationView:
        get = cmd.GetReservation(org_id=org_id, reservation_id=rid)
        reply = await s.until_answered(
            lambda: call(bus, "get_reservation", get, cmd.ReservationReply)
        )
        return reply.reservation

    async def renewed() -> None:
        assert (await view()).period >= 2

    await assert_eventually(renewed, timeout=60)
    change = str(uuid.uuid4())
    up = cmd.UpdateReservation(org_id=org_id, reservation_id=rid, tpm=600, change_id=change)
    await s.until_answered(lambda: call(bus, "update_reservation", up, cmd.ReservationReply))
    settings = cmd.UpdateReservation(
        org_id=org_id, reservation_id=rid, overflow=False, change_id=f"{change}-2"
    )
    await s.until_answered(lambda: call(bus, "update_reservation", settings, cmd.ReservationReply))
    current = await view()
    assert (current.tpm, current.overflow) == (600, False)
    cancel = cmd.CancelReservation(org_id=org_id, reservation_id=rid)
    await s.until_answered(lambda: call(bus, "cancel_reservation", cancel, cmd.ReservationReply))

    async def cancelled() -> None:
        assert (await view()).status == "cancelled"

    await assert_eventually(cancelled, timeout=60)
    assert s.restarts == 1, "the failpoint never fired"
    seen = counts(await events_of(bus, rid))
    assert all(n == 1 for n in seen.values()), seen
    assert {k.split("/")[0] for k in seen} == {
        "ReservationRequested",
        "ReservationActivated",
        "ReservationRenewed",
        "ReservationScaled",
        "ReservationUpdated",
        "ReservationCancelRequested",
        "ReservationCancelled",
    }
