"""The one table of events: payload message -> subject -> stream, and the streams themselves.

Everything that needs to know where an event goes (the bus when publishing, `hicap events
tail` when decoding, the capture test for `hicap.egress.>`) reads it here. Imports only
the generated messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from google.protobuf.message import Message

from hicap.events.v1 import auth_pb2, capacity_pb2, catalog_pb2, health_pb2, usage_pb2

EGRESS_SUBJECT_PREFIX = "hicap.egress"
"""Hot-path request subjects (`hicap.egress.<provider>`). Prompts and provider keys travel
there, so no JetStream stream may ever capture them."""

HEALTH_REPORT_SUBJECT = "hicap.health.reported.v1"
HEALTH_QUERY_SUBJECT = "hicap.health.query"
COMMAND_SUBJECT_PREFIX = "hicap.cmd"


class Stream(StrEnum):
    AUTH = "AUTH"
    CAPACITY = "CAPACITY"
    USAGE = "USAGE"
    SPOT = "SPOT"
    BILLING = "BILLING"
    POLICY = "POLICY"

    @property
    def subjects(self) -> tuple[str, ...]:
        """The subjects the stream captures: everything of its domain, `hicap.<domain>.>`."""
        return (f"hicap.{self.value.lower()}.>",)


@dataclass(frozen=True, slots=True)
class EventSpec:
    message: type[Message]
    subject: str
    stream: Stream | None  # None: core NATS only, never stored

    @property
    def type_name(self) -> str:
        return str(self.message.DESCRIPTOR.full_name)


CATALOG: tuple[EventSpec, ...] = (
    EventSpec(auth_pb2.OrgCreated, "hicap.auth.org_created.v1", Stream.AUTH),
    EventSpec(auth_pb2.TeamCreated, "hicap.auth.team_created.v1", Stream.AUTH),
    EventSpec(auth_pb2.AppCreated, "hicap.auth.app_created.v1", Stream.AUTH),
    EventSpec(auth_pb2.KeyIssued, "hicap.auth.key_issued.v1", Stream.AUTH),
    EventSpec(auth_pb2.KeyRevoked, "hicap.auth.key_revoked.v1", Stream.AUTH),
    EventSpec(auth_pb2.KeyRestricted, "hicap.auth.key_restricted.v1", Stream.AUTH),
    EventSpec(catalog_pb2.ModelPublished, "hicap.capacity.model_published.v1", Stream.CAPACITY),
    EventSpec(catalog_pb2.ModelWithdrawn, "hicap.capacity.model_withdrawn.v1", Stream.CAPACITY),
    EventSpec(
        catalog_pb2.DeploymentDeclared, "hicap.capacity.deployment_declared.v1", Stream.CAPACITY
    ),
    EventSpec(
        capacity_pb2.ReservationRequested,
        "hicap.capacity.reservation_requested.v1",
        Stream.CAPACITY,
    ),
    EventSpec(
        capacity_pb2.ReservationActivated,
        "hicap.capacity.reservation_activated.v1",
        Stream.CAPACITY,
    ),
    EventSpec(
        capacity_pb2.ReservationRenewed, "hicap.capacity.reservation_renewed.v1", Stream.CAPACITY
    ),
    EventSpec(
        capacity_pb2.ReservationScaled, "hicap.capacity.reservation_scaled.v1", Stream.CAPACITY
    ),
    EventSpec(
        capacity_pb2.ReservationUpdated, "hicap.capacity.reservation_updated.v1", Stream.CAPACITY
    ),
    EventSpec(
        capacity_pb2.ReservationCancelRequested,
        "hicap.capacity.reservation_cancel_requested.v1",
        Stream.CAPACITY,
    ),
    EventSpec(
        capacity_pb2.ReservationCancelled,
        "hicap.capacity.reservation_cancelled.v1",
        Stream.CAPACITY,
    ),
    EventSpec(
        capacity_pb2.ReservationExpired, "hicap.capacity.reservation_expired.v1", Stream.CAPACITY
    ),
    EventSpec(usage_pb2.UsageRecorded, "hicap.usage.recorded.v1", Stream.USAGE),
    EventSpec(usage_pb2.UsageRecordedBatch, "hicap.usage.recorded_batch.v1", Stream.USAGE),
    EventSpec(usage_pb2.UsageDeleted, "hicap.usage.deleted.v1", Stream.USAGE),
    EventSpec(health_pb2.ServiceHealth, HEALTH_REPORT_SUBJECT, None),
)

_BY_TYPE: dict[str, EventSpec] = {spec.type_name: spec for spec in CATALOG}
_BY_MESSAGE: dict[type[Message], EventSpec] = {spec.message: spec for spec in CATALOG}


class UnknownEventType(LookupError):
    """An event type that is not in the catalogue (a newer producer, or a typo)."""


def spec_for_type(type_name: str) -> EventSpec:
    try:
        return _BY_TYPE[type_name]
    except KeyError:
        raise UnknownEventType(type_name) from None


def spec_for_message(message: Message | type[Message]) -> EventSpec:
    cls = message if isinstance(message, type) else type(message)
    try:
        return _BY_MESSAGE[cls]
    except KeyError:
        raise UnknownEventType(cls.DESCRIPTOR.full_name) from None


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: `*` is one token, `>` one or more trailing tokens."""
    pat, sub = pattern.split("."), subject.split(".")
    for i, token in enumerate(pat):
        if token == ">":
            return len(sub) > i
        if i >= len(sub) or (token != "*" and token != sub[i]):
            return False
    return len(pat) == len(sub)


def subjects_overlap(a: str, b: str) -> bool:
    """Whether some concrete subject matches both patterns."""
    ta, tb = a.split("."), b.split(".")
    for i in range(max(len(ta), len(tb))):
        x = ta[i] if i < len(ta) else None
        y = tb[i] if i < len(tb) else None
        if x == ">" or y == ">":
            return x is not None and y is not None
        if x is None or y is None:
            return False
        if x != "*" and y != "*" and x != y:
            return False
    return True
