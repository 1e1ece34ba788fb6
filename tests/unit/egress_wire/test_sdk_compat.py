"""The official `openai` and `anthropic` SDKs accept what the surfaces send: a plain
answer, a streamed answer accumulated by the SDK's stream helper (text and tool calls),
and Anthropic's count_tokens."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from hicap.events.v1.egress_pb2 import Surface
from hicap.provider_egress.ir import (
    ChatResponse,
    Finished,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from hicap.provider_egress.wire.registry import surface_for
from tests.unit.egress_wire.sdk_transport import FakeGateway

USAGE = Usage(
    input_tokens=120,
    output_tokens=30,
    cached_input_tokens=100,
    cache_write_tokens=5,
    reasoning_tokens=4,
)
CALL = ToolCall("call_1", "get_weather", '{"city":"Oslo"}')
ANSWER = ChatResponse("abc", "upstream", "Let me check.", (CALL,), "tool_calls", USAGE, 1700000000)
EVENTS: list[StreamEvent] = [
    StreamStarted("abc", "upstream", 1700000000, 120),
    TextDelta("Let me "),
    TextDelta("check."),
    ToolCallStarted(0, "call_1", "get_weather"),
    ToolCallDelta(0, '{"city":'),
    ToolCallDelta(0, '"Oslo"}'),
    Finished("tool_calls"),
    UsageReported(USAGE),
]
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
]
ANTHROPIC_TOOLS = [{"name": "get_weather", "input_schema": {"type": "object"}}]
MESSAGES = [{"role": "user", "content": "Weather in Oslo?"}]


@pytest.fixture
def openai_client() -> openai.OpenAI:
    gateway = FakeGateway(surface_for(Surface.SURFACE_OPENAI_CHAT), ANSWER, EVENTS)
    return openai.OpenAI(
        api_key="sk-test", base_url="http://gw/v1", http_client=gateway.client(), max_retries=0
    )


def anthropic_client(
    surface: int = Surface.SURFACE_ANTHROPIC_MESSAGES, count: int = 0
) -> anthropic.Anthropic:
    gateway = FakeGateway(surface_for(surface), ANSWER, EVENTS, count=count)
    return anthropic.Anthropic(
        api_key="sk-ant-test", base_url="http://gw", http_client=gateway.client(), max_retries=0
    )


def test_openai_sdk_reads_a_completion(openai_client: openai.OpenAI) -> None:
    done = openai_client.chat.completions.create(
        model="hicap-model", messages=MESSAGES, tools=TOOLS
    )  # type: ignore[arg-type]  # plain dicts, as a user writes them
    assert done.model == "hicap-model"
    assert done.choices[0].finish_reason == "tool_calls"
    assert done.choices[0].message.content == "Let me check."
    call = done.choices[0].message.tool_calls[0]  # type: ignore[index]  # the answer has one
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call_1",
        "get_weather",
        {"city": "Oslo"},
    )  # type: ignore[union-attr]  # a function tool call
    assert done.usage is not None and done.usage.total_tokens == 150
    assert done.usage.prompt_tokens_details.cached_tokens == 100  # type: ignore[union-attr]  # details are sent


def test_openai_sdk_stream_helper_accumulates_text_and_tool_calls(
    openai_client: openai.OpenAI,
) -> None:
    with openai_client.chat.completions.stream(
        model="hicap-model", messages=MESSAGES, tools=TOOLS, stream_options={"include_usage": True}
    ) as stream:  # type: ignore[arg-type]  # plain dicts
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.role == "assistant" and message.content == "Let me check."
    assert message.tool_calls is not None and message.tool_calls[0].id == "call_1"
    assert message.tool_calls[0].function.name == "get_weather"  # type: ignore[union-attr]  # a function tool call
    assert message.tool_calls[0].function.arguments == '{"city":"Oslo"}'  # type: ignore[union-attr]  # a function tool call
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.usage is not None and final.usage.completion_tokens == 30


def test_anthropic_sdk_reads_a_message() -> None:
    message = anthropic_client().messages.create(
        model="hicap-model", max_tokens=100, messages=MESSAGES, tools=ANTHROPIC_TOOLS
    )  # type: ignore[arg-type]  # plain dicts
    assert message.model == "hicap-model" and message.id.startswith("msg_")
    assert message.stop_reason == "tool_use"
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[1].input == {"city": "Oslo"}  # type: ignore[union-attr]  # a tool_use block
    assert (
        message.usage.input_tokens,
        message.usage.cache_read_input_tokens,
        message.usage.cache_creation_input_tokens,
    ) == (15, 100, 5)


def test_anthropic_sdk_stream_helper_accumulates_the_message() -> None:
    with anthropic_client().messages.stream(
        model="hicap-model", max_tokens=100, messages=MESSAGES, tools=ANTHROPIC_TOOLS
    ) as stream:  # type: ignore[arg-type]  # plain dicts
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Let me check."
    assert final.stop_reason == "tool_use"
    assert final.content[1].type == "tool_use" and final.content[1].input == {"city": "Oslo"}
    assert final.usage.output_tokens == 30 and final.usage.cache_read_input_tokens == 100


def test_anthropic_sdk_counts_tokens_without_max_tokens() -> None:
    client = anthropic_client(Surface.SURFACE_ANTHROPIC_COUNT_TOKENS, count=42)
    assert client.messages.count_tokens(model="hicap-model", messages=MESSAGES).input_tokens == 42  # type: ignore[arg-type]  # plain dicts
