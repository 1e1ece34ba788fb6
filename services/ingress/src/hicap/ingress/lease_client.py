"""The background task that keeps this replica's leases of reserved TPM topped up.

It asks capacity-scheduler (`lease` command, through the `Lease` callable app.py builds)
for what `Admission.wants` says: when the request path signals a low balance
(`Admission.refill`, set without awaiting), every `interval_s` otherwise, right after a
window turns, and `prefetch_s` before it turns for the next window, so that the first
calls of a window find a balance and do not spill to on-demand. A failed round is logged
once per outage and retried at the next tick: without leases calls overflow to on-demand
(or are refused when the reservation allows no overflow), nothing else breaks. Imports
hicap.errors, the generated capacity commands and ingress's admission only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

from hicap.errors import HicapError
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.ingress.admission import Admission

__all__ = ["Lease", "LeaseClient"]

log = logging.getLogger(__name__)

Lease = Callable[[cmd.LeaseRequest], Awaitable[cmd.LeaseReply]]
MIN_GAP_S = 0.005  # between two rounds, however often the request path asks


class LeaseClient:
    def __init__(
        self,
        admission: Admission,
        lease: Lease,
        *,
        replica: str,
        interval_s: float,
        prefetch_s: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.admission, self.lease, self.replica = admission, lease, replica
        self.interval_s, self.clock = interval_s, clock
        window_s = admission.window_s
        self.prefetch_s = prefetch_s if prefetch_s is not None else min(interval_s, window_s / 4)
        self.horizon_s = 2 * interval_s
        self.rounds = 0
        self._failing = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> LeaseClient:
        self._task = asyncio.create_task(self._run(), name="lease-client")
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def round(self) -> None:
        """Ask for what admission wants now and apply the grants (one request)."""
        wants = self.admission.wants(
            self.clock(), horizon_s=self.horizon_s, prefetch_s=self.prefetch_s
        )
        if not wants:
            self.admission.round_done()
            return
        try:
            reply = await self.lease(cmd.LeaseRequest(replica=self.replica, wants=wants))
        except HicapError as err:
            self.admission.round_done()
            if not self._failing:
                self._failing = True
                log.warning("leasing reserved TPM failed (%s); calls overflow meanwhile", err.code)
            return
        if self._failing:
            self._failing = False
            log.info("leasing reserved TPM works again")
        self.admission.apply(reply.grants)
        self.rounds += 1

    async def _run(self) -> None:
        refill = self.admission.refill
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(refill.wait(), self._sleep_s())
            refill.clear()
            await self.round()
            await asyncio.sleep(self.interval_s if self._failing else MIN_GAP_S)

    def _sleep_s(self) -> float:
        """Until the next tick: the interval, the prefetch point or the window's turn."""
        now = self.clock()
        window_s = self.admission.window_s
        turn = (math.floor(now / window_s) + 1) * window_s
        wakes = [now + self.interval_s, turn + 0.001]
        if turn - self.prefetch_s > now:
            wakes.append(turn - self.prefetch_s)
        return max(min(wakes) - now, MIN_GAP_S)
