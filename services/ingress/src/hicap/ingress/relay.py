"""The request path of an API call: authenticate the key, read and check the body, find the
model, admit it to a lane (`admission`, from memory: no await unless a no-overflow
reservation has to wait for its lease refill), build the `EgressCall` with that lane's
targets (`reserved`: the reservation's allocated deployments, then, when it allows
overflow, the model's on-demand ones; `on-demand` and `byok`: the on-demand ones), send it to provider-egress over the hot path and relay the
frames it answers with (`H` head, `B` body bytes written as they are, `T` trailer kept
for metering). A HicapError before the head is raised (the app renders it in the
caller's format); after the head of a stream it becomes the surface's SSE error event,
which ends the stream. The lane egress served the call on (its head) is the call's lane
from then on: in `x-hicap-lane`, in the record, and in what the ticket settles (the real
tokens replace the estimate; served on-demand, the estimate is refunded). The client going away closes the egress stream, which cancels
the upstream call. Every call sent to egress ends in exactly one `CallRecord` handed to
`on_complete` (after the last byte of a stream, right after a whole answer is
written, or when egress refused the call), with its timing: start (wall clock), total
latency and, for streams, the time to the first body byte relayed; `on_complete` must
neither await nor raise. Calls refused before egress (key, body, model) make no record. Never logs a body, a prompt or a key (the BYOK provider key lives only
in this request's memory and on the EgressCall). Imports libs only, never a service.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from hicap.bus import BusUnavailable
from hicap.catalog import Catalog, Model, Reservations
from hicap.errors import HicapError, Internal, PermissionDenied
from hicap.events import Clock, egress_pb2, utc_now
from hicap.events.egress import ANSWER, BODY, HEAD, TRAILER, Frame, egress_subject, parse_frame
from hicap.ingress.admission import Admission, Ticket
from hicap.ingress.body import parse_head, read_body
from hicap.ingress.edge import BYOK, ON_DEMAND, RESERVED, RequestContext, context_of, set_lane
from hicap.ingress.errors import ApiSurface, ModelNotFound, error_event, spec_for
from hicap.ingress.keys import KeyRecord, KeyRing
from hicap.ingress.lanes import targets_for
from hicap.ingress.request_auth import presented_key

__all__ = [
    "CLIENT_CLOSED",
    "CallRecord",
    "CallTiming",
    "Egress",
    "OnComplete",
    "Relay",
    "RelayConfig",
    "RelayedStream",
    "listed_since",
]

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
_NO_HEAD = egress_pb2.EgressHead()  # never mutated: `_failed` copies it
_COUNT_TOKENS = egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS
_NO_RESERVATIONS = Reservations()
CLIENT_CLOSED = "client_closed"
"""The error code of a stream the caller left before its end (no trailer came)."""


class Egress(Protocol):
    """The hot-path client (`hicap.bus.StreamClient`), or a fake in tests."""

    def stream(
        self,
        subject: str,
        data: bytes,
        *,
        headers: dict[str, str] | None = None,
        first_timeout_s: float = ...,
        idle_timeout_s: float = ...,
    ) -> AsyncIterator[bytes]: ...


@dataclass(frozen=True, slots=True)
class RelayConfig:
    max_body_bytes: int
    deadline_s: float = 120.0  # how long a caller waits for the first byte, retries included
    idle_timeout_s: float = 90.0  # longest silence between two frames of a stream


@dataclass(frozen=True, slots=True)
class CallTiming:
    started_at: datetime = _EPOCH  # wall clock at the top of `Relay.handle`
    latency_ms: int = 0  # until the response was complete (a stream's last byte)
    ttft_ms: int = 0  # streams: until the first body byte was relayed; 0 otherwise


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One finished call, for metering. `trailer` is None when the stream ended early or
    egress refused the call (then `head` has only the status answered, and `error_code`
    says why; the trailer's own error code, when there is one, wins)."""

    request_id: str
    key: KeyRecord
    model: str
    lane: str  # the lane admitted to until egress answers; then the lane it served on
    surface: int
    head: egress_pb2.EgressHead
    trailer: egress_pb2.EgressTrailer | None
    streamed: bool = False
    route_header: str = ""  # `x-hicap-route` as received (sanitised when it is published)
    error_code: str = ""
    timing: CallTiming = CallTiming()


OnComplete = Callable[[CallRecord], None]


def _ignore(record: CallRecord) -> None:
    """Until usage is published (UsageRecorded), a finished call is not recorded."""


