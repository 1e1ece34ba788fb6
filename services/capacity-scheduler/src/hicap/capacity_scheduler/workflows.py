"""ReservationWorkflow: one per reservation (id `reservation-<reservation id>`, task queue
"capacity-scheduler"), from activation to its end.

It activates the reservation (period 1 starts at the workflow's time), then sleeps until
each period's end and asks the `end_period` activity what happens: Renewed (the loop goes
on), Cancelled or Expired (the workflow ends). Scale, settings and cancel arrive as
validated workflow *updates*, each run by its activity after activation; a refused change
fails the update with the error the caller sees (an ApplicationError typed by the error
code). The workflow decides nothing about capacity itself: the activities decide against
the projection, so its state is only where to sleep until. To bound its history it
continues as new every `continue_as_new_after` periods (50 unless the input says
otherwise); the new run's `activate` finds the reservation active and returns where it
is. Deterministic: imports only temporalio and the activities' dataclasses (passed
through the sandbox).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from hicap.capacity_scheduler.activities import (
        Activate,
        Cancel,
        EndPeriod,
        ReservationActivities,
        Scale,
        Standing,
        Update,
    )

__all__ = ["CONTINUE_AS_NEW_AFTER", "ReservationInput", "ReservationWorkflow", "workflow_id"]

CONTINUE_AS_NEW_AFTER = 50
LIVE = frozenset({"requested", "active", "cancelling"})
RETRY = RetryPolicy(initial_interval=timedelta(seconds=0.5), maximum_interval=timedelta(seconds=10))

T = TypeVar("T")


def workflow_id(reservation_id: str) -> str:
    return f"reservation-{reservation_id}"


@dataclass(frozen=True)
class ReservationInput:
    reservation_id: str
    period_s: float
    activity_timeout_s: float = 10.0  # one attempt; a worker killed mid-activity costs this
    continue_as_new_after: int = CONTINUE_AS_NEW_AFTER  # periods per run


@workflow.defn(name="ReservationWorkflow")
class ReservationWorkflow:
    @workflow.init
    def __init__(self, inp: ReservationInput) -> None:
        self._inp = inp
        self._standing: Standing | None = None

    @workflow.run
    async def run(self, inp: ReservationInput) -> str:
        start = workflow.now().timestamp()
        standing = await self._act(
            ReservationActivities.activate, Activate(inp.reservation_id, start, inp.period_s)
        )
        self._standing = standing
        for _ in range(inp.continue_as_new_after):
            if standing.status not in LIVE:
                break
            wait_s = standing.period_end_s - workflow.now().timestamp()
            if wait_s > 0:
                await workflow.sleep(wait_s)
            standing = await self._act(
                ReservationActivities.end_period,
                EndPeriod(inp.reservation_id, standing.period, inp.period_s),
            )
            self._standing = standing
        await workflow.wait_condition(workflow.all_handlers_finished)
        if standing.status in LIVE:
            workflow.continue_as_new(inp)
        return standing.status

    @workflow.update(name="scale")
    async def scale(self, req: Scale) -> Standing:
        return await self._change(ReservationActivities.scale, req)

    @scale.validator
    def _check_scale(self, req: Scale) -> None:
        self._check_live()
        if req.tpm <= 0:
            raise ApplicationError("tpm: must be positive", type="invalid_request")

    @workflow.update(name="update")
    async def update(self, req: Update) -> Standing:
        return await self._change(ReservationActivities.update, req)

    @update.validator
    def _check_update(self, req: Update) -> None:
        self._check_live()
        if req.overflow is None and req.auto_renew is None:
            raise ApplicationError("nothing to change", type="invalid_request")

    @workflow.update(name="cancel")
    async def cancel(self, req: Cancel) -> Standing:
        return await self._change(ReservationActivities.cancel, req)

    @cancel.validator
    def _check_cancel(self, req: Cancel) -> None:
        self._check_live()

    @workflow.query(name="standing")
    def standing(self) -> Standing | None:
        return self._standing

    def _check_live(self) -> None:
        if self._standing is not None and self._standing.status not in LIVE:
            raise ApplicationError(f"the reservation has {self._standing.status}", type="conflict")

    async def _change(self, activity: Callable[[Any, T], Awaitable[Standing]], req: T) -> Standing:
        await workflow.wait_condition(lambda: self._standing is not None)
        return await self._act(activity, req)

    async def _act(self, activity: Callable[[Any, T], Awaitable[Standing]], req: T) -> Standing:
        return await workflow.execute_activity_method(
            activity,
            req,
            start_to_close_timeout=timedelta(seconds=self._inp.activity_timeout_s),
            retry_policy=RETRY,
        )
