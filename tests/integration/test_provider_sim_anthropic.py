"""provider-sim's Anthropic API, checked with the official `anthropic` SDK as the client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import httpx2
import pytest

from hicap.provider_sim.config import Deployment, SimConfig
from hicap.provider_sim.testing import running_sim

KEY = "sk-ant-test-provider-sim"
MODEL = "claude-sonnet-4-5"
SYSTEM = "You are terse."
MESSAGES: list[anthropic.types.MessageParam] = [
    {"role": "user", "content": "Tell me about the weather in Oslo today."}
]
WEATHER_TOOL: anthropic.types.ToolParam = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["c", "f"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city", "unit", "days"],
    },
}
EXPECTED_EVENTS = [
    "message_start",
    "content_block_start",
    "ping",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_sim(SimConfig()) as url:
        yield url


@pytest.fixture
def client(sim_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sim_url, api_key=KEY, max_retries=0)


def _create(client: anthropic.Anthropic, **extra: object) -> anthropic.types.Message:
    return client.messages.create(  # type: ignore[call-overload,no-any-return]  # test pass-through
        model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES, **extra
    )


def test_same_request_gets_the_same_message_and_usage(client: anthropic.Anthropic) -> None:
    first, second = _create(client), _create(client)
    assert first.content == second.content
    assert first.usage == second.usage
    assert first.stop_reason == "end_turn"
    assert first.content[0].type == "text" and first.content[0].text
    chars = len(SYSTEM) + len(str(MESSAGES[0]["content"]))
    assert first.usage.input_tokens == -(-chars // 4)
    assert first.usage.output_tokens == len(first.content[0].text.split())


def test_stream_helper_gives_the_same_final_message(client: anthropic.Anthropic) -> None:
    whole = _create(client)
    with client.messages.stream(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert final.content[0].text == whole.content[0].text == text  # type: ignore[union-attr]  # text blocks
    assert final.usage.output_tokens == whole.usage.output_tokens
    assert final.usage.input_tokens == whole.usage.input_tokens
    assert final.stop_reason == "end_turn"


def test_raw_stream_has_the_exact_event_sequence(sim_url: str) -> None:
    body = {"model": MODEL, "max_tokens": 64, "messages": MESSAGES, "stream": True}
    response = httpx.post(
        f"{sim_url}/v1/messages",
        json=body,
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
    )
    events = [e for e in response.text.split("\n\n") if e]
    names = [e.splitlines()[0].removeprefix("event: ") for e in events]
    collapsed = [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]]
    assert collapsed == EXPECTED_EVENTS
    for event, name in zip(events, names, strict=True):
        assert json.loads(event.splitlines()[1].removeprefix("data: "))["type"] == name
    assert response.headers["request-id"].startswith("req_")


def test_tool_use_block_when_a_tool_is_offered(client: anthropic.Anthropic) -> None:
    message = _create(client, tools=[WEATHER_TOOL])
    assert message.stop_reason == "tool_use"
    block = message.content[0]
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.id.startswith("toolu_")
    assert set(block.input) == {"city", "unit", "days"}  # type: ignore[arg-type]  # a dict
    assert block.input["unit"] in ("c", "f")  # type: ignore[index]  # a dict


def test_streamed_tool_use_accumulates_input_json_delta(client: anthropic.Anthropic) -> None:
    whole = _create(client, tools=[WEATHER_TOOL])
    with client.messages.stream(
        model=MODEL, max_tokens=256, system=SYSTEM, messages=MESSAGES, tools=[WEATHER_TOOL]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert "input_json" in kinds
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == whole.content[0].input  # type: ignore[union-attr]  # tool_use


def test_tool_choice_none_gets_text(client: anthropic.Anthropic) -> None:
    message = _create(client, tools=[WEATHER_TOOL], tool_choice={"type": "none"})
    assert message.content[0].type == "text"


def test_max_tokens_cuts_with_stop_reason_max_tokens(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model=MODEL, max_tokens=3, messages=MESSAGES)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 3
    with client.messages.stream(model=MODEL, max_tokens=3, messages=MESSAGES) as stream:
        assert stream.get_final_message().stop_reason == "max_tokens"


def test_json_schema_output_config_gives_parseable_json(client: anthropic.Anthropic) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["name", "n"],
        "additionalProperties": False,
    }
    message = _create(
        client, extra_body={"output_config": {"format": {"type": "json_schema", "schema": schema}}}
    )
    parsed = json.loads(message.content[0].text)  # type: ignore[union-attr]  # a text block
    assert set(parsed) == {"name", "n"}


def test_count_tokens_matches_the_input_tokens(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(model=MODEL, system=SYSTEM, messages=MESSAGES)
    assert counted.input_tokens == _create(client).usage.input_tokens
    with_tools = client.messages.count_tokens(
        model=MODEL, system=SYSTEM, messages=MESSAGES, tools=[WEATHER_TOOL]
    )
    assert with_tools.input_tokens > counted.input_tokens


def test_cached_tokens_are_cache_reads_outside_input_tokens(client: anthropic.Anthropic) -> None:
    plain = _create(client)
    cached = _create(client, extra_headers={"x-sim-cached-tokens": "4"})
    assert cached.usage.cache_read_input_tokens == 4
    assert cached.usage.input_tokens == plain.usage.input_tokens - 4


@pytest.mark.parametrize("key", ["sk-proj-abcdef", "not-a-key"])
def test_a_key_of_the_wrong_shape_is_refused_with_401(sim_url: str, key: str) -> None:
    client = anthropic.Anthropic(base_url=sim_url, api_key=key, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        _create(client)
    assert caught.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]  # dict body
    assert key not in str(caught.value.body)


def test_both_sdk_generations_key_headers_are_accepted(sim_url: str) -> None:
    body = {"model": MODEL, "max_tokens": 16, "messages": MESSAGES}
    old = httpx.post(
        f"{sim_url}/v1/messages?beta=true",
        json=body,
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
    )
    new = httpx.post(
        f"{sim_url}/v1/messages",
        json=body,
        headers={"authorization": f"Bearer {KEY}", "anthropic-version": "2026-10-21"},
    )
    assert old.status_code == new.status_code == 200
    assert old.json()["content"] == new.json()["content"]


def test_missing_max_tokens_is_a_400_in_anthropic_shape(sim_url: str) -> None:
    response = httpx.post(
        f"{sim_url}/v1/messages",
        json={"model": MODEL, "messages": MESSAGES},
        headers={"x-api-key": KEY},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"
    malformed = httpx.post(f"{sim_url}/v1/messages", content=b"{", headers={"x-api-key": KEY})
    assert malformed.status_code == 400


def test_overloaded_fault_raises_overloaded_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.OverloadedError) as caught:
        _create(client, extra_headers={"x-sim-fault": "529"})
    assert caught.value.status_code == 529


def test_server_fault_raises_internal_server_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.InternalServerError) as caught:
        _create(client, extra_headers={"x-sim-fault": "500"})
    assert caught.value.status_code == 500


def test_rate_limit_answers_rate_limit_error_with_headers() -> None:
    with running_sim(SimConfig(deployments={"tiny": Deployment(rpm=1)})) as url:
        client = anthropic.Anthropic(base_url=f"{url}/d/tiny", api_key=KEY, max_retries=0)
        ok = client.messages.with_raw_response.create(model=MODEL, max_tokens=16, messages=MESSAGES)
        assert ok.headers["anthropic-ratelimit-requests-remaining"] == "0"
        with pytest.raises(anthropic.RateLimitError) as caught:
            _create(client)
        headers = caught.value.response.headers
        assert int(headers["retry-after"]) >= 1
        assert headers["anthropic-ratelimit-requests-limit"] == "1"
        assert caught.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]  # dict body


def test_connection_reset_mid_stream_raises_in_the_sdk(client: anthropic.Anthropic) -> None:
    texts: list[str] = []
    with (
        pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)),
        client.messages.stream(
            model=MODEL,
            max_tokens=256,
            messages=MESSAGES,
            extra_headers={"x-sim-fault": "reset"},
        ) as stream,
    ):
        texts.extend(stream.text_stream)
    assert texts  # part of the answer arrived first


def test_models_list_in_anthropic_shape(client: anthropic.Anthropic) -> None:
    assert MODEL in [m.id for m in client.models.list()]
