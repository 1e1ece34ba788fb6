"""provider-sim's pure core: the deterministic answer, the usage rule, schema values,
the rate limiter with an injected clock, key shapes and the error table."""

from __future__ import annotations

import json
import random

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hicap.provider_sim.config import Deployment, Provider
from hicap.provider_sim.errors import ErrorKind, SimError, render_error
from hicap.provider_sim.generate import (
    Finish,
    JsonMode,
    SimRequest,
    ToolSpec,
    Turn,
    complete,
    input_tokens,
)
from hicap.provider_sim.keys import KeyCheck, check_key
from hicap.provider_sim.limits import LimitKind, RateLimited, RateLimiter
from hicap.provider_sim.schema_values import value_for_schema

TURNS = (Turn("system", "Be brief."), Turn("user", "Hello there, how are you?"))
TOOL = ToolSpec(
    "lookup",
    "Look a thing up",
    {"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer"}}},
)


@given(st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_same_request_same_completion(texts: list[str]) -> None:
    request = SimRequest(turns=tuple(Turn("user", t) for t in texts))
    assert complete(request) == complete(request)


def test_input_tokens_are_a_quarter_of_the_characters_rounded_up() -> None:
    chars = len("Be brief.") + len("Hello there, how are you?")
    assert input_tokens(SimRequest(turns=TURNS)) == -(-chars // 4)
    schema_chars = len(
        '{"properties":{"n":{"type":"integer"},"q":{"type":"string"}},"type":"object"}'
    )
    with_tool = SimRequest(turns=TURNS, tools=(TOOL,))
    assert input_tokens(with_tool) == -(-(chars + 6 + 15 + schema_chars) // 4)


def test_output_tokens_are_the_words_and_the_limit_cuts_a_prefix() -> None:
    full = complete(SimRequest(turns=TURNS))
    assert full.finish is Finish.STOP
    assert full.usage.output_tokens == len(full.text.split()) == len(full.pieces)
    cut = complete(SimRequest(turns=TURNS, max_output_tokens=3))
    assert cut.finish is Finish.LENGTH and cut.pieces == full.pieces[:3]
    assert cut.usage.output_tokens == 3


def test_system_turns_count_first_wherever_they_come() -> None:
    moved = (TURNS[1], TURNS[0])
    assert complete(SimRequest(turns=moved)).text == complete(SimRequest(turns=TURNS)).text


def test_tool_call_unless_forbidden_or_answering_a_tool_result() -> None:
    call = complete(SimRequest(turns=TURNS, tools=(TOOL,)))
    assert call.finish is Finish.TOOL and call.tool_call is not None
    args = json.loads(call.tool_call.arguments)
    assert isinstance(args["q"], str) and isinstance(args["n"], int)
    assert call.usage.output_tokens == len(call.tool_call.pieces)
    assert complete(SimRequest(turns=TURNS, tools=(TOOL,), tools_allowed=False)).tool_call is None
    after = (*TURNS, Turn("tool", "42"))
    assert complete(SimRequest(turns=after, tools=(TOOL,))).tool_call is None


def test_a_tool_call_that_does_not_fit_becomes_cut_text() -> None:
    cut = complete(SimRequest(turns=TURNS, tools=(TOOL,), max_output_tokens=1))
    assert cut.tool_call is None and cut.finish is Finish.LENGTH and len(cut.pieces) == 1


def test_reasoning_and_cached_tokens() -> None:
    plain = complete(SimRequest(turns=TURNS))
    thinking = complete(SimRequest(turns=TURNS, reasoning=True, cached_tokens=10_000))
    assert 8 <= thinking.usage.reasoning_tokens < 32
    assert thinking.usage.output_tokens == len(thinking.pieces) + thinking.usage.reasoning_tokens
    assert thinking.usage.cached_tokens == thinking.usage.input_tokens  # capped at the input
    assert plain.usage.reasoning_tokens == 0


def test_json_modes_give_json() -> None:
    as_object = complete(SimRequest(turns=TURNS, json_mode=JsonMode.OBJECT))
    assert isinstance(json.loads(as_object.text)["answer"], str)
    schema = {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"enum": [1, 2]}}},
    }
    as_schema = complete(SimRequest(turns=TURNS, json_mode=JsonMode.SCHEMA, json_schema=schema))
    assert set(json.loads(as_schema.text)["tags"]) <= {1, 2}


