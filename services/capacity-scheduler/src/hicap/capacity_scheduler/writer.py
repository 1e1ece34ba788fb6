"""The one door through which capacity-scheduler changes capacity: decide against the
caught-up projection and append, under one asyncio.Lock.

Command handlers and the ReservationWorkflow's activities run in the same process and
both move capacity (create, scale, renew...), so they share this writer: each decision
sees every event appended before it, and answers only once its event is folded back in
(`hicap.bus.append`), so the next decision sees it too. Capacity-scheduler therefore
answers from ONE replica. Imports hicap.bus (never nats directly) and hicap.events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from google.protobuf.message import Message

from hicap.bus import Bus, ProjectionRunner, append, caught_up
from hicap.capacity_scheduler.projections import CapacityState
from hicap.events import Clock, IdFactory, new_event, utc_now, uuid7

__all__ = ["CapacityWriter"]

M = TypeVar("M", bound=Message)


class CapacityWriter:
    def __init__(
        self,
        bus: Bus,
        runner: ProjectionRunner[CapacityState],
        *,
        ids: IdFactory = uuid7,
        clock: Clock = utc_now,
    ) -> None:
        self.bus, self.runner, self.ids, self.clock = bus, runner, ids, clock
        self.lock = asyncio.Lock()

    @property
    def state(self) -> CapacityState:
        return self.runner.state

    async def read(self) -> CapacityState:
        """The state once the projection has replayed the stream (Unavailable if not yet)."""
        await caught_up(self.runner)
        return self.state

    async def write(
        self,
        decide: Callable[[CapacityState], M | None],
        *,
        org_id: str = "",
        event_id: Callable[[M], str] | None = None,
    ) -> M | None:
        """Append what `decide(state)` returns (nothing for None); the payload appended.

        The envelope's org is `org_id`, else the payload's own `org_id` field if it has one.
        """
        async with self.lock:
            payload = decide(await self.read())
            if payload is None:
                return None
            eid = event_id(payload) if event_id is not None else self.ids()
            org = org_id or str(getattr(payload, "org_id", ""))
            event = new_event(payload, org_id=org, clock=self.clock, ids=lambda: eid)
            await append(self.bus, self.runner, [event])
        return payload
