"""provider-sim's Gemini API, checked with the official `google-genai` SDK as the client,
and the usage rule checked across the three SDKs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import httpx2
import openai
import pytest
from google import genai
from google.genai import errors, types

from hicap.provider_sim.config import Deployment, SimConfig
from hicap.provider_sim.testing import running_sim

KEY = "AIzaSyTestProviderSim"
MODEL = "gemini-3-flash-preview"
SYSTEM = "You are terse."
QUESTION = "Tell me about the weather in Oslo today."
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["c", "f"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit", "days"],
}
WEATHER = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="get_weather",
            description="Current weather for a city",
            parameters_json_schema=WEATHER_SCHEMA,
        )
    ]
)


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_sim(SimConfig(deployments={"tiny": Deployment(rpm=1)})) as url:
        yield url


def _client(url: str, key: str = KEY, **options: object) -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=url, **options))  # type: ignore[arg-type]  # pass-through


@pytest.fixture
def client(sim_url: str) -> genai.Client:
    return _client(sim_url)


def _config(**extra: object) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(system_instruction=SYSTEM, **extra)  # type: ignore[arg-type]  # pass-through


def test_same_request_gets_the_same_answer_and_usage(client: genai.Client) -> None:
    first = client.models.generate_content(model=MODEL, contents=QUESTION, config=_config())
    second = client.models.generate_content(model=MODEL, contents=QUESTION, config=_config())
    assert first.text and first.text == second.text
    assert first.usage_metadata == second.usage_metadata
    assert first.candidates and first.candidates[0].finish_reason == types.FinishReason.STOP
    usage = first.usage_metadata
    assert usage is not None
    assert usage.prompt_token_count == -(-(len(SYSTEM) + len(QUESTION)) // 4)
    assert usage.candidates_token_count == len(first.text.split())


def test_v1beta_and_v1_paths_give_the_same_answer(sim_url: str, client: genai.Client) -> None:
    beta = _client(sim_url, api_version="v1beta")  # kept in a name: see above
    assert (
        beta.models.generate_content(model=MODEL, contents=QUESTION).text
        == client.models.generate_content(model=MODEL, contents=QUESTION).text
    )


def test_stream_gives_the_same_text_and_final_usage(client: genai.Client) -> None:
    whole = client.models.generate_content(model=MODEL, contents=QUESTION, config=_config())
    chunks = list(
        client.models.generate_content_stream(model=MODEL, contents=QUESTION, config=_config())
    )
    assert "".join(c.text or "" for c in chunks) == whole.text
    assert chunks[-1].usage_metadata == whole.usage_metadata
    last = chunks[-1].candidates
    assert last and last[0].finish_reason == types.FinishReason.STOP


def _check_call(call: types.FunctionCall | None) -> None:
    assert call is not None and call.name == "get_weather"
    assert call.args is not None and set(call.args) == {"city", "unit", "days"}
    assert call.args["unit"] in ("c", "f")


def test_function_call_when_a_tool_is_offered(client: genai.Client) -> None:
    answer = client.models.generate_content(
        model=MODEL, contents=QUESTION, config=_config(tools=[WEATHER])
    )
    assert answer.function_calls
    _check_call(answer.function_calls[0])
    assert answer.candidates and answer.candidates[0].finish_reason == types.FinishReason.STOP
    chunks = list(
        client.models.generate_content_stream(
            model=MODEL, contents=QUESTION, config=_config(tools=[WEATHER])
        )
    )
    streamed = [call for c in chunks for call in (c.function_calls or [])]
    assert len(streamed) == 1
    assert streamed[0].args == answer.function_calls[0].args


def test_function_calling_mode_none_gets_text(client: genai.Client) -> None:
    none = types.ToolConfig(
        function_calling_config=types.FunctionCallingConfig(
            mode=types.FunctionCallingConfigMode.NONE
        )
    )
    answer = client.models.generate_content(
        model=MODEL, contents=QUESTION, config=_config(tools=[WEATHER], tool_config=none)
    )
    assert answer.text and not answer.function_calls


def test_json_mode_with_a_schema_returns_matching_json(client: genai.Client) -> None:
    answer = client.models.generate_content(
        model=MODEL,
        contents=QUESTION,
        config=_config(response_mime_type="application/json", response_json_schema=WEATHER_SCHEMA),
    )
    parsed = json.loads(answer.text or "")
    assert set(parsed) == {"city", "unit", "days"}
    typed = client.models.generate_content(
        model=MODEL,
        contents=QUESTION,
        config=_config(
            response_mime_type="application/json",
            response_schema=types.Schema(
                type=types.Type.OBJECT, properties={"n": types.Schema(type=types.Type.INTEGER)}
            ),
        ),
    )
    assert isinstance(json.loads(typed.text or "")["n"], int)
    plain = client.models.generate_content(
        model=MODEL, contents=QUESTION, config=_config(response_mime_type="application/json")
    )
    assert isinstance(json.loads(plain.text or ""), dict)


def test_max_output_tokens_cuts_with_max_tokens(client: genai.Client) -> None:
    answer = client.models.generate_content(
        model=MODEL, contents=QUESTION, config=_config(max_output_tokens=2)
    )
    assert answer.candidates and answer.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert answer.usage_metadata and answer.usage_metadata.candidates_token_count == 2


def test_wrong_key_is_refused_as_google_does(sim_url: str) -> None:
    client = _client(sim_url, key="sk-not-google")  # kept: a dropped client closes its pool
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents="x")
    assert caught.value.code == 400
    assert caught.value.status == "INVALID_ARGUMENT"
    assert "API_KEY_INVALID" in json.dumps(caught.value.details)


def test_key_in_the_query_string_is_accepted(sim_url: str) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": QUESTION}]}]}
    url = f"{sim_url}/v1beta/models/{MODEL}:generateContent"
    assert httpx.post(url, params={"key": KEY}, json=body).status_code == 200
    missing = httpx.post(url, json=body)
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"


def test_raw_stream_is_data_lines_only(sim_url: str) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": QUESTION}]}]}
    response = httpx.post(
        f"{sim_url}/v1beta/models/{MODEL}:streamGenerateContent",
        params={"alt": "sse"},
        json=body,
        headers={"x-goog-api-key": KEY},
    )
    events = [e for e in response.text.split("\n\n") if e]
    assert events and all(e.startswith("data: ") and "\n" not in e for e in events)


def test_rate_limit_is_resource_exhausted(sim_url: str) -> None:
    client = _client(f"{sim_url}/d/tiny")
    client.models.generate_content(model=MODEL, contents=QUESTION)
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents=QUESTION)
    assert caught.value.code == 429
    assert caught.value.status == "RESOURCE_EXHAUSTED"


@pytest.mark.parametrize(("fault", "code"), [("500", 500), ("529", 503)])
def test_server_faults_raise_server_error(sim_url: str, fault: str, code: int) -> None:
    client = _client(sim_url, headers={"x-sim-fault": fault})
    with pytest.raises(errors.ServerError) as caught:
        client.models.generate_content(model=MODEL, contents=QUESTION)
    assert caught.value.code == code


def test_connection_reset_mid_stream_raises_in_the_sdk(sim_url: str) -> None:
    client = _client(sim_url, headers={"x-sim-fault": "reset"})
    received: list[types.GenerateContentResponse] = []
    with pytest.raises(httpx2.TransportError):
        received.extend(client.models.generate_content_stream(model=MODEL, contents=QUESTION))
    assert received


def test_count_tokens_and_embeddings(client: genai.Client) -> None:
    counted = client.models.count_tokens(model=MODEL, contents=QUESTION)
    assert counted.total_tokens == -(-len(QUESTION) // 4)
    embedded = client.models.embed_content(
        model="gemini-embedding-001",
        contents=["a", "b"],
        config=types.EmbedContentConfig(output_dimensionality=16),
    )
    assert embedded.embeddings and len(embedded.embeddings) == 2
    assert len(embedded.embeddings[0].values or []) == 16


def test_models_list_in_gemini_shape(client: genai.Client) -> None:
    names = [m.name for m in client.models.list()]
    assert f"models/{MODEL}" in names


def test_usage_is_identical_across_the_three_formats(sim_url: str, client: genai.Client) -> None:
    gemini = client.models.generate_content(model=MODEL, contents=QUESTION, config=_config())
    oa = openai.OpenAI(base_url=f"{sim_url}/v1", api_key="sk-test-1", max_retries=0)
    chat = oa.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
    )
    an = anthropic.Anthropic(base_url=sim_url, api_key="sk-ant-test-1", max_retries=0)
    message = an.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=1024,
        system=SYSTEM,
        messages=[{"role": "user", "content": QUESTION}],
    )
    assert chat.usage is not None and gemini.usage_metadata is not None
    assert chat.choices[0].message.content == gemini.text == message.content[0].text  # type: ignore[union-attr]  # text block
    assert (
        chat.usage.prompt_tokens
        == message.usage.input_tokens
        == gemini.usage_metadata.prompt_token_count
    )
    assert (
        chat.usage.completion_tokens
        == message.usage.output_tokens
        == gemini.usage_metadata.candidates_token_count
    )
