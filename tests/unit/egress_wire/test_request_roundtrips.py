"""A request translated into each provider's wire format and read back is the same
request: text, images, tools, tool calls and results, stop sequences, limits."""

from __future__ import annotations

import dataclasses

import orjson
from hypothesis import given
from hypothesis import strategies as st

from hicap.provider_egress.ir import ChatRequest, Message, ResponseFormat, TextPart, ToolChoice
from hicap.provider_egress.wire.anthropic.request import decode_request as anthropic_decode
from hicap.provider_egress.wire.base import ProviderKind
from hicap.provider_egress.wire.gemini.request import decode_request as gemini_decode
from hicap.provider_egress.wire.jsonview import parse_body
from hicap.provider_egress.wire.openai.request import decode_request as openai_decode
from hicap.provider_egress.wire.registry import adapter_for
from tests.unit.egress_wire.ir_strategies import conversations, names, tools, words

stops = st.lists(words, max_size=3).map(tuple)
numbers = st.one_of(st.none(), st.floats(0, 1, allow_nan=False))


@st.composite
def tool_setups(draw: st.DrawFn, *, parallel: bool = True) -> dict[str, object]:
    offered = tuple(draw(st.lists(tools, max_size=3, unique_by=lambda t: t.name)))
    if not offered:
        return {}
    mode = draw(st.sampled_from(["auto", "none", "required", "tool"]))
    name = offered[0].name if mode == "tool" else ""
    allow = draw(st.booleans()) if parallel and mode != "none" else True
    choice = draw(st.one_of(st.none(), st.just(ToolChoice(mode, name, allow))))  # type: ignore[arg-type]  # mode is one of the Literal's values
    return {"tools": offered, "tool_choice": choice}


def sent(kind: ProviderKind, req: ChatRequest) -> bytes:
    return adapter_for(kind).build_request(req, "upstream-model").body


@given(
    conversations(tool_errors=False),
    tool_setups(),
    stops,
    st.one_of(st.none(), st.integers(1, 100000)),
    numbers,
    numbers,
    st.booleans(),
    st.one_of(st.just(""), words),
    st.one_of(
        st.none(),
        st.just(ResponseFormat("json_object")),
        st.builds(
            ResponseFormat,
            st.just("json_schema"),
            names,
            st.just({"type": "object"}),
            st.booleans(),
        ),
    ),
)
def test_openai_request_round_trips(
    messages, setup, stop, max_tokens, temp, top_p, stream, user, fmt
) -> None:  # type: ignore[no-untyped-def]  # hypothesis-drawn arguments
    req = ChatRequest(
        "hicap-model",
        messages,
        max_tokens,
        temp,
        top_p,
        stop,
        **setup,
        response_format=fmt,
        stream=stream,
        include_usage=stream,
        user=user,
    )  # type: ignore[arg-type]  # drawn setup holds tools and tool_choice
    back = openai_decode(parse_body(sent(ProviderKind.OPENAI, req)))
    assert back == dataclasses.replace(req, model="upstream-model")


@given(
    conversations(),
    tool_setups(),
    stops,
    st.integers(1, 100000),
    numbers,
    numbers,
    st.booleans(),
    st.one_of(st.just(""), words),
)
def test_anthropic_request_round_trips(
    messages, setup, stop, max_tokens, temp, top_p, stream, user
) -> None:  # type: ignore[no-untyped-def]  # hypothesis-drawn arguments
    req = ChatRequest(
        "hicap-model", messages, max_tokens, temp, top_p, stop, **setup, stream=stream, user=user
    )  # type: ignore[arg-type]  # drawn setup holds tools and tool_choice
    back = anthropic_decode(parse_body(sent(ProviderKind.ANTHROPIC, req)))
    assert back == dataclasses.replace(req, model="upstream-model")


@given(
    conversations(),
    tool_setups(parallel=False),
    stops,
    st.one_of(st.none(), st.integers(1, 100000)),
    numbers,
    numbers,
    st.booleans(),
)
def test_gemini_request_round_trips(messages, setup, stop, max_tokens, temp, top_p, stream) -> None:  # type: ignore[no-untyped-def]  # hypothesis-drawn arguments
    req = ChatRequest(
        "hicap-model", messages, max_tokens, temp, top_p, stop, **setup, stream=stream
    )  # type: ignore[arg-type]  # drawn setup holds tools and tool_choice
    back = gemini_decode(parse_body(sent(ProviderKind.GEMINI, req)), "hicap-model", stream=stream)
    assert back == req


@given(
    conversations(),
    st.sampled_from(
        [
            None,
            ResponseFormat("json_object"),
            ResponseFormat(
                "json_schema", schema={"type": "object", "properties": {"a": {"type": "string"}}}
            ),
        ]
    ),
)
def test_gemini_json_modes_round_trip(messages, fmt) -> None:  # type: ignore[no-untyped-def]  # hypothesis-drawn arguments
    req = ChatRequest("hicap-model", messages, response_format=fmt)
    assert gemini_decode(parse_body(sent(ProviderKind.GEMINI, req)), "hicap-model") == req


def test_anthropic_json_schema_round_trips_through_output_config() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    req = ChatRequest(
        "m",
        (Message("user", (TextPart("hi"),)),),
        max_tokens=10,
        response_format=ResponseFormat("json_schema", schema=schema),
    )
    body = orjson.loads(sent(ProviderKind.ANTHROPIC, req))
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert anthropic_decode(parse_body(orjson.dumps(body))).response_format == req.response_format
