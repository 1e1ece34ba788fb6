"""The event envelope: what wraps every payload on the bus, and its (de)serialisation.

An `Event` is a frozen value: id, time, org, trace context and the payload message.
Encoding is the protobuf `Envelope`; decoding finds the payload class in the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from hicap.events.catalog import EventSpec, spec_for_message, spec_for_type
from hicap.events.ids import IdFactory, uuid7
from hicap.events.v1 import envelope_pb2

M = TypeVar("M", bound=Message)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class MalformedEvent(ValueError):
    """Bytes on the bus that are not an envelope of a known event."""


@dataclass(frozen=True, slots=True)
class Event(Generic[M]):
    payload: M
    event_id: str
    occurred_at: datetime
    org_id: str = ""
    traceparent: str = ""

    @property
    def spec(self) -> EventSpec:
        return spec_for_message(self.payload)

    @property
    def type(self) -> str:
        return str(self.payload.DESCRIPTOR.full_name)

    @property
    def subject(self) -> str:
        return self.spec.subject


def new_event(
    payload: M,
    *,
    org_id: str = "",
    traceparent: str = "",
    clock: Clock = utc_now,
    ids: IdFactory = uuid7,
) -> Event[M]:
    """Wrap a payload in a new envelope; the event's type must be in the catalogue."""
    spec_for_message(payload)
    return Event(payload, ids(), clock(), org_id, traceparent)


def encode(event: Event[Any]) -> bytes:
    env = envelope_pb2.Envelope(
        event_id=event.event_id,
        type=event.type,
        org_id=event.org_id,
        traceparent=event.traceparent,
        payload=event.payload.SerializeToString(),
    )
    env.occurred_at.FromDatetime(event.occurred_at)
    return env.SerializeToString()


def decode(data: bytes) -> Event[Message]:
    env = envelope_pb2.Envelope()
    try:
        env.ParseFromString(data)
        payload = spec_for_type(env.type).message()
        payload.ParseFromString(env.payload)
        occurred = env.occurred_at.ToDatetime(tzinfo=UTC)
    except (DecodeError, LookupError, ValueError, OverflowError) as exc:
        raise MalformedEvent(str(exc) or type(exc).__name__) from exc
    return Event(payload, env.event_id, occurred, env.org_id, env.traceparent)


def to_json_dict(event: Event[Any]) -> dict[str, object]:
    """The envelope and payload as plain JSON values (for `hicap events tail`)."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "subject": event.subject,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "org_id": event.org_id,
        "traceparent": event.traceparent,
        "payload": json_format.MessageToDict(
            event.payload,
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        ),
    }
