"""Fixtures of the capacity tests: a capacity-scheduler in this process on the session's
bus and Temporal server, with its own task queue and a short reservation period."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from hicap.bus import Bus
from hicap.capacity_scheduler.app import SchedulerService, start_scheduler

if TYPE_CHECKING:
    from tests.fixtures.temporal import TemporalServer

PERIOD_S = 2.5


@pytest.fixture
async def scheduler(
    bus: Bus, temporal_server: TemporalServer, task_queue: str
) -> AsyncIterator[SchedulerService]:
    service = await start_scheduler(
        bus, temporal_server.client, period_s=PERIOD_S, task_queue=task_queue
    )
    yield service
    await service.stop()