class Relay:
    def __init__(
        self,
        keys: KeyRing,
        catalog: Callable[[], Catalog],
        egress: Egress,
        config: RelayConfig,
        on_complete: OnComplete = _ignore,
        *,
        clock: Clock = utc_now,
        timer: Callable[[], float] = time.perf_counter,
        admission: Admission | None = None,
    ) -> None:
        self.keys, self.catalog, self.egress, self.config = keys, catalog, egress, config
        self.on_complete, self.clock, self.timer = on_complete, clock, timer
        # Without an admission (tests, tools): no reservations, so every call is on-demand
        # or BYOK, and the window and allowance are never used.
        self.admission = admission or Admission(
            lambda: _NO_RESERVATIONS, window_s=60.0, allowance_tokens=1
        )

    def authenticate(self, request: Request) -> KeyRecord:
        return self.keys.authenticate(presented_key(request.headers, request.scope["query_string"]))

    def model_for(self, key: KeyRecord, name: str) -> Model:
        model = self.catalog().model(name)
        if model is None:
            raise ModelNotFound(f"the model `{name}` does not exist")
        if not key.allows(name):
            raise PermissionDenied(f"this API key may not use the model `{name}`")
        return model

    def visible_models(self, key: KeyRecord) -> list[Model]:
        """The catalogue's models this key may use, by name."""
        models = self.catalog().models
        return [models[name] for name in sorted(models) if key.allows(name)]

    def visible_model(self, key: KeyRecord, name: str) -> Model:
        model = self.catalog().model(name)
        if model is None or not key.allows(name):
            raise ModelNotFound(f"the model `{name}` does not exist or this key may not use it")
        return model

    async def handle(self, request: Request, surface: int, errors: ApiSurface) -> Response:
        """One API call, from the raw request to the relayed answer."""
        started_at = self.clock()
        key = self.authenticate(request)
        body = await read_body(request, self.config.max_body_bytes)
        head = parse_head(body)
        model = self.model_for(key, head.model)
        context = context_of(request)
        provider_key = request.headers.get("x-provider-key", "").strip()  # BYOK; never logged
        ticket = self._admit(key, model, surface, len(body), head.max_output_tokens, provider_key)
        if ticket is None:  # a reservation without overflow, used up: room within 200 ms?
            set_lane(request.scope, RESERVED)
            estimate = self.admission.estimate(len(body), head.max_output_tokens)
            ticket = await self.admission.wait_for_room(key.org_id, model.name, estimate)
        set_lane(request.scope, ticket.lane)
        meter = _Meter(self.on_complete, started_at, self.timer, self.admission, ticket)
        call = _egress_call(context.request_id, key, model, surface, body, provider_key)
        call.targets.extend(targets_for(self.catalog(), model, ticket))
        call.deadline_s = self.config.deadline_s
        frames = self.egress.stream(
            egress_subject(model.provider),
            call.SerializeToString(),
            first_timeout_s=self.config.deadline_s + 5.0,  # egress's own deadline answers first
            idle_timeout_s=self.config.idle_timeout_s,
        )
        record = _record(context, key, model.name, ticket.lane, surface, head.stream, request)
        try:
            first = await _first(frames)
        except HicapError as err:  # egress (or the provider) refused: metered, zero tokens
            meter.finish(_failed(record, err))
            raise
        if first.tag == ANSWER:  # a whole non-streamed answer in one frame
            return await self._answer(frames, first, record, meter, request)
        egress_head = _head_of(first)
        record = _served(request, replace(record, head=egress_head))
        _log_answer(record)
        if head.stream:
            return RelayedStream(
                self._relay(frames, record, errors, meter),
                status_code=egress_head.status or 200,
                media_type=egress_head.content_type or "text/event-stream",
                headers=_SSE_HEADERS,
                on_close=lambda: meter.finish(replace(record, error_code=CLIENT_CLOSED)),
            )
        return await self._collect(frames, record, meter)

    def _admit(
        self,
        key: KeyRecord,
        model: Model,
        surface: int,
        body_bytes: int,
        max_output_tokens: int | None,
        provider_key: str,
    ) -> Ticket | None:
        """The lane, from memory. Counting tokens consumes none: never a reservation's."""
        if surface == _COUNT_TOKENS:
            return _BYOK_TICKET if provider_key else _OPEN_TICKET
        estimate = self.admission.estimate(body_bytes, max_output_tokens)
        return self.admission.admit(key.org_id, model.name, estimate, byok=bool(provider_key))

    async def _answer(
        self,
        frames: AsyncIterator[bytes],
        first: Frame,
        record: CallRecord,
        meter: _Meter,
        request: Request,
    ) -> Response:
        answer = egress_pb2.EgressAnswer()
        answer.ParseFromString(first.data)
        try:
            async for _end in frames:  # the end frame is already on its way: read it, no cancel
                pass
        except BusUnavailable:
            pass  # the whole answer is here: only its end frame went with the connection
        record = _served(request, replace(record, head=answer.head, trailer=answer.trailer))
        _log_answer(record)
        return _Metered(
            answer.body,
            status_code=answer.head.status or 200,
            media_type=answer.head.content_type or "application/json",
            finish=partial(meter.finish, record),
        )

    async def _collect(
        self, frames: AsyncIterator[bytes], record: CallRecord, meter: _Meter
    ) -> Response:
        parts: list[bytes] = []
        trailer = None
        try:
            async for raw in frames:
                frame = _parse(raw)
                if frame.tag == BODY:
                    parts.append(frame.data)
                elif frame.tag == TRAILER:
                    trailer = _trailer(frame.data)
        except HicapError as err:  # answered as an error response: metered as one
            meter.finish(replace(_failed(record, err), trailer=trailer))
            raise
        except BaseException:  # cancelled (the client left): metered as it stands
            meter.finish(replace(record, trailer=trailer))
            raise
        finally:
            await _close(frames)
        return _Metered(
            parts[0] if len(parts) == 1 else b"".join(parts),
            status_code=record.head.status or 200,
            media_type=record.head.content_type or "application/json",
            finish=partial(meter.finish, replace(record, trailer=trailer)),
        )

    async def _relay(
        self, frames: AsyncIterator[bytes], record: CallRecord, errors: ApiSurface, meter: _Meter
    ) -> AsyncGenerator[bytes, None]:
        trailer, error_code = None, CLIENT_CLOSED  # until the frames end or an error does
        try:
            async for raw in frames:
                frame = _parse(raw)
                if frame.tag == BODY:
                    meter.first_byte()
                    yield frame.data
                elif frame.tag == TRAILER:
                    trailer = _trailer(frame.data)
            error_code = ""
        except HicapError as err:
            log.info(
                "stream ended by an error",
                extra={"request_id": record.request_id, "code": err.code},
            )
            error_code = err.code
            yield error_event(errors, err)
        finally:
            await _close(frames)
            meter.finish(replace(record, trailer=trailer, error_code=error_code))


