"""The official `openai` Python SDK, unchanged but for base_url and key, against models
served by OpenAI, Anthropic and Google alike (provider-sim stands in for them)."""

from __future__ import annotations

import json

import openai
import pytest

MODELS = ["gpt-4.1", "claude-sonnet-4.5", "gemini-3.0-flash"]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def client(base_url: str, api_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_chat_completion_answers_with_text_and_usage(client: openai.OpenAI, model: str) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=model,
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Say hello"},
        ],
    )
    completion = raw.parse()
    assert completion.model == model
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert raw.headers["x-hicap-lane"] == "on-demand"
    assert raw.headers["x-request-id"]


@pytest.mark.parametrize("model", MODELS)
def test_streamed_completion_yields_text_then_usage(client: openai.OpenAI, model: str) -> None:
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Tell me a short story"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert text
    assert finish == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


@pytest.mark.parametrize("model", MODELS)
def test_stream_without_include_usage_sends_no_usage_chunk(
    client: openai.OpenAI, model: str
) -> None:
    chunks = list(
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert chunks and all(c.usage is None for c in chunks)


@pytest.mark.parametrize("model", MODELS)
def test_tool_call_is_returned_with_json_arguments(client: openai.OpenAI, model: str) -> None:
    completion = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)
    assert call.id


@pytest.mark.parametrize("model", MODELS)
def test_streamed_tool_call_accumulates_with_the_sdk_helper(
    client: openai.OpenAI, model: str
) -> None:
    with client.chat.completions.stream(
        model=model,
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    ) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)
    assert final.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("model", MODELS)
def test_json_schema_response_format_gives_json_of_that_schema(
    client: openai.OpenAI, model: str
) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    completion = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Invent a person"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": schema, "strict": True},
        },
    )
    value = json.loads(completion.choices[0].message.content or "")
    assert isinstance(value["name"], str) and isinstance(value["age"], int)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_output_limit_ends_with_length(client: openai.OpenAI, model: str, field: str) -> None:
    completion = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Write a long essay about the sea"}],
        **{field: 5},
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 5


def test_models_list_shows_the_catalogue(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert set(MODELS) <= ids
    assert {"gpt-5.4", "claude-opus-4.6", "gemini-3.1-pro"} <= ids


def test_unknown_key_is_an_authentication_error(base_url: str) -> None:
    bad = openai.OpenAI(base_url=base_url, api_key="hk_live_" + "a" * 38, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "x"}])


def test_unknown_model_is_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )


def test_empty_messages_is_a_bad_request_naming_the_field(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4.1", messages=[])
    assert "messages" in str(caught.value)
