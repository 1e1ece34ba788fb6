"""Publishing events to JetStream: `Nats-Msg-Id` is the event id, and the ack is awaited.

A retried publish of the same event (same `event_id`) inside the duplicate window is
stored once; the ack says whether it was a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import NoStreamResponseError

from hicap.bus.connection import Bus
from hicap.bus.errors import BusTimeout, BusUnavailable
from hicap.events import Event, encode
from hicap.telemetry import inject_headers


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


async def publish(bus: Bus, event: Event[Any], *, timeout_s: float = 5.0) -> Published:
    """Append an event to its stream and wait for the stream's ack."""
    spec = event.spec
    if spec.stream is None:
        await bus.nc.publish(spec.subject, encode(event), headers=event_headers(event))
        return Published(stream="", seq=0, duplicate=False)
    try:
        ack = await bus.js.publish(
            spec.subject,
            encode(event),
            timeout=timeout_s,
            stream=spec.stream.value,
            headers=event_headers(event),
        )
    except (NoStreamResponseError, NoRespondersError) as exc:
        raise BusUnavailable(f"stream {spec.stream} did not answer ({exc})") from exc
    except NatsTimeout as exc:
        raise BusTimeout(f"no ack from stream {spec.stream} within {timeout_s:g}s") from exc
    return Published(stream=ack.stream, seq=int(ack.seq), duplicate=bool(ack.duplicate))