class _Meter:
    """One call's stopwatch, and the door to `on_complete` that opens exactly once (it
    settles the call's admission ticket on the way)."""

    __slots__ = (
        "admission",
        "done",
        "first_byte_s",
        "on_complete",
        "started_at",
        "started_s",
        "ticket",
        "timer",
    )

    def __init__(
        self,
        on_complete: OnComplete,
        now: datetime,
        timer: Callable[[], float],
        admission: Admission,
        ticket: Ticket,
    ):
        self.on_complete, self.started_at, self.timer = on_complete, now, timer
        self.admission, self.ticket = admission, ticket
        self.started_s = timer()
        self.first_byte_s: float | None = None
        self.done = False

    def first_byte(self) -> None:
        if self.first_byte_s is None:
            self.first_byte_s = self.timer()

    def finish(self, record: CallRecord) -> None:
        if self.done:
            return
        self.done = True
        self.admission.settle(self.ticket, _tokens_used(record, self.ticket), record.lane)
        first = self.first_byte_s
        ttft_ms = 0 if first is None else _ms(first - self.started_s)
        latency_ms = _ms(self.timer() - self.started_s)
        self.on_complete(replace(record, timing=CallTiming(self.started_at, latency_ms, ttft_ms)))


class _Metered(Response):
    """A whole answer that is metered once written: the caller's bytes leave first."""

    def __init__(
        self, body: bytes, *, status_code: int, media_type: str, finish: Callable[[], None]
    ) -> None:
        super().__init__(body, status_code=status_code, media_type=media_type)
        self._finish = finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._finish()


