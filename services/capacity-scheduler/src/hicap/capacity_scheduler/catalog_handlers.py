"""The catalogue command: `publish_model` -> validate -> append ModelPublished -> reply.

Commands are handled one at a time (an asyncio.Lock) and each answers only once its event
is stored and folded into this process's catalogue projection, so a caller that publishes
and then reads sees its model, and the next command decides against it. Capacity-scheduler
therefore answers catalogue commands from ONE replica, as auth does. Imports no nats.
"""

from __future__ import annotations

import asyncio

from hicap.bus import Bus, ProjectionRunner, publish
from hicap.capacity_scheduler.domain import decide_publish
from hicap.catalog import Catalog, model_from_event
from hicap.errors import Unavailable
from hicap.events import Clock, IdFactory, new_event, utc_now, uuid7
from hicap.events.v1 import capacity_commands_pb2 as cmd

__all__ = ["APPLY_TIMEOUT_S", "CatalogHandlers"]

APPLY_TIMEOUT_S = 5.0


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
            await self._caught_up()
            payload = decide_publish(self.catalog, model_from_event(req.model))
            event = new_event(payload, clock=self.clock, ids=self.ids)
            published = await publish(self.bus, event)
            await self._wait_applied(published.seq)
        return cmd.PublishModelReply(model=payload.model)

    async def _wait_applied(self, seq: int) -> None:
        try:
            await self.runner.wait_applied(seq, APPLY_TIMEOUT_S)
        except TimeoutError:
            raise Unavailable(
                f"event {seq} was stored but not yet applied; retry to see it"
            ) from None

    async def _caught_up(self) -> None:
        try:
            await self.runner.wait_caught_up(APPLY_TIMEOUT_S)
        except TimeoutError:
            raise Unavailable(
                "capacity-scheduler is still replaying the catalogue; retry"
            ) from None
