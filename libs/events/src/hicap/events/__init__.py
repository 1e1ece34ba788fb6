"""hicap.events: the event schemas (generated protobuf), the envelope, the event table.

Imports nothing of Hicap but itself; every service and lib may import it.
"""

from __future__ import annotations

from hicap.events.catalog import (
    CATALOG,
    COMMAND_SUBJECT_PREFIX,
    EGRESS_SUBJECT_PREFIX,
    HEALTH_QUERY_SUBJECT,
    HEALTH_REPORT_SUBJECT,
    EventSpec,
    Stream,
    UnknownEventType,
    spec_for_message,
    spec_for_type,
    subject_matches,
    subjects_overlap,
)
from hicap.events.envelope import (
    Clock,
    Event,
    MalformedEvent,
    decode,
    encode,
    new_event,
    to_json_dict,
    utc_now,
)
from hicap.events.ids import IdFactory, uuid7, uuid7_ms
from hicap.events.v1 import (
    auth_commands_pb2,
    auth_pb2,
    capacity_commands_pb2,
    capacity_pb2,
    catalog_pb2,
    command_pb2,
    egress_pb2,
    envelope_pb2,
    health_pb2,
    usage_pb2,
)

__all__ = [
    "CATALOG",
    "COMMAND_SUBJECT_PREFIX",
    "EGRESS_SUBJECT_PREFIX",
    "HEALTH_QUERY_SUBJECT",
    "HEALTH_REPORT_SUBJECT",
    "Clock",
    "Event",
    "EventSpec",
    "IdFactory",
    "MalformedEvent",
    "Stream",
    "UnknownEventType",
    "auth_commands_pb2",
    "auth_pb2",
    "capacity_commands_pb2",
    "capacity_pb2",
    "catalog_pb2",
    "command_pb2",
    "decode",
    "egress_pb2",
    "encode",
    "envelope_pb2",
    "health_pb2",
    "new_event",
    "spec_for_message",
    "spec_for_type",
    "subject_matches",
    "subjects_overlap",
    "to_json_dict",
    "usage_pb2",
    "utc_now",
    "uuid7",
    "uuid7_ms",
]
