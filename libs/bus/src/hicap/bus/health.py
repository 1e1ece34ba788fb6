"""Service health on core NATS: each service reports itself every few seconds and answers
`hicap.health.query`; `hicap up` and `hicap status` gather the answers.

Health is working state, not a business fact: it is never stored in a stream.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from hicap.bus.connection import Bus
from hicap.events import HEALTH_QUERY_SUBJECT, HEALTH_REPORT_SUBJECT, health_pb2

HealthSource = Callable[[], Awaitable[health_pb2.ServiceHealth]]


class HealthReporter:
    """Publishes the service's health periodically and answers queries for it."""

    def __init__(self, bus: Bus, source: HealthSource, *, interval_s: float) -> None:
        self.bus, self.source, self.interval_s = bus, source, interval_s
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> HealthReporter:
        self._sub = await self.bus.nc.subscribe(HEALTH_QUERY_SUBJECT, cb=self._answer)
        self._task = asyncio.create_task(self._loop(), name="health-reporter")
        return self

    async def _answer(self, msg: Msg) -> None:
        if msg.reply:
            await msg.respond((await self.source()).SerializeToString())

    async def report_now(self) -> None:
        if self.bus.nc.is_connected:
            await self.bus.nc.publish(
                HEALTH_REPORT_SUBJECT, (await self.source()).SerializeToString()
            )

    async def _loop(self) -> None:
        while True:
            await self.report_now()
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._sub is not None:
            await self._sub.unsubscribe()


async def query_health(bus: Bus, *, wait_s: float = 0.5) -> list[health_pb2.ServiceHealth]:
    """Ask every running service for its health; gather what answers within `wait_s`."""
    inbox = bus.nc.new_inbox()
    replies: list[health_pb2.ServiceHealth] = []

    async def collect(msg: Msg) -> None:
        if (msg.headers or {}).get("Status"):
            return  # "no responders": nothing is running yet
        report = health_pb2.ServiceHealth()
        report.ParseFromString(msg.data)
        replies.append(report)

    sub = await bus.nc.subscribe(inbox, cb=collect)
    try:
        await bus.nc.publish(HEALTH_QUERY_SUBJECT, b"", reply=inbox)
        await asyncio.sleep(wait_s)
    finally:
        await sub.unsubscribe()
    return sorted(replies, key=lambda r: (r.service, r.instance_id))


def base_health(
    service: str, *, instance_id: str, version: str, started_at: datetime
) -> health_pb2.ServiceHealth:
    report = health_pb2.ServiceHealth(
        service=service, instance_id=instance_id, version=version, pid=os.getpid()
    )
    report.started_at.FromDatetime(started_at)
    report.reported_at.FromDatetime(datetime.now(UTC))
    return report
