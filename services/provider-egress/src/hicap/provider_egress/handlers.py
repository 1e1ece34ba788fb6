"""The hot-path handler: one `EgressCall` in, head / body / trailer frames out.

Decode the call (malformed: InvalidRequest), parse the caller's body with its surface codec,
resolve the targets to routes, `send()` upstream, then answer in the caller's format: the
whole JSON answer in one `A` frame (`Last`: it leaves at once, with the end), or the provider's SSE translated event by event (each chunk's events go
out as one body frame as soon as the chunk arrives), then the trailer with usage and
finish reason (and the end user's and system prompt's hashes, `fingerprints`, in every
trailer). The head names the lane of the target that answered. A failure before the head is raised (the StreamServer sends its code); a
failure after it sends the trailer (what was streamed, with the error's code, so it is
still metered) and is then raised, and ingress ends the stream with an error event. When the
caller goes away the StreamServer cancels this task, and the upstream response is closed.
Never logs a body, a prompt or a key. Imports the wire interfaces, upstream, targets, sse.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from hicap.bus import Last, StreamRequest, Urgent
from hicap.errors import (
    HicapError,
    InvalidRequest,
    PermissionDenied,
    Unauthenticated,
    UpstreamFailed,
)
from hicap.events.egress import answer_frame, body_frame, head_frame, trailer_frame
from hicap.events.v1 import egress_pb2
from hicap.provider_egress.credentials import Credentials
from hicap.provider_egress.fingerprints import Fingerprints, fingerprints_of
from hicap.provider_egress.http1 import HttpPool
from hicap.provider_egress.ir import (
    ChatRequest,
    Finished,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from hicap.provider_egress.sse import SseEvent, SseParser
from hicap.provider_egress.targets import (
    SIMULATED_CREDENTIALS,
    DeploymentSource,
    Route,
    resolve,
)
from hicap.provider_egress.upstream import Opened, SendConfig, send, stream_chunks
from hicap.provider_egress.wire.base import (
    Adapter,
    ProviderKind,
    StreamDecoder,
    StreamEncoder,
    SurfaceCodec,
    UpstreamRequest,
)

__all__ = ["EgressHandler", "Wire"]

log = logging.getLogger(__name__)

JSON, SSE = "application/json", "text/event-stream"
COUNT_TOKENS = egress_pb2.Surface.SURFACE_ANTHROPIC_COUNT_TOKENS


@dataclass(frozen=True, slots=True)
class Wire:
    """The wire layer's registry and local token estimate, passed in (tests use fakes)."""

    adapter_for: Callable[[ProviderKind | str], Adapter]
    surface_for: Callable[[int], SurfaceCodec]
    estimate_tokens: Callable[[ChatRequest], int]


