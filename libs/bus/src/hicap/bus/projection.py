"""Projections: state folded from a stream, rebuilt by replay and then followed live.

A `Projection` is pure bookkeeping around a fold `evolve(state, event) -> state`: it
knows the last stream sequence applied and can be snapshotted. `ProjectionRunner` feeds it
from JetStream with an ordered consumer, starting after the snapshot's sequence (or at
the start), and sets `caught_up` once it has applied everything the stream held when it
started; a service's readiness waits for that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from hicap.bus.connection import Bus
from hicap.bus.streams import stream_last_seq
from hicap.events import Event, MalformedEvent, Stream, decode, health_pb2
from hicap.telemetry import Counter

log = logging.getLogger(__name__)

S = TypeVar("S")
Evolve = Callable[[S, Event[Message]], S]

SKIPPED = Counter(
    "hicap_projection_events_skipped_total",
    "Events a projection could not decode (unknown type or malformed) and skipped.",
    ["stream"],
)


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[S]):
    state: S
    seq: int  # last stream sequence folded into `state`


class Projection(Generic[S]):
    """State plus the last sequence applied. Apply events in stream order."""

    def __init__(self, stream: Stream, evolve: Evolve[S], snapshot: Snapshot[S]) -> None:
        self.stream = stream
        self.evolve = evolve
        self.state = snapshot.state
        self.applied_seq = snapshot.seq

    def apply(self, seq: int, event: Event[Message]) -> None:
        if seq <= self.applied_seq:
            return  # a redelivery after a consumer reset: already folded
        self.state = self.evolve(self.state, event)
        self.applied_seq = seq

    def skip(self, seq: int) -> None:
        self.applied_seq = max(self.applied_seq, seq)

    def snapshot(self) -> Snapshot[S]:
        return Snapshot(self.state, self.applied_seq)


class ProjectionRunner(Generic[S]):
    """Replays a stream into a projection, then follows it live."""

    def __init__(self, bus: Bus, projection: Projection[S]) -> None:
        self.bus = bus
        self.projection = projection
        self.caught_up = asyncio.Event()
        self._target_seq = 0
        self._stream_last_seq = 0
        self._progress = asyncio.Event()  # set (and replaced) each time a message is handled
        self._sub: JetStreamContext.PushSubscription | None = None

    @property
    def state(self) -> S:
        return self.projection.state

    async def start(self) -> None:
        stream = self.projection.stream
        self._target_seq = await stream_last_seq(self.bus, stream)
        self._stream_last_seq = self._target_seq
        start = self.projection.applied_seq + 1
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if start > 1 else DeliverPolicy.ALL,
            opt_start_seq=start if start > 1 else None,
        )
        self._sub = await self.bus.js.subscribe(
            stream.subjects[0],
            stream=stream.value,
            ordered_consumer=True,
            config=config,
            cb=self._on_msg,
        )
        self._check_caught_up()

    async def _on_msg(self, msg: Msg) -> None:
        seq = int(msg.metadata.sequence.stream)
        try:
            event = decode(msg.data)
        except MalformedEvent as exc:
            SKIPPED.labels(self.projection.stream.value).inc()
            log.warning(
                "skipped undecodable event: %s",
                exc,
                extra={"stream": self.projection.stream.value, "seq": seq},
            )
            self.projection.skip(seq)
        else:
            self.projection.apply(seq, event)
        self._stream_last_seq = max(self._stream_last_seq, seq)
        self._check_caught_up(pending=int(msg.metadata.num_pending))
        self._progress.set()
        self._progress = asyncio.Event()

    def _check_caught_up(self, pending: int | None = None) -> None:
        if self.caught_up.is_set():
            return
        if self.projection.applied_seq >= self._target_seq or pending == 0:
            self.caught_up.set()

    async def wait_caught_up(self, timeout_s: float | None = None) -> None:
        await asyncio.wait_for(self.caught_up.wait(), timeout_s)

    async def wait_applied(self, seq: int, timeout_s: float) -> None:
        """Until stream sequence `seq` is folded in (a writer reading its own write).

        Raises TimeoutError if it is not within `timeout_s`.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.projection.applied_seq < seq:
            await asyncio.wait_for(self._progress.wait(), max(deadline - loop.time(), 0))

    async def lag(self) -> health_pb2.ProjectionLag:
        """How far the projection is behind its stream, for `hicap status`."""
        try:
            self._stream_last_seq = await stream_last_seq(self.bus, self.projection.stream)
        except (TimeoutError, NatsError) as exc:
            log.debug("stream info failed, reporting the last known sequence: %s", exc)
        return health_pb2.ProjectionLag(
            stream=self.projection.stream.value,
            applied_seq=self.projection.applied_seq,
            stream_last_seq=self._stream_last_seq,
            caught_up=self.caught_up.is_set(),
        )

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None
