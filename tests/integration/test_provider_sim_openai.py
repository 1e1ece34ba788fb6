"""provider-sim's OpenAI API, checked with the official `openai` SDK as the client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from hicap.provider_sim.config import Deployment, Fault, SimConfig
from hicap.provider_sim.testing import running_sim

KEY = "sk-test-provider-sim"
OWN_KEY = "hicap-deployment-key-1"
MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Tell me about the weather in Oslo today."},
]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit", "days"],
            "additionalProperties": False,
        },
    },
}
CONFIG = SimConfig(
    accepted_keys=frozenset({OWN_KEY}),
    deployments={"broken": Deployment(fault=Fault.SERVER_ERROR)},
)


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_sim(CONFIG) as url:
        yield url


@pytest.fixture
def client(sim_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{sim_url}/v1", api_key=KEY, max_retries=0)


def test_same_request_gets_the_same_answer_and_usage(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    second = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    assert first.choices[0].message.content
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.choices[0].finish_reason == "stop"
    assert first.usage == second.usage
    assert first.usage is not None
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens


def test_usage_follows_the_documented_rule(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    chars = sum(len(str(m["content"])) for m in MESSAGES)
    assert answer.usage is not None
    assert answer.usage.prompt_tokens == -(-chars // 4)
    words = str(answer.choices[0].message.content).split()
    assert answer.usage.completion_tokens == len(words)


def test_stream_with_include_usage_ends_with_a_usage_chunk(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    chunks = list(
        client.chat.completions.create(
            model="gpt-4.1",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, stream=True))
    assert all(c.choices for c in chunks)


def test_stream_helper_accumulates_the_same_message(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    with client.chat.completions.stream(model="gpt-4.1", messages=MESSAGES) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == whole.choices[0].message.content
    assert final.choices[0].message.role == "assistant"


def _check_weather_arguments(arguments: str) -> None:
    args = json.loads(arguments)
    assert set(args) == {"city", "unit", "days"}
    assert isinstance(args["city"], str)
    assert args["unit"] in ("c", "f")
    assert isinstance(args["days"], int) and 1 <= args["days"] <= 7


def test_tool_call_when_a_tool_is_offered(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, tools=[WEATHER_TOOL]
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls or []
    assert len(calls) == 1 and calls[0].type == "function"
    assert calls[0].function.name == "get_weather"
    assert calls[0].id.startswith("call_")
    _check_weather_arguments(calls[0].function.arguments)


def test_streamed_tool_call_accumulates_in_the_stream_helper(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, tools=[WEATHER_TOOL])
    with client.chat.completions.stream(
        model="gpt-4.1", messages=MESSAGES, tools=[WEATHER_TOOL]
    ) as stream:
        final = stream.get_final_completion()
    streamed = (final.choices[0].message.tool_calls or [])[0]
    expected = (whole.choices[0].message.tool_calls or [])[0]
    assert final.choices[0].finish_reason == "tool_calls"
    assert streamed.id == expected.id
    assert streamed.function.name == "get_weather"
    assert streamed.function.arguments == expected.function.arguments
    _check_weather_arguments(streamed.function.arguments)


def test_raw_tool_call_stream_sends_id_and_name_once(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="gpt-4.1", messages=MESSAGES, tools=[WEATHER_TOOL], stream=True
        )
    )
    deltas = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id and deltas[0].function and deltas[0].function.name == "get_weather"
    assert all(d.id is None and d.index == 0 for d in deltas[1:])
    _check_weather_arguments("".join((d.function and d.function.arguments) or "" for d in deltas))


def test_tool_choice_none_and_a_tool_result_get_text(client: openai.OpenAI) -> None:
    forbidden = client.chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert forbidden.choices[0].message.tool_calls is None
    after_tool = client.chat.completions.create(
        model="gpt-4.1",
        tools=[WEATHER_TOOL],
        messages=[
            *MESSAGES,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "4 C, rain"},
        ],
    )
    assert after_tool.choices[0].finish_reason == "stop"
    assert after_tool.choices[0].message.content


def test_json_schema_mode_returns_json_matching_the_schema(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "score": {"type": "number"},
            "ok": {"type": "boolean"},
        },
        "required": ["name", "tags", "score", "ok"],
        "additionalProperties": False,
    }
    answer = client.chat.completions.create(
        model="gpt-4.1",
        messages=MESSAGES,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "card", "schema": schema, "strict": True},
        },
    )
    parsed = json.loads(answer.choices[0].message.content or "")
    assert set(parsed) == {"name", "tags", "score", "ok"}
    assert isinstance(parsed["tags"], list) and isinstance(parsed["ok"], bool)
    json_object = client.chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(json_object.choices[0].message.content or ""), dict)


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_output_limit_cuts_with_finish_reason_length(client: openai.OpenAI, field: str) -> None:
    limits: dict[str, int] = {field: 2}
    answer = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, **limits)  # type: ignore[call-overload]  # one of two keyword names
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 2
    chunks = list(
        client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, stream=True, **limits)  # type: ignore[call-overload]  # as above
    )
    assert [c.choices[0].finish_reason for c in chunks][-1] == "length"


def test_reasoning_model_reports_reasoning_tokens_and_cached_tokens(
    client: openai.OpenAI,
) -> None:
    answer = client.chat.completions.create(
        model="gpt-5.4", messages=MESSAGES, extra_headers={"x-sim-cached-tokens": "5"}
    )
    usage = answer.usage
    assert usage is not None and usage.completion_tokens_details is not None
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    assert reasoning >= 8
    words = str(answer.choices[0].message.content).split()
    assert usage.completion_tokens == len(words) + reasoning
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 5


@pytest.mark.parametrize("key", ["sk-ant-api03-abcdef", "bogus-key", "AIzaSyAbc123"])
def test_a_key_of_the_wrong_shape_is_refused_with_401(sim_url: str, key: str) -> None:
    client = openai.OpenAI(base_url=f"{sim_url}/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert key not in str(caught.value.body)


def test_a_configured_deployment_key_is_accepted(sim_url: str) -> None:
    client = openai.OpenAI(base_url=f"{sim_url}/v1", api_key=OWN_KEY, max_retries=0)
    assert client.chat.completions.create(model="gpt-4.1", messages=MESSAGES).choices


def test_rate_limit_answers_429_with_headers_and_retry_after_is_honoured() -> None:
    config = SimConfig(deployments={"tiny": Deployment(rpm=1, window_s=1.0)})
    with running_sim(config) as url:
        base = f"{url}/d/tiny/v1"
        strict = openai.OpenAI(base_url=base, api_key=KEY, max_retries=0)
        ok = strict.chat.completions.with_raw_response.create(model="gpt-4.1", messages=MESSAGES)
        assert ok.headers["x-ratelimit-limit-requests"] == "1"
        assert ok.headers["x-ratelimit-remaining-requests"] == "0"
        with pytest.raises(openai.RateLimitError) as caught:
            strict.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
        assert caught.value.code == "rate_limit_exceeded"
        assert caught.value.type == "requests"
        assert caught.value.response.headers["retry-after"] == "1"
        assert "x-ratelimit-reset-requests" in caught.value.response.headers
        patient = openai.OpenAI(base_url=base, api_key=KEY, max_retries=1)
        started = time.monotonic()
        assert patient.chat.completions.create(model="gpt-4.1", messages=MESSAGES).choices
        assert time.monotonic() - started > 0.2  # it waited for the window


def test_token_limit_answers_429_of_type_tokens() -> None:
    config = SimConfig(deployments={"tpm": Deployment(tpm=10)})
    with running_sim(config) as url:
        client = openai.OpenAI(base_url=f"{url}/d/tpm/v1", api_key=KEY, max_retries=0)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
        assert caught.value.type == "tokens"


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("529", 503)])
def test_injected_server_faults_raise_internal_server_error(
    client: openai.OpenAI, fault: str, status: int
) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(
            model="gpt-4.1", messages=MESSAGES, extra_headers={"x-sim-fault": fault}
        )
    assert caught.value.status_code == status


def test_a_deployment_configured_to_fail_fails(sim_url: str) -> None:
    client = openai.OpenAI(base_url=f"{sim_url}/d/broken/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)


def test_connection_reset_mid_stream_raises_in_the_sdk(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, stream=True, extra_headers={"x-sim-fault": "reset"}
    )
    received = []
    with pytest.raises(openai.APIConnectionError):
        received.extend(stream)
    assert received  # some chunks arrived before the reset


def test_connection_reset_without_stream_raises_a_connection_error(
    client: openai.OpenAI,
) -> None:
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(
            model="gpt-4.1", messages=MESSAGES, extra_headers={"x-sim-fault": "reset"}
        )


def test_time_to_first_token_header_delays_the_first_chunk(client: openai.OpenAI) -> None:
    started = time.monotonic()
    stream = client.chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, stream=True, extra_headers={"x-sim-ttft-ms": "300"}
    )
    first_content = next(c for c in stream if c.choices and c.choices[0].delta.content)
    assert first_content and time.monotonic() - started >= 0.3


def test_embeddings_default_base64_and_floats(client: openai.OpenAI) -> None:
    decoded = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"])
    assert [d.index for d in decoded.data] == [0, 1]
    assert len(decoded.data[0].embedding) == 1536
    floats = client.embeddings.create(
        model="text-embedding-3-small", input="a b", encoding_format="float", dimensions=8
    )
    assert len(floats.data[0].embedding) == 8
    assert floats.usage.prompt_tokens == 1
    again = client.embeddings.create(model="text-embedding-3-small", input="a b", dimensions=8)
    assert again.data[0].embedding == pytest.approx(floats.data[0].embedding, rel=1e-6)


def test_models_list(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert "gpt-4.1" in ids


def test_malformed_json_is_a_400_in_openai_shape(sim_url: str) -> None:
    response = httpx.post(
        f"{sim_url}/v1/chat/completions",
        content=b"{not json",
        headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert response.headers["x-request-id"].startswith("req_")


def test_sse_framing_is_data_lines_and_done(sim_url: str) -> None:
    body = {"model": "gpt-4.1", "messages": MESSAGES, "stream": True}
    response = httpx.post(
        f"{sim_url}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {KEY}"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-2] == "data: [DONE]" and events[-1] == ""
    assert all(e.startswith("data: ") for e in events[:-1])
