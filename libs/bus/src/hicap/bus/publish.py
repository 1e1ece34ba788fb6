"""Publishing events to JetStream: `Nats-Msg-Id` is the event id, and the ack is awaited.

A retried publish of the same event (same `event_id`) inside the duplicate window is
stored once; the ack says whether it was a duplicate. Whatever goes wrong comes out as a
bus error (BusTimeout, BusUnavailable), never as a nats-py exception: a service cannot
catch those, since it may not import nats-py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from nats.errors import (
    ConnectionClosedError,
    ConnectionDrainingError,
    ConnectionReconnectingError,
    NoRespondersError,
    OutboundBufferLimitError,
)
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import NoStreamResponseError

from hicap.bus.connection import Bus
from hicap.bus.errors import BusTimeout, BusUnavailable
from hicap.events import Event, encode
from hicap.telemetry import inject_headers

ATTEMPT_TIMEOUT_S = 2.0
# Worth another try within the deadline: the client is (re)connecting or its buffer is full.
_TRANSIENT = (
    NoStreamResponseError,
    NoRespondersError,
    NatsTimeout,
    ConnectionReconnectingError,
    OutboundBufferLimitError,
)


@dataclass(frozen=True, slots=True)
class Published:
    stream: str
    seq: int
    duplicate: bool


def event_headers(event: Event[Any]) -> dict[str, str]:
    headers = {"Nats-Msg-Id": event.event_id, "Hicap-Type": event.type}
    if event.traceparent:
        headers["traceparent"] = event.traceparent
    return inject_headers(headers) if not event.traceparent else headers


async def publish(bus: Bus, event: Event[Any], *, timeout_s: float = 10.0) -> Published:
    """Append an event to its stream and wait for the stream's ack.

    A lost request or ack (NATS restarting, JetStream recovering) is retried with the same
    `Nats-Msg-Id` until `timeout_s`: the stream stores the event once whatever happens.
    """
    spec = event.spec
    data, headers = encode(event), event_headers(event)
    if spec.stream is None:
        await bus.nc.publish(spec.subject, data, headers=headers)
        return Published(stream="", seq=0, duplicate=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        attempt_s = min(ATTEMPT_TIMEOUT_S, max(deadline - loop.time(), 0.05))
        try:
            ack = await bus.js.publish(
                spec.subject, data, timeout=attempt_s, stream=spec.stream.value, headers=headers
            )
            return Published(stream=ack.stream, seq=int(ack.seq), duplicate=bool(ack.duplicate))
        except (ConnectionClosedError, ConnectionDrainingError) as exc:
            raise BusUnavailable(f"the NATS connection is closed; cannot publish ({exc})") from exc
        except _TRANSIENT as exc:
            if loop.time() >= deadline:
                if isinstance(exc, NatsTimeout):
                    raise BusTimeout(
                        f"no ack from stream {spec.stream} within {timeout_s:g}s"
                    ) from exc
                raise BusUnavailable(f"stream {spec.stream} did not answer ({exc})") from exc
            await asyncio.sleep(0.1)
