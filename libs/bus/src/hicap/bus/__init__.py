"""hicap.bus: the only door to NATS and JetStream.

Connect (with reconnect and a clear error), declare the streams, publish events with
`Nats-Msg-Id`, run projections (replay then follow, with a caught-up signal), durable pull
consumers (explicit ack, nak, term), command request/reply with typed errors, the hot
path's request/stream-reply over core NATS, and service health. No service imports
nats-py directly. Imports hicap.events, hicap.errors and hicap.telemetry; never a service.
"""

from __future__ import annotations

from nats.aio.subscription import Subscription

from hicap.bus import commands
from hicap.bus.append import APPLY_TIMEOUT_S, append, caught_up
from hicap.bus.connection import MAX_PAYLOAD_BYTES, Bus, connect
from hicap.bus.consumer import Delivery, DurableConsumer
from hicap.bus.errors import BusTimeout, BusUnavailable
from hicap.bus.health import HealthReporter, base_health, query_health
from hicap.bus.hotpath import (
    Last,
    StreamClient,
    StreamHandler,
    StreamRequest,
    StreamServer,
    Urgent,
)
from hicap.bus.projection import Evolve, Projection, ProjectionRunner, Snapshot
from hicap.bus.publish import Published, publish
from hicap.bus.streams import (
    DUPLICATE_WINDOW_S,
    StreamCapturesHotPath,
    ensure_streams,
    stream_config,
    stream_last_seq,
)

__all__ = [
    "APPLY_TIMEOUT_S",
    "DUPLICATE_WINDOW_S",
    "MAX_PAYLOAD_BYTES",
    "Bus",
    "BusTimeout",
    "BusUnavailable",
    "Delivery",
    "DurableConsumer",
    "Evolve",
    "HealthReporter",
    "Last",
    "Projection",
    "ProjectionRunner",
    "Published",
    "Snapshot",
    "StreamCapturesHotPath",
    "StreamClient",
    "StreamHandler",
    "StreamRequest",
    "StreamServer",
    "Subscription",
    "Urgent",
    "append",
    "base_health",
    "caught_up",
    "commands",
    "connect",
    "ensure_streams",
    "publish",
    "query_health",
    "stream_config",
    "stream_last_seq",
]
