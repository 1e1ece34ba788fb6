"""The durable streams, declared idempotently at start from the event catalogue.

One stream per domain, file storage, a duplicate window of 2 minutes so a retried publish
with the same `Nats-Msg-Id` is stored once. No stream may capture `hicap.egress.>`.
"""

from __future__ import annotations

import logging

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from hicap.bus.connection import Bus
from hicap.events import EGRESS_SUBJECT_PREFIX, Stream, subjects_overlap

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_S = 120.0


class StreamCapturesHotPath(RuntimeError):
    """A stream configuration would store hot-path traffic (prompts, provider keys)."""


def stream_config(stream: Stream) -> StreamConfig:
    subjects = list(stream.subjects)
    hot = f"{EGRESS_SUBJECT_PREFIX}.>"
    for subject in subjects:
        if subjects_overlap(subject, hot):
            raise StreamCapturesHotPath(f"stream {stream} subject {subject} overlaps {hot}")
    return StreamConfig(
        name=stream.value,
        subjects=subjects,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW_S,
        max_msg_size=-1,
        num_replicas=1,
    )


async def ensure_streams(bus: Bus, streams: tuple[Stream, ...] = tuple(Stream)) -> None:
    """Create each stream, or bring an existing one's subjects and window up to date."""
    for stream in streams:
        config = stream_config(stream)
        try:
            info = await bus.js.stream_info(stream.value)
        except NotFoundError:
            await bus.js.add_stream(config)
            log.info("created stream", extra={"stream": stream.value})
            continue
        current = info.config
        if (current.subjects, current.duplicate_window) != (
            config.subjects,
            config.duplicate_window,
        ):
            await bus.js.update_stream(config)
            log.info("updated stream", extra={"stream": stream.value})


async def stream_last_seq(bus: Bus, stream: Stream) -> int:
    info = await bus.js.stream_info(stream.value)
    return int(info.state.last_seq)
