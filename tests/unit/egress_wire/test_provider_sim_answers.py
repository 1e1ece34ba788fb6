"""provider-sim's real wire answers (served in-process, no sockets) read through each
adapter: a plain answer, a streamed answer that agrees with it, a tool call, and the
counting endpoints."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from hicap.provider_egress.ir import ChatRequest, Message, StreamEvent, TextPart, Tool, ToolChoice
from hicap.provider_egress.wire.base import ProviderKind
from hicap.provider_egress.wire.registry import adapter_for
from hicap.provider_sim.http import build_app
from tests.unit.egress_wire.ir_strategies import fold, sse_events

CASES = [
    (ProviderKind.OPENAI, "/v1", "sk-test", "gpt-4.1"),
    (ProviderKind.OPENAI_COMPATIBLE, "/v1", "sk-test", "gpt-4.1"),
    (ProviderKind.ANTHROPIC, "", "sk-ant-test", "claude-sonnet-4-5"),
    (ProviderKind.GEMINI, "", "AIzaTest", "gemini-3-flash-preview"),
]
REQ = ChatRequest(
    "hicap",
    (Message("system", (TextPart("Be brief."),)), Message("user", (TextPart("Hello there"),))),
    max_tokens=200,
)


@pytest.fixture(scope="module")
def sim() -> TestClient:
    return TestClient(build_app())


def call(
    sim: TestClient, kind: ProviderKind, prefix: str, key: str, req: ChatRequest, model: str
) -> bytes:
    adapter = adapter_for(kind)
    upstream = adapter.build_request(req, model)
    headers = dict(upstream.headers) | adapter.auth_headers(key)
    answer = sim.post(prefix + upstream.path, content=upstream.body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.content


@pytest.mark.parametrize(("kind", "prefix", "key", "model"), CASES)
def test_a_sim_answer_and_its_stream_agree(
    sim: TestClient, kind: ProviderKind, prefix: str, key: str, model: str
) -> None:
    whole = adapter_for(kind).parse_response(call(sim, kind, prefix, key, REQ, model))
    assert whole.text and whole.usage.input_tokens > 0 and whole.usage.output_tokens > 0
    decoder = adapter_for(kind).stream_decoder()
    raw = call(sim, kind, prefix, key, dataclasses.replace(REQ, stream=True), model)
    events: list[StreamEvent] = [
        e
        for name, data in sse_events(raw.replace(b"\r\n", b"\n"))
        for e in decoder.feed(name, data)
    ]
    folded = fold(events)
    assert decoder.finished
    assert (folded.text, folded.finish) == (whole.text, whole.finish_reason)
    assert folded.usage is not None and folded.usage.input_tokens == whole.usage.input_tokens
    assert folded.usage.output_tokens == whole.usage.output_tokens


@pytest.mark.parametrize(("kind", "prefix", "key", "model"), CASES)
def test_a_forced_tool_call_comes_back_as_a_tool_call(
    sim: TestClient, kind: ProviderKind, prefix: str, key: str, model: str
) -> None:
    tool = Tool(
        "get_weather",
        "Weather",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    req = ChatRequest(
        "hicap",
        REQ.messages,
        max_tokens=500,
        tools=(tool,),
        tool_choice=ToolChoice("tool", "get_weather"),
    )
    answer = adapter_for(kind).parse_response(call(sim, kind, prefix, key, req, model))
    assert answer.finish_reason == "tool_calls"
    assert answer.tool_calls[0].name == "get_weather" and answer.tool_calls[0].id


@pytest.mark.parametrize(
    ("kind", "prefix", "key", "model"),
    [c for c in CASES if c[0] in (ProviderKind.ANTHROPIC, ProviderKind.GEMINI)],
)
def test_counting_endpoints_agree_with_the_answer(
    sim: TestClient, kind: ProviderKind, prefix: str, key: str, model: str
) -> None:
    adapter = adapter_for(kind)
    upstream = adapter.build_count_tokens(REQ, model)
    assert upstream is not None
    answer = sim.post(
        upstream.path,
        content=upstream.body,
        headers=dict(upstream.headers) | adapter.auth_headers(key),
    )
    assert answer.status_code == 200, answer.text
    whole = adapter.parse_response(call(sim, kind, prefix, key, REQ, model))
    assert adapter.parse_count_tokens(answer.content) == whole.usage.input_tokens