class EgressHandler:
    """`StreamServer(bus, egress_subject(kind), handler, queue=...)` calls it per request."""

    def __init__(
        self,
        pool: HttpPool,
        catalog: Callable[[], DeploymentSource],
        credentials: Credentials,
        config: SendConfig,
        wire: Wire,
        *,
        override_url: str | None = None,
        simulated: frozenset[str] | None = SIMULATED_CREDENTIALS,
    ) -> None:
        self.pool, self.catalog, self.credentials = pool, catalog, credentials
        self.config, self.wire, self.override_url = config, wire, override_url
        self.simulated = simulated
        self.in_flight = 0

    async def __call__(self, req: StreamRequest) -> AsyncIterator[bytes | Urgent | Last]:
        self.in_flight += 1
        try:
            call = _decode(req.data)
            surface = self.wire.surface_for(call.surface)
            chat = surface.parse_request(call.body)
            routes = self._routes(call)
            tags = fingerprints_of(call.org_id, chat)
            frames: AsyncGenerator[bytes | Urgent | Last, None]
            if call.surface == COUNT_TOKENS:
                frames = self._count_tokens(call, surface, chat, routes, tags)
            elif chat.stream:
                frames = self._stream(call, surface, chat, routes, tags)
            else:
                frames = self._complete(call, surface, chat, routes, tags)
            async with aclosing(frames):
                async for frame in frames:
                    yield frame
        finally:
            self.in_flight -= 1

    def _routes(self, call: egress_pb2.EgressCall) -> list[Route]:
        """Every target that resolves; the first failure when none does."""
        if not call.targets:
            raise InvalidRequest("the egress call names no target")
        routes: list[Route] = []
        errors: list[HicapError] = []
        catalog = self.catalog()
        for target in call.targets:
            try:
                routes.append(
                    resolve(
                        target,
                        catalog,
                        self.credentials,
                        self.wire.adapter_for,
                        provider_key=call.provider_key,
                        override_url=self.override_url,
                        simulated=self.simulated,
                    )
                )
            except HicapError as err:
                errors.append(err)
        if not routes:
            raise errors[0]
        return routes

    async def _complete(
        self,
        call: egress_pb2.EgressCall,
        surface: SurfaceCodec,
        chat: ChatRequest,
        routes: Sequence[Route],
        tags: Fingerprints,
    ) -> AsyncGenerator[Last, None]:
        opened = await self._send(call, routes, chat)
        resp = opened.route.adapter.parse_response(opened.body)
        answer = egress_pb2.EgressAnswer(
            head=_head(opened, JSON, resp.model),
            body=surface.render_response(resp, call.model),
            trailer=_trailer(resp.usage, resp.finish_reason, tags),
        )
        yield Last(answer_frame(answer))

    async def _stream(
        self,
        call: egress_pb2.EgressCall,
        surface: SurfaceCodec,
        chat: ChatRequest,
        routes: Sequence[Route],
        tags: Fingerprints,
    ) -> AsyncGenerator[bytes | Urgent, None]:
        opened = await self._send(call, routes, chat)
        relay = _Relay(opened.route.adapter.stream_decoder(), surface.stream_encoder(chat))
        head_sent = token_sent = False
        try:
            async with aclosing(stream_chunks(opened, self.config.idle_timeout_s)) as chunks:
                async for chunk in chunks:
                    out = relay.translate(relay.parser.feed(chunk))
                    if not head_sent:  # after the first chunk: it usually names the model
                        model = relay.model or opened.route.upstream_model
                        yield head_frame(_head(opened, SSE, model))
                        head_sent = True
                    if out and relay.tokens and not token_sent:  # the first token: at once
                        yield Urgent(body_frame(out))
                        token_sent = True
                    elif out:
                        yield body_frame(out)
                if not head_sent:
                    raise UpstreamFailed(
                        f"deployment {opened.route.deployment} sent an empty stream"
                    )
            out = relay.translate(relay.parser.close())
            if not relay.decoder.finished:
                raise UpstreamFailed(f"deployment {opened.route.deployment} ended the stream early")
        except HicapError as err:
            if head_sent:  # what was streamed is still metered: the trailer, then the error
                yield trailer_frame(_trailer(relay.usage, relay.finish_reason, tags, err.code))
            raise
        out += relay.encoder.close()
        if out:
            yield body_frame(out)
        yield trailer_frame(_trailer(relay.usage, relay.finish_reason, tags))

    async def _count_tokens(
        self,
        call: egress_pb2.EgressCall,
        surface: SurfaceCodec,
        chat: ChatRequest,
        routes: Sequence[Route],
        tags: Fingerprints,
    ) -> AsyncGenerator[Last, None]:
        counting = [r for r in routes if r.adapter.build_count_tokens(chat, r.upstream_model)]
        if counting:
            opened = await _refusals_named(
                call,
                send(
                    self.pool,
                    counting,
                    lambda r: _must(r.adapter.build_count_tokens(chat, r.upstream_model)),
                    self.config,
                    deadline_s=call.deadline_s or None,
                ),
            )
            tokens = opened.route.adapter.parse_count_tokens(opened.body)
            head = _head(opened, JSON, opened.route.upstream_model)
        else:
            tokens = self.wire.estimate_tokens(chat)
            head = egress_pb2.EgressHead(
                status=200,
                content_type=JSON,
                deployment=routes[0].deployment,
                attempts=0,
                lane=routes[0].lane,
            )
        answer = egress_pb2.EgressAnswer(
            head=head,
            body=surface.render_count_tokens(tokens),
            trailer=_trailer(Usage(input_tokens=tokens), "", tags),
        )
        yield Last(answer_frame(answer))

    async def _send(
        self, call: egress_pb2.EgressCall, routes: Sequence[Route], chat: ChatRequest
    ) -> Opened:
        return await _refusals_named(
            call,
            send(
                self.pool,
                routes,
                lambda r: r.adapter.build_request(chat, r.upstream_model),
                self.config,
                deadline_s=call.deadline_s or None,
            ),
        )


