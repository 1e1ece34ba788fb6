"""Usage of every relayed call as one `UsageRecorded` event, published after the response.

`usage_event` turns a finished `CallRecord` into the event (tokens from egress's trailer,
cost at the list price in force when the call started, the route from `x-hicap-route` or
the system prompt's fingerprint). Which calls are metered: every call sent to
provider-egress, whatever its outcome, including a refusal by egress or the provider
before any answer (the status and error code, zero tokens); calls refused by ingress
itself before egress (a bad key, body or model: 400/401/403/404/413) are not. A
count_tokens call is recorded with zero tokens: counting consumes nothing. The row's lane
is the lane the call was served on. BYOK calls cost Hicap's customer nothing (they pay
the provider), and reserved-lane calls nothing more than the reservation's fee: every
cost field 0, the list-price value kept (to show the saving).
`UsagePublisher` takes events off the request path: `record` only appends to a bounded
buffer (never blocks, never raises); a background task builds and publishes them, each
retried with its own event id until JetStream acknowledges it, so an outage delays usage
but neither loses nor doubles it; only a full buffer drops (counted, logged), and what is
still unpublished when shutdown's flush times out. Imports libs and ingress's relay and
edge only; never another service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from hicap.bus import Bus, publish
from hicap.catalog import Catalog
from hicap.events import Event, encode, new_event, usage_pb2
from hicap.events.v1 import egress_pb2
from hicap.ingress.edge import BYOK, ON_DEMAND, RESERVED
from hicap.ingress.relay import CallRecord, OnComplete
from hicap.money import CostBreakdown, TokenCounts, UnitPrices, price_usage
from hicap.telemetry import Counter, Gauge, Histogram

__all__ = ["UsagePublisher", "metered", "usage_event"]

log = logging.getLogger(__name__)

UsageEvent = Event[usage_pb2.UsageRecorded]
Pending = UsageEvent | Callable[[], UsageEvent]
"""What the request path hands over: an event, or how to build it (off the request path)."""

ROUTE_MAX_CHARS = 128
_INT32_MAX = 2**31 - 1
_LANES = {
    RESERVED: usage_pb2.LANE_RESERVED,
    ON_DEMAND: usage_pb2.LANE_ON_DEMAND,
    BYOK: usage_pb2.LANE_BYOK,
}
_UNBILLED_LANES = frozenset({BYOK, RESERVED})  # paid to the provider, or by the fee
_SURFACES = {
    egress_pb2.SURFACE_OPENAI_CHAT: "openai",
    egress_pb2.SURFACE_ANTHROPIC_MESSAGES: "anthropic",
    egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS: "anthropic",
}

BUFFERED = Gauge("hicap_usage_buffered_events", "Usage events recorded, not yet acknowledged.")
PUBLISHED = Counter("hicap_usage_published_total", "Usage events acknowledged by JetStream.")
FAILURES = Counter("hicap_usage_publish_failures_total", "Usage publish attempts that failed.")
DROPPED = Counter("hicap_usage_dropped_total", "Usage events never published.", ["reason"])
LAG = Histogram(
    "hicap_usage_lag_seconds",
    "From a call's usage being recorded to its event's acknowledgement.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)


def usage_event(record: CallRecord, catalog: Catalog) -> UsageEvent:
    """The event of one finished call. Its id is the request id (a UUIDv7 made once per
    request), so a retried publish, or the same call recorded twice, is stored once; it
    occurred when the call completed."""
    trailer = record.trailer or egress_pb2.EgressTrailer()
    tokens = _tokens(record, trailer)
    cost = _cost(record, catalog, tokens)
    billed = CostBreakdown.zero() if record.lane in _UNBILLED_LANES else cost
    timing = record.timing
    payload = usage_pb2.UsageRecorded(
        request_id=record.request_id,
        org_id=record.key.org_id,
        team_id=record.key.team_id,
        app_id=record.key.app_id,
        key_id=record.key.key_id,
        end_user_hash=trailer.end_user_hash,
        route=sanitised_route(record.route_header) or trailer.route_fingerprint,
        model_requested=record.model,
        model_served=record.head.model_served,
        provider=_provider(record, catalog),
        deployment=record.head.deployment,
        lane=_LANES.get(record.lane, usage_pb2.LANE_UNSPECIFIED),
        input_tokens=tokens.input_tokens,
        cached_input_tokens=tokens.cached_input_tokens,
        cache_write_tokens=tokens.cache_write_tokens,
        output_tokens=tokens.output_tokens,
        reasoning_tokens=tokens.reasoning_tokens,
        input_cost_micros=billed.input_micros,
        cached_input_cost_micros=billed.cached_input_micros,
        cache_write_cost_micros=billed.cache_write_micros,
        output_cost_micros=billed.output_micros,
        total_cost_micros=billed.total_micros,
        list_value_micros=cost.total_micros,
        latency_ms=min(timing.latency_ms, _INT32_MAX),
        ttft_ms=min(timing.ttft_ms, _INT32_MAX),
        http_status=record.head.status or 200,
        finish_reason=trailer.finish_reason,
        streamed=record.streamed,
        error_code=trailer.error_code or record.error_code,
        api_surface=_SURFACES.get(record.surface, ""),  # type: ignore[call-overload]  # an egress_pb2.Surface value
    )
    payload.started_at.FromDatetime(timing.started_at)
    ended = timing.started_at + timedelta(milliseconds=timing.latency_ms)
    return new_event(
        payload, org_id=record.key.org_id, clock=lambda: ended, ids=lambda: record.request_id
    )


def sanitised_route(header: str) -> str:
    """`x-hicap-route` as metered: its printable characters, at most 128; "" if none."""
    return "".join(c for c in header if c.isprintable()).strip()[:ROUTE_MAX_CHARS]


def _tokens(record: CallRecord, trailer: egress_pb2.EgressTrailer) -> TokenCounts:
    if record.surface == egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS:
        return TokenCounts()  # the trailer holds the count asked for, not tokens consumed
    return TokenCounts(
        input_tokens=max(trailer.input_tokens, 0),
        cached_input_tokens=max(trailer.cached_input_tokens, 0),
        cache_write_tokens=max(trailer.cache_write_tokens, 0),
        output_tokens=max(trailer.output_tokens, 0),
        reasoning_tokens=max(trailer.reasoning_tokens, 0),
    )


def _cost(record: CallRecord, catalog: Catalog, tokens: TokenCounts) -> CostBreakdown:
    """At list price when the call started. A model without a price costs nothing (an
    operator must fix the catalogue: logged at ERROR)."""
    if tokens == TokenCounts():
        return CostBreakdown.zero()
    model = catalog.model(record.model)
    try:
        if model is None:
            raise LookupError(f"model {record.model} is not in the catalogue")
        price = model.price_at(record.timing.started_at)
    except LookupError as exc:
        log.error("usage priced at zero: %s", exc, extra={"request_id": record.request_id})
        return CostBreakdown.zero()
    return price_usage(
        tokens,
        UnitPrices(
            price.input_micros_per_mtok,
            price.cached_input_micros_per_mtok,
            price.cache_write_micros_per_mtok,
            price.output_micros_per_mtok,
        ),
    )


def _provider(record: CallRecord, catalog: Catalog) -> str:
    deployment = catalog.deployment(record.head.deployment)
    if deployment is not None:
        return deployment.provider
    model = catalog.model(record.model)
    return model.provider if model is not None else ""


def metered(publisher: UsagePublisher, catalog: Callable[[], Catalog]) -> OnComplete:
    """The relay's `on_complete`: hands the call and the catalogue of the moment to the
    publisher; the event is built in its background task."""

    def on_complete(record: CallRecord) -> None:
        publisher.record(partial(usage_event, record, catalog()))

    return on_complete


@dataclass(frozen=True, slots=True)
class _Item:
    recorded_s: float
    pending: Pending


class UsagePublisher:
    """A bounded buffer of usage events and the task that publishes them to USAGE."""

    def __init__(
        self,
        bus: Bus,
        *,
        capacity: int = 100_000,
        concurrency: int = 64,
        attempt_timeout_s: float = 5.0,
        max_backoff_s: float = 5.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus, self._timer = bus, timer
        self._attempt_timeout_s, self._max_backoff_s = attempt_timeout_s, max_backoff_s
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(capacity)
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self._settled.set()
        self.unsettled = self.published = self.failures = self.dropped = 0
        self._dropping = self._failing = False

    def record(self, pending: Pending) -> None:
        """Buffer one event (or its recipe) for publishing. Never blocks, never raises."""
        try:
            self._queue.put_nowait(_Item(self._timer(), pending))
        except asyncio.QueueFull:
            self._drop()
            return
        self._dropping = False
        self.unsettled += 1
        self._settled.clear()
        BUFFERED.inc()

    async def start(self) -> UsagePublisher:
        self._runner = asyncio.create_task(self._run(), name="usage-publisher")
        return self

    async def flush(self, timeout_s: float) -> int:
        """Wait until every recorded event is acknowledged or `timeout_s`; how many are not."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout_s)
        return self.unsettled

    async def close(self, timeout_s: float = 5.0) -> None:
        """Publish what is buffered (within `timeout_s`), then stop. Before the bus closes."""
        left = await self.flush(timeout_s)
        if left:
            log.error("%d usage events were not published before shutdown", left)
            DROPPED.labels("shutdown").inc(left)
            self.dropped += left
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            item = await self._queue.get()
            task = asyncio.create_task(self._deliver(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, item: _Item) -> None:
        try:
            event = _built(item.pending)
            if event is None:
                DROPPED.labels("invalid").inc()
                self.dropped += 1
                return
            await self._until_acked(event)
            LAG.observe(self._timer() - item.recorded_s)
            PUBLISHED.inc()
            self.published += 1
        finally:
            self._slots.release()
            self._settle()

    async def _until_acked(self, event: UsageEvent) -> None:
        """Publish with the same event id until acknowledged, backing off between tries."""
        delay_s = 0.1
        while True:
            try:
                await publish(self._bus, event, timeout_s=self._attempt_timeout_s)
            # Any failure of one attempt (the bus's timeouts, or nats-py's connection
            # errors that it lets through and a service may not import) is retried with
            # the same Nats-Msg-Id: JetStream stores the event once.
            except Exception as exc:  # noqa: BLE001
                self._failed_once(exc)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, self._max_backoff_s)
                continue
            if self._failing:
                self._failing = False
                log.info("usage events are being published again")
            return

    def _failed_once(self, exc: Exception) -> None:
        FAILURES.inc()
        self.failures += 1
        if not self._failing:
            self._failing = True
            log.warning("usage publish failing, retrying (%s); buffering meanwhile", exc)

    def _settle(self) -> None:
        self.unsettled -= 1
        BUFFERED.dec()
        if self.unsettled == 0:
            self._settled.set()

    def _drop(self) -> None:
        DROPPED.labels("buffer_full").inc()
        self.dropped += 1
        if not self._dropping:
            self._dropping = True
            log.error(
                "usage buffer full (%d events): dropping usage until it drains",
                self._queue.maxsize,
            )


def _built(pending: Pending) -> UsageEvent | None:
    """The event, encoded once to be sure it can be; None (logged) if it cannot be built.
    A bug in building one event must not stop the publisher, so anything is caught."""
    try:
        event = pending if isinstance(pending, Event) else pending()
        encode(event)
    except Exception:  # counted as dropped by the caller
        log.exception("a usage event could not be built; it is dropped")
        return None
    return event
