"""Hypothesis strategies for the provider-egress IR: conversations, requests, responses
and stream event sequences that every wire format can carry, plus small helpers to
split SSE bytes and fold IR stream events, shared by the round-trip tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import orjson
from hypothesis import strategies as st

from hicap.provider_egress.ir import (
    ChatRequest,
    ChatResponse,
    ContentPart,
    Finished,
    FinishReason,
    ImagePart,
    Message,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallStarted,
    Usage,
    UsageReported,
)

# plain words: never JSON, never empty, no surrogates
words = st.text(alphabet="abcdefghij klmnopqrstuvwxyzÅé✓", min_size=1, max_size=30).map(
    lambda s: "w" + s
)
names = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
ids = st.from_regex(r"call_[A-Za-z0-9]{4,12}", fullmatch=True)
scalars = st.one_of(st.integers(-1000, 1000), st.booleans(), words, st.none())
arguments = st.dictionaries(names, scalars, max_size=4).map(lambda d: orjson.dumps(d).decode())
images = st.one_of(
    st.sampled_from(["https://example.com/a.png", "https://img.example.org/cat.jpeg"]),
    st.from_regex(r"[A-Za-z0-9+/]{4,40}", fullmatch=True).map(
        lambda d: f"data:image/png;base64,{d}"
    ),
)
schemas = st.dictionaries(names, st.sampled_from(["string", "integer", "boolean"]), max_size=3).map(
    lambda props: {
        "type": "object",
        "properties": {k: {"type": v} for k, v in props.items()},
        "required": sorted(props),
    }
)
tools = st.builds(Tool, names, st.one_of(st.just(""), words), schemas)


@st.composite
def usages(draw: st.DrawFn, *, cache_write: bool = True, reasoning: bool = True) -> Usage:
    cached = draw(st.integers(0, 5000))
    written = draw(st.integers(0, 5000)) if cache_write else 0
    fresh = draw(st.integers(0, 50000))
    thought = draw(st.integers(0, 500)) if reasoning else 0
    output = thought + draw(st.integers(0, 5000))
    return Usage(fresh + cached + written, output, cached, written, thought)


def finishes(called: bool) -> st.SearchStrategy[FinishReason]:
    if called:
        return st.sampled_from(["tool_calls", "length"])
    return st.sampled_from(["stop", "length", "content_filter"])


@st.composite
def conversations(
    draw: st.DrawFn, *, tool_errors: bool = True, with_images: bool = True
) -> tuple[Message, ...]:
    """An optional system prompt, then alternating user / assistant turns, each batch of
    tool calls answered (in order) by tool messages before the next user turn."""
    out: list[Message] = []
    if draw(st.booleans()):
        out.append(Message("system", (TextPart(draw(words)),)))
    for _ in range(draw(st.integers(1, 3))):
        part = (
            st.one_of(words.map(TextPart), images.map(ImagePart))
            if with_images
            else words.map(TextPart)
        )
        parts: tuple[ContentPart, ...] = tuple(draw(st.lists(part, min_size=1, max_size=3)))
        out.append(Message("user", parts))
        calls = tuple(
            draw(
                st.lists(
                    st.builds(ToolCall, ids, names, arguments), max_size=2, unique_by=lambda c: c.id
                )
            )
        )
        text = draw(st.one_of(st.just(""), words)) if calls else draw(words)
        out.append(Message("assistant", (TextPart(text),) if text else (), tool_calls=calls))
        for call in calls:
            error = draw(st.booleans()) if tool_errors else False
            out.append(
                Message("tool", (TextPart(draw(words)),), tool_call_id=call.id, is_error=error)
            )
    return tuple(out)


def request(messages: tuple[Message, ...], **fields: object) -> ChatRequest:
    return ChatRequest(model="hicap-model", messages=messages, **fields)  # type: ignore[arg-type]  # test helper: fields are ChatRequest's


@st.composite
def responses(
    draw: st.DrawFn, *, prefix: str = "", cache_write: bool = True, reasoning: bool = True
) -> ChatResponse:
    calls = tuple(
        draw(
            st.lists(
                st.builds(ToolCall, ids, names, arguments), max_size=3, unique_by=lambda c: c.id
            )
        )
    )
    return ChatResponse(
        id=prefix + draw(st.from_regex(r"[A-Za-z0-9]{6,12}", fullmatch=True)),
        model="hicap-model",
        text=draw(st.one_of(st.just(""), words)) if calls else draw(words),
        tool_calls=calls,
        finish_reason=draw(finishes(bool(calls))),
        usage=draw(usages(cache_write=cache_write, reasoning=reasoning)),
    )


@st.composite
def fragments(draw: st.DrawFn, text: str) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(1, max(len(text) - 1, 1)), max_size=4)))
    bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if text[a:b]]


@st.composite
def stream_events(
    draw: st.DrawFn, *, cache_write: bool = True, reasoning: bool = True
) -> list[StreamEvent]:
    """A well-formed stream: started, text deltas, tool calls one after another, finish, usage."""
    events: list[StreamEvent] = [StreamStarted("r" + draw(ids), "upstream-model", 1700000000, 0)]
    events += [TextDelta(t) for t in draw(st.lists(words, max_size=4))]
    calls = draw(
        st.lists(st.builds(ToolCall, ids, names, arguments), max_size=2, unique_by=lambda c: c.id)
    )
    for index, call in enumerate(calls):
        events.append(ToolCallStarted(index, call.id, call.name))
        events += [ToolCallDelta(index, f) for f in draw(fragments(call.arguments))]
    events.append(Finished(draw(finishes(bool(calls)))))
    events.append(UsageReported(draw(usages(cache_write=cache_write, reasoning=reasoning))))
    return events


@dataclass
class Folded:
    """What a client ends up with after a stream: the text, the calls, finish and usage."""

    text: str = ""
    calls: dict[int, list[str]] = field(default_factory=dict)  # index -> [id, name, args]
    finish: str | None = None
    usage: Usage | None = None


def fold(events: list[StreamEvent]) -> Folded:
    out = Folded()
    for e in events:
        if isinstance(e, TextDelta):
            out.text += e.text
        elif isinstance(e, ToolCallStarted):
            out.calls[e.index] = [e.id, e.name, ""]
        elif isinstance(e, ToolCallDelta):
            out.calls[e.index][2] += e.arguments
        elif isinstance(e, Finished):
            out.finish = e.finish_reason
        elif isinstance(e, UsageReported):
            out.usage = e.usage
    return out


def sse_events(raw: bytes) -> list[tuple[str, bytes]]:
    """Split well-formed SSE bytes into (event name, data) pairs."""
    out: list[tuple[str, bytes]] = []
    for block in raw.split(b"\n\n"):
        if not block.strip():
            continue
        name, data = "", []
        for line in block.split(b"\n"):
            field_name, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            if field_name == b"event":
                name = value.decode()
            elif field_name == b"data":
                data.append(value)
        out.append((name, b"\n".join(data)))
    return out
