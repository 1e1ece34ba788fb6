"""The catalogue command: `publish_model` -> validate -> append ModelPublished -> reply.

Commands are handled one at a time (an asyncio.Lock) and each answers only once its event
is stored and folded into this process's catalogue projection, so a caller that publishes
and then reads sees its model, and the next command decides against it. Capacity-scheduler
therefore answers catalogue commands from ONE replica, as auth does. Imports no nats.
"""

from __future__ import annotations

import asyncio

from hicap.bus import Bus, ProjectionRunner, append, caught_up
from hicap.capacity_scheduler.domain import decide_publish
from hicap.catalog import Catalog, model_from_event
from hicap.events import Clock, IdFactory, new_event, utc_now, uuid7
from hicap.events.v1 import capacity_commands_pb2 as cmd

__all__ = ["CatalogHandlers"]


class CatalogHandlers:
    def __init__(
        self,
        bus: Bus,
        runner: ProjectionRunner[Catalog],
        *,
        ids: IdFactory = uuid7,
        clock: Clock = utc_now,
    ) -> None:
        self.bus, self.runner, self.ids, self.clock = bus, runner, ids, clock
        self._lock = asyncio.Lock()

    @property
    def catalog(self) -> Catalog:
        return self.runner.projection.state

    async def publish_model(self, req: cmd.PublishModel) -> cmd.PublishModelReply:
        async with self._lock:
            await caught_up(self.runner)
            payload = decide_publish(self.catalog, model_from_event(req.model))
            event = new_event(payload, clock=self.clock, ids=self.ids)
            await append(self.bus, self.runner, [event])
        return cmd.PublishModelReply(model=payload.model)
