"""The official `anthropic` SDK, unchanged but for base_url and key, against `/v1/messages`:
Claude models natively and, translated, GPT and Gemini models."""

from __future__ import annotations

import anthropic
import httpx
import pytest

MODELS = ["claude-sonnet-4.5", "gpt-4.1", "gemini-3.0-flash"]

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def root_url(base_url: str) -> str:
    return base_url.removesuffix("/v1")  # the Anthropic SDK adds /v1 itself


@pytest.fixture(scope="module")
def client(base_url: str, api_key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=root_url(base_url), api_key=api_key, max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_messages_create_answers_with_a_system_prompt(
    client: anthropic.Anthropic, model: str
) -> None:
    raw = client.messages.with_raw_response.create(
        model=model,
        max_tokens=200,
        system="You are terse.",
        messages=[{"role": "user", "content": "Say hello"}],
    )
    message = raw.parse()
    assert message.model == model
    assert message.role == "assistant"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert raw.headers["x-hicap-lane"] == "on-demand"


@pytest.mark.parametrize("model", MODELS)
def test_stop_sequences_and_max_tokens_end_the_message(
    client: anthropic.Anthropic, model: str
) -> None:
    message = client.messages.create(
        model=model,
        max_tokens=4,
        messages=[{"role": "user", "content": "Write a long essay about the sea"}],
        stop_sequences=["\n\n\n"],
    )
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens <= 4


@pytest.mark.parametrize("model", MODELS)
def test_messages_stream_accumulates_text(client: anthropic.Anthropic, model: str) -> None:
    with client.messages.stream(
        model=model, max_tokens=200, messages=[{"role": "user", "content": "Tell me a story"}]
    ) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(texts) == final.content[0].text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("model", MODELS)
def test_streamed_tool_use_arrives_as_input_json(client: anthropic.Anthropic, model: str) -> None:
    with client.messages.stream(
        model=model,
        max_tokens=200,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "Weather in Lima?"}],
    ) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_message()
    tool_use = next(b for b in final.content if b.type == "tool_use")
    assert tool_use.name == "get_weather"
    assert isinstance(tool_use.input, dict) and "city" in tool_use.input
    assert final.stop_reason == "tool_use"
    assert "input_json" in kinds


@pytest.mark.parametrize("model", MODELS)
def test_tool_result_turn_is_answered(client: anthropic.Anthropic, model: str) -> None:
    message = client.messages.create(
        model=model,
        max_tokens=200,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Weather in Lima?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_01",
                        "name": "get_weather",
                        "input": {"city": "Lima"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C, cloudy"}
                ],
            },
        ],
    )
    assert message.content and message.stop_reason in {"end_turn", "tool_use"}


@pytest.mark.parametrize("model", MODELS)
def test_count_tokens_counts_the_prompt(client: anthropic.Anthropic, model: str) -> None:
    short = client.messages.count_tokens(model=model, messages=[{"role": "user", "content": "hi"}])
    long = client.messages.count_tokens(
        model=model, messages=[{"role": "user", "content": "hi " * 400}]
    )
    assert 0 < short.input_tokens < long.input_tokens


def test_the_first_generation_sdk_headers_work(base_url: str, api_key: str) -> None:
    """anthropic <= 1.x sends `x-api-key` and `anthropic-version: 2023-06-01`."""
    reply = httpx.post(
        f"{base_url}/messages",
        headers={"x-api-key": api_key, "anthropic-version": "2023-06-01"},
        json={
            "model": "claude-sonnet-4.5",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["type"] == "message"


def test_unknown_key_is_an_authentication_error(base_url: str) -> None:
    bad = anthropic.Anthropic(
        base_url=root_url(base_url), api_key="hk_live_" + "b" * 38, max_retries=0
    )
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(
            model="claude-sonnet-4.5", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )


def test_missing_max_tokens_is_a_bad_request_naming_it(base_url: str, api_key: str) -> None:
    reply = httpx.post(
        f"{base_url}/messages",
        headers={"x-api-key": api_key, "anthropic-version": "2023-06-01"},
        json={"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert reply.status_code == 400
    body = reply.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in body["error"]["message"]
