"""A reservation whose workflow did not start when it was created (Temporal down) is
started by the service's periodic retry, and only reservations still `requested` are."""

from __future__ import annotations

import asyncio

from hicap.capacity_scheduler.app import start_stranded
from hicap.capacity_scheduler.lifecycle import decide_activate
from hicap.errors import Unavailable
from tests.unit.capacity_scheduler.scenario import T0, apply, created, state


async def test_a_stranded_reservation_is_started_once_temporal_answers_again() -> None:
    s = created(state(1_000, 500), "stranded", "org-a", 100)
    s = created(s, "running", "org-b", 100)
    s = apply(s, decide_activate(s.reservations.by_id["running"], start=T0, period_s=100))
    attempts: list[str] = []
    started = asyncio.Event()

    async def start(reservation_id: str) -> None:
        attempts.append(reservation_id)
        if len(attempts) < 3:
            raise Unavailable("cannot reach Temporal")
        started.set()

    task = asyncio.create_task(start_stranded(lambda: s.reservations, start, 0.01))
    try:
        await asyncio.wait_for(started.wait(), 5)
    finally:
        task.cancel()
    assert set(attempts) == {"stranded"}  # the active one already has its workflow
    assert len(attempts) >= 3  # refused twice, retried until it started