class _Relay:
    """One stream's translation state: provider SSE -> IR -> the caller's SSE, plus tallies."""

    __slots__ = ("decoder", "encoder", "finish_reason", "model", "parser", "tokens", "usage")

    def __init__(self, decoder: StreamDecoder, encoder: StreamEncoder) -> None:
        self.parser = SseParser()
        self.decoder, self.encoder = decoder, encoder
        self.usage = Usage()
        self.finish_reason = ""
        self.model = ""
        self.tokens = False  # a token (text, a tool call) has been translated

    def translate(self, events: list[SseEvent]) -> bytes:
        out = b""
        for sse in events:
            for event in self.decoder.feed(sse.event, sse.data):
                self._tally(event)
                out += self.encoder.encode(event)
        return out

    def _tally(self, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            self.tokens = self.tokens or bool(event.text)
        elif isinstance(event, (ToolCallStarted, ToolCallDelta)):
            self.tokens = True
        elif isinstance(event, UsageReported):
            self.usage = event.usage
        elif isinstance(event, Finished):
            self.finish_reason = event.finish_reason
        elif isinstance(event, StreamStarted):
            self.model = event.model
            if event.input_tokens and not self.usage.input_tokens:
                self.usage = Usage(input_tokens=event.input_tokens)


async def _refusals_named(call: egress_pb2.EgressCall, sending: Awaitable[Opened]) -> Opened:
    """A provider refusing the key means different things to the caller: with BYOK their
    own key in `x-provider-key` is wrong (401/403, theirs to fix); with Hicap's own
    credential the operator must act, and the caller gets a 502, never a 401 that its
    SDK would read as "your Hicap key is wrong"."""
    try:
        return await sending
    except (Unauthenticated, PermissionDenied) as err:
        if call.provider_key:
            raise type(err)(
                f"the provider refused the key in x-provider-key: {err.message}"
            ) from None
        log.error(
            "a provider refused Hicap's own credential; fix the deployment's key",
            extra={"request_id": call.request_id, "targets": [t.deployment for t in call.targets]},
        )
        raise UpstreamFailed(
            "the provider refused this deployment's credential; the operator has been told",
            retryable=False,
        ) from None


def _decode(data: bytes) -> egress_pb2.EgressCall:
    try:
        return egress_pb2.EgressCall.FromString(data)
    except DecodeError:
        raise InvalidRequest("malformed egress call") from None


def _must(req: UpstreamRequest | None) -> UpstreamRequest:
    if req is None:
        raise InvalidRequest("this provider has no token counting endpoint")
    return req


def _head(opened: Opened, content_type: str, model: str) -> egress_pb2.EgressHead:
    return egress_pb2.EgressHead(
        status=200,
        content_type=content_type,
        deployment=opened.route.deployment,
        model_served=model,
        attempts=opened.attempts,
        lane=opened.route.lane,
    )


def _trailer(
    usage: Usage, finish_reason: str, tags: Fingerprints, error_code: str = ""
) -> egress_pb2.EgressTrailer:
    return egress_pb2.EgressTrailer(
        end_user_hash=tags.end_user_hash,
        route_fingerprint=tags.route_fingerprint,
        error_code=error_code,
        input_tokens=usage.input_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        finish_reason=finish_reason,
    )
