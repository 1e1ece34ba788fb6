"""A command handler's writes: decide against a caught-up projection, append the events,
answer once they are folded back in.

The owning service (auth, capacity-scheduler) answers a command only after its own
projection has applied the events it appended, so a caller that writes and then reads sees
its write, and the next command decides against it. A projection that is still replaying,
or an event stored but not applied in time, is `Unavailable` (retryable): the command
may be sent again. Imports the bus's publish and projection modules and hicap.errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hicap.bus.connection import Bus
from hicap.bus.projection import ProjectionRunner
from hicap.bus.publish import publish
from hicap.errors import Unavailable
from hicap.events import Event

__all__ = ["APPLY_TIMEOUT_S", "append", "caught_up"]

APPLY_TIMEOUT_S = 5.0


async def caught_up(runner: ProjectionRunner[Any], *, timeout_s: float = APPLY_TIMEOUT_S) -> None:
    """Until the projection has replayed its stream; Unavailable if not within `timeout_s`."""
    try:
        await runner.wait_caught_up(timeout_s)
    except TimeoutError:
        stream = runner.projection.stream
        raise Unavailable(f"the {stream} projection is still replaying; retry") from None


async def append(
    bus: Bus,
    runner: ProjectionRunner[Any],
    events: Iterable[Event[Any]],
    *,
    timeout_s: float = APPLY_TIMEOUT_S,
) -> int:
    """Publish `events` in order, then wait until `runner` has folded in the last one stored.

    Even when a later publish fails, it waits for those that were stored: the next command
    must decide against them. Returns the stream sequence of the last event.
    """
    last_seq = 0
    try:
        for event in events:
            last_seq = (await publish(bus, event)).seq
    finally:
        try:
            await runner.wait_applied(last_seq, timeout_s)
        except TimeoutError:
            raise Unavailable(
                f"event {last_seq} was stored but not yet applied; retry to see it"
            ) from None
    return last_seq