class RelayedStream(StreamingResponse):
    """A StreamingResponse that always closes its generator when it ends, however it ends
    (done, client disconnect, cancelled), so the egress stream is closed (and the upstream
    call cancelled) at once rather than when the generator is garbage-collected.

    It streams in the request's own task while one small task waits for the client to
    leave and then cancels it. (Starlette's own way, for servers below ASGI spec 2.4 such
    as uvicorn, whose `send` after a disconnect returns without a word, is an anyio task
    group with the stream in a second task: more to set up, and a task switch before the
    first byte.)"""

    def __init__(
        self,
        content: AsyncGenerator[bytes, None],
        *,
        status_code: int,
        media_type: str,
        headers: dict[str, str],
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(content, status_code=status_code, media_type=media_type, headers=headers)
        self._generator = content
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streaming = asyncio.current_task()
        if streaming is None:
            raise RuntimeError("a relayed stream runs in an asyncio task")
        watch = _Watch(streaming)
        watcher = asyncio.create_task(_client_leaves(receive))
        watcher.add_done_callback(watch.left)
        try:
            try:
                await self.stream_response(send)
            finally:
                watch.over = True  # from here on, the client leaving cancels nothing
                watcher.cancel()
        except asyncio.CancelledError:
            if not watch.gone:
                raise
            streaming.uncancel()  # the client left: this response is over, nothing to raise
        finally:
            with anyio.CancelScope(shield=True):
                await self._generator.aclose()
            if self._on_close is not None:  # e.g. metering a stream that never started
                self._on_close()


class _Watch:
    """Between a stream and its watcher: cancel the stream when the client leaves, unless
    the stream is over by then (uvicorn also answers `receive` once a response is done)."""

    __slots__ = ("gone", "over", "streaming")

    def __init__(self, streaming: asyncio.Task[object]) -> None:
        self.streaming = streaming
        self.gone = self.over = False

    def left(self, watcher: asyncio.Task[None]) -> None:
        if self.over or watcher.cancelled() or watcher.exception() is not None:
            return
        self.gone = True
        self.streaming.cancel()


async def _client_leaves(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


_BYOK_TICKET, _OPEN_TICKET = Ticket(BYOK), Ticket(ON_DEMAND)


def _egress_call(
    request_id: str, key: KeyRecord, model: Model, surface: int, body: bytes, provider_key: str
) -> egress_pb2.EgressCall:
    return egress_pb2.EgressCall(
        request_id=request_id,
        org_id=key.org_id,
        surface=surface,  # type: ignore[arg-type]  # an egress_pb2.Surface value
        body=body,
        model=model.name,
        provider_key=provider_key,
    )


def _served(request: Request, record: CallRecord) -> CallRecord:
    """The record, and `x-hicap-lane`, move to the lane egress served the call on."""
    lane = record.head.lane or record.lane
    set_lane(request.scope, lane)
    return replace(record, lane=lane)


def _tokens_used(record: CallRecord, ticket: Ticket) -> int:
    """What the call consumed, for settling: without a trailer (a stream cut short) the
    estimate stays charged; a call egress never answered consumed nothing."""
    if record.trailer is None:
        return ticket.charged if record.head.lane == RESERVED else 0
    return record.trailer.input_tokens + record.trailer.output_tokens


def _record(
    context: RequestContext,
    key: KeyRecord,
    model: str,
    lane: str,
    surface: int,
    stream: bool,
    request: Request,
) -> CallRecord:
    """The call as sent, before egress answers (its head and trailer come later)."""
    return CallRecord(
        context.request_id,
        key,
        model,
        lane,
        surface,
        _NO_HEAD,
        None,
        streamed=stream,
        route_header=request.headers.get("x-hicap-route", ""),
    )


def _failed(record: CallRecord, err: HicapError) -> CallRecord:
    """The call as answered with `err` instead of the provider's answer."""
    head = egress_pb2.EgressHead()
    head.CopyFrom(record.head)
    head.status = spec_for(err).status
    return replace(record, head=head, error_code=err.code)


def _ms(seconds: float) -> int:
    return max(round(seconds * 1000), 0)


def _log_answer(record: CallRecord) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    log.debug(
        "egress answered",
        extra={
            "request_id": record.request_id,
            "org_id": record.key.org_id,
            "model": record.model,
            "deployment": record.head.deployment,
            "lane": record.lane,
            "attempts": record.head.attempts,
        },
    )


def listed_since(model: Model) -> datetime:
    """When a model was first priced (the catalogue has no creation date): `created`."""
    return model.prices[0].effective_from if model.prices else _EPOCH


async def _first(frames: AsyncIterator[bytes]) -> Frame:
    """The first frame: the head of an answer, or a whole answer."""
    try:
        raw = await anext(frames)
    except StopAsyncIteration:
        raise Internal("provider-egress ended the call without an answer") from None
    if not raw or raw[0] not in (HEAD, ANSWER):
        await _close(frames)
        raise Internal("provider-egress answered without a head")
    return Frame(raw[0], raw[1:])


def _head_of(frame: Frame) -> egress_pb2.EgressHead:
    head = egress_pb2.EgressHead()
    head.ParseFromString(frame.data)
    return head


def _parse(raw: bytes) -> Frame:
    try:
        return parse_frame(raw)
    except ValueError:
        raise Internal("provider-egress sent an empty frame") from None


def _trailer(data: bytes) -> egress_pb2.EgressTrailer:
    trailer = egress_pb2.EgressTrailer()
    trailer.ParseFromString(data)
    return trailer


async def _close(frames: AsyncIterator[bytes]) -> None:
    if isinstance(frames, AsyncGenerator):
        await frames.aclose()
