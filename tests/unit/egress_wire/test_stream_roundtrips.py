"""A stream of IR events encoded by a surface and decoded by the matching adapter gives
the caller the same text, tool calls, finish reason and usage; so does a chain through
several formats (OpenAI -> Anthropic -> OpenAI, and through Gemini)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from hypothesis import given

from hicap.events.v1.egress_pb2 import Surface
from hicap.provider_egress.ir import (
    ChatRequest,
    Finished,
    Message,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextPart,
    Usage,
    UsageReported,
)
from hicap.provider_egress.wire.base import ProviderKind, StreamEncoder
from hicap.provider_egress.wire.gemini.stream import GeminiStreamEncoder
from hicap.provider_egress.wire.registry import adapter_for, surface_for
from tests.unit.egress_wire.ir_strategies import Folded, fold, sse_events, stream_events

REQ = ChatRequest(
    "hicap-model", (Message("user", (TextPart("hi"),)),), stream=True, include_usage=True
)
Hop = tuple[Callable[[ChatRequest], StreamEncoder], ProviderKind]
OPENAI: Hop = (surface_for(Surface.SURFACE_OPENAI_CHAT).stream_encoder, ProviderKind.OPENAI)
ANTHROPIC: Hop = (
    surface_for(Surface.SURFACE_ANTHROPIC_MESSAGES).stream_encoder,
    ProviderKind.ANTHROPIC,
)
GEMINI: Hop = (GeminiStreamEncoder, ProviderKind.GEMINI)


def through(events: list[StreamEvent], hop: Hop) -> list[StreamEvent]:
    make_encoder, kind = hop
    encoder = make_encoder(REQ)
    raw = b"".join(encoder.encode(e) for e in events) + encoder.close()
    decoder = adapter_for(kind).stream_decoder()
    out = [e for name, data in sse_events(raw) for e in decoder.feed(name, data)]
    assert decoder.finished
    return out


def same(got: Folded, want: Folded, *, reasoning: bool = True, cache_write: bool = True) -> None:
    assert want.usage is not None
    usage = dataclasses.replace(
        want.usage,
        reasoning_tokens=want.usage.reasoning_tokens if reasoning else 0,
        cache_write_tokens=want.usage.cache_write_tokens if cache_write else 0,
    )
    assert (got.text, got.calls, got.finish) == (want.text, want.calls, want.finish)
    assert got.usage == usage


@given(stream_events())
def test_openai_stream_round_trips(events: list[StreamEvent]) -> None:
    same(fold(through(events, OPENAI)), fold(events))


@given(stream_events(reasoning=False))
def test_anthropic_stream_round_trips(events: list[StreamEvent]) -> None:
    same(fold(through(events, ANTHROPIC)), fold(events))


@given(stream_events(cache_write=False))
def test_gemini_stream_round_trips(events: list[StreamEvent]) -> None:
    same(fold(through(events, GEMINI)), fold(events))


@given(stream_events())
def test_openai_to_anthropic_to_openai_keeps_the_answer(events: list[StreamEvent]) -> None:
    out = through(through(through(events, OPENAI), ANTHROPIC), OPENAI)
    same(fold(out), fold(events), reasoning=False)


@given(stream_events())
def test_a_chain_through_gemini_keeps_the_answer(events: list[StreamEvent]) -> None:
    out = through(through(through(through(events, OPENAI), GEMINI), ANTHROPIC), OPENAI)
    same(fold(out), fold(events), reasoning=False, cache_write=False)


def test_usage_is_only_sent_to_openai_callers_who_asked() -> None:
    events: list[StreamEvent] = [
        StreamStarted("1", "m"),
        TextDelta("hi"),
        Finished("stop"),
        UsageReported(Usage(3, 1)),
    ]
    for include, expected in ((True, 1), (False, 0)):
        req = dataclasses.replace(REQ, include_usage=include)
        encoder = surface_for(Surface.SURFACE_OPENAI_CHAT).stream_encoder(req)
        raw = b"".join(encoder.encode(e) for e in events) + encoder.close()
        assert raw.endswith(b"data: [DONE]\n\n")
        assert sum(b'"choices":[]' in data for _, data in sse_events(raw)) == expected