def test_schema_values_follow_refs_bounds_and_nullable_types() -> None:
    schema = {
        "$defs": {"Item": {"type": "object", "properties": {"k": {"type": ["string", "null"]}}}},
        "type": "object",
        "properties": {
            "item": {"$ref": "#/$defs/Item"},
            "score": {"type": "number", "minimum": 5, "maximum": 6},
            "flag": {"type": "BOOLEAN"},
            "pick": {
                "anyOf": [{"type": "integer", "minimum": 3, "maximum": 3}, {"type": "string"}]
            },
            "fixed": {"const": "x"},
            "many": {"type": "array", "items": {"type": "string"}, "minItems": 3},
        },
    }
    value = value_for_schema(schema, random.Random(1))
    assert isinstance(value["item"]["k"], str)
    assert 5 <= value["score"] <= 6 and isinstance(value["flag"], bool)
    assert value["pick"] == 3 and value["fixed"] == "x" and len(value["many"]) == 3


def test_rate_limiter_counts_requests_in_a_sliding_window() -> None:
    now = [0.0]
    limiter = RateLimiter(lambda: now[0])
    deployment = Deployment(rpm=2, window_s=60.0)
    assert limiter.admit("d", deployment, 1) is not None
    now[0] = 10.0
    quota = limiter.admit("d", deployment, 1)
    assert quota is not None and quota.requests_remaining == 0
    with pytest.raises(RateLimited) as caught:
        limiter.admit("d", deployment, 1)
    assert caught.value.kind is LimitKind.REQUESTS
    assert caught.value.retry_after_s == pytest.approx(50.0)
    now[0] = 60.0
    assert limiter.admit("d", deployment, 1) is not None


def test_rate_limiter_counts_tokens_and_ignores_unlimited_deployments() -> None:
    now = [0.0]
    limiter = RateLimiter(lambda: now[0])
    deployment = Deployment(tpm=100, window_s=60.0)
    limiter.admit("d", deployment, 60)
    now[0] = 30.0
    with pytest.raises(RateLimited) as caught:
        limiter.admit("d", deployment, 50)
    assert caught.value.kind is LimitKind.TOKENS
    assert caught.value.retry_after_s == pytest.approx(30.0)
    assert limiter.admit("free", Deployment(), 10**9) is None


@pytest.mark.parametrize(
    ("provider", "key", "verdict"),
    [
        (Provider.OPENAI, "sk-proj-abc123", KeyCheck.OK),
        (Provider.OPENAI, "sk-ant-abc123", KeyCheck.INVALID),
        (Provider.ANTHROPIC, "sk-ant-api03-abc", KeyCheck.OK),
        (Provider.ANTHROPIC, "sk-abc123", KeyCheck.INVALID),
        (Provider.GEMINI, "AIzaSyAbc", KeyCheck.OK),
        (Provider.GEMINI, "", KeyCheck.MISSING),
        (Provider.GEMINI, "own-key", KeyCheck.OK),
    ],
)
def test_key_shapes(provider: Provider, key: str, verdict: KeyCheck) -> None:
    assert check_key(provider, key, frozenset({"own-key"})) is verdict


@pytest.mark.parametrize(
    ("provider", "kind", "status"),
    [
        (Provider.OPENAI, ErrorKind.OVERLOADED, 503),
        (Provider.ANTHROPIC, ErrorKind.OVERLOADED, 529),
        (Provider.GEMINI, ErrorKind.OVERLOADED, 503),
        (Provider.OPENAI, ErrorKind.INVALID_KEY, 401),
        (Provider.ANTHROPIC, ErrorKind.INVALID_KEY, 401),
        (Provider.GEMINI, ErrorKind.INVALID_KEY, 400),
        (Provider.GEMINI, ErrorKind.RATE_LIMITED, 429),
    ],
)
def test_error_table(provider: Provider, kind: ErrorKind, status: int) -> None:
    response = render_error(SimError(provider, kind, request_id="req_1"))
    assert response.status_code == status
    body = orjson.loads(bytes(response.body))
    assert "error" in body
