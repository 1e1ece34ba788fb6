"""The reservation workflows as the command handlers drive them, over a Temporal client:
start one (if it is not already running), and run its scale / update / cancel updates,
answering once the update has completed.

A failed update comes back as the `hicap.errors` error its activity or validator raised
(the ApplicationError's `type` is the error code); Temporal being unreachable is
Unavailable. Imports temporalio's client and hicap.errors; no nats.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from hicap.capacity_scheduler.activities import Cancel, Scale, Update
from hicap.capacity_scheduler.workflows import (
    CONTINUE_AS_NEW_AFTER,
    ReservationInput,
    ReservationWorkflow,
    workflow_id,
)
from hicap.errors import HicapError, Internal, Unavailable, error_from_code

__all__ = ["TemporalLifecycles"]


class TemporalLifecycles:
    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        period_s: float,
        activity_timeout_s: float,
        continue_as_new_after: int = CONTINUE_AS_NEW_AFTER,
    ) -> None:
        self.client, self.task_queue = client, task_queue
        self.input = partial(
            ReservationInput,
            period_s=period_s,
            activity_timeout_s=activity_timeout_s,
            continue_as_new_after=continue_as_new_after,
        )

    async def start(self, reservation_id: str) -> None:
        """Start the reservation's workflow unless it runs (or has completed) already."""
        inp = self.input(reservation_id)
        try:
            await self.client.start_workflow(
                ReservationWorkflow.run,
                inp,
                id=workflow_id(reservation_id),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
        except WorkflowAlreadyStartedError:
            return  # it ran to its end: nothing to start
        except RPCError as exc:
            raise Unavailable(f"cannot start the reservation's workflow: {exc.message}") from exc

    async def scale(self, reservation_id: str, change_id: str, tpm: int) -> None:
        await self._update(
            reservation_id, "scale", Scale(reservation_id, change_id, tpm), change_id
        )

    async def update(
        self, reservation_id: str, change_id: str, overflow: bool | None, auto_renew: bool | None
    ) -> None:
        req = Update(reservation_id, change_id, overflow, auto_renew)
        await self._update(reservation_id, "update", req, change_id)

    async def cancel(self, reservation_id: str) -> None:
        await self._update(reservation_id, "cancel", Cancel(reservation_id), "cancel")

    async def _update(self, reservation_id: str, name: str, arg: Any, update_id: str) -> None:
        await self.start(reservation_id)
        handle = self.client.get_workflow_handle(workflow_id(reservation_id))
        try:
            await handle.execute_update(name, arg, id=update_id)
        except WorkflowUpdateFailedError as exc:
            raise _as_hicap(exc.cause) from exc
        except RPCError as exc:
            raise Unavailable(f"the reservation's workflow did not answer: {exc.message}") from exc


def _as_hicap(cause: BaseException | None) -> HicapError:
    """The innermost ApplicationError of a failed update, as the error it was raised as."""
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type:
            return error_from_code(cause.type, cause.message)
        cause = cause.__cause__
    return Internal("the reservation change failed; see capacity-scheduler's log")
