"""What each adapter sends upstream (path, headers, the fields each provider needs) and
how it classifies the provider's errors."""

from __future__ import annotations

import orjson
import pytest

from hicap.errors import (
    DeadlineExceeded,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamFailed,
)
from hicap.provider_egress.ir import ChatRequest, Message, ResponseFormat, TextPart, Tool, ToolCall
from hicap.provider_egress.wire.base import ProviderKind
from hicap.provider_egress.wire.estimate import estimate_input_tokens
from hicap.provider_egress.wire.registry import ADAPTERS, SURFACES, adapter_for, surface_for

HI = (Message("user", (TextPart("hi"),)),)


def body_of(kind: ProviderKind, req: ChatRequest, model: str = "up") -> dict[str, object]:
    out = orjson.loads(adapter_for(kind).build_request(req, model).body)
    assert isinstance(out, dict)
    return out


def test_openai_streams_always_ask_for_usage_and_send_max_completion_tokens() -> None:
    req = ChatRequest("m", HI, max_tokens=9, stream=True)
    upstream = adapter_for(ProviderKind.OPENAI).build_request(req, "gpt-x")
    body = orjson.loads(upstream.body)
    assert (upstream.path, upstream.stream) == ("/chat/completions", True)
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 9 and "max_tokens" not in body
    assert body_of(ProviderKind.OPENAI_COMPATIBLE, req)["max_tokens"] == 9


def test_auth_headers_per_provider() -> None:
    assert adapter_for(ProviderKind.OPENAI).auth_headers("sk-1") == {"authorization": "Bearer sk-1"}
    assert adapter_for(ProviderKind.ANTHROPIC).auth_headers("sk-ant-1") == {"x-api-key": "sk-ant-1"}
    assert adapter_for(ProviderKind.GEMINI).auth_headers("AIza1") == {"x-goog-api-key": "AIza1"}
    upstream = adapter_for(ProviderKind.ANTHROPIC).build_request(ChatRequest("m", HI), "c")
    assert ("anthropic-version", "2023-06-01") in upstream.headers


def test_anthropic_lifts_system_merges_tool_results_and_defaults_max_tokens() -> None:
    call = ToolCall("t1", "f", "{}")
    messages = (
        Message("system", (TextPart("rules"),)),
        *HI,
        Message("assistant", tool_calls=(call, ToolCall("t2", "f", "{}"))),
        Message("tool", (TextPart("r1"),), tool_call_id="t1"),
        Message("tool", (TextPart("r2"),), tool_call_id="t2"),
        Message("user", (TextPart("next"),)),
    )
    body = body_of(
        ProviderKind.ANTHROPIC,
        ChatRequest("m", messages, response_format=ResponseFormat("json_object")),
    )
    assert body["max_tokens"] == 4096
    assert str(body["system"]).startswith("rules") and "JSON" in str(body["system"])
    last = body["messages"][-1]  # type: ignore[index]  # a list of turns
    assert [b["type"] for b in last["content"]] == ["tool_result", "tool_result", "text"]
    assert (
        adapter_for(ProviderKind.ANTHROPIC).build_count_tokens(ChatRequest("m", HI), "c").path
        == "/v1/messages/count_tokens"
    )  # type: ignore[union-attr]  # Anthropic counts


def test_gemini_paths_schema_dialect_and_function_names() -> None:
    tool = Tool(
        "f",
        "",
        {
            "$schema": "x",
            "type": "object",
            "additionalProperties": False,
            "properties": {"a": {"type": ["string", "null"]}},
        },
    )
    messages = (
        *HI,
        Message("assistant", tool_calls=(ToolCall("c1", "f", '{"a":"x"}'),)),
        Message("tool", (TextPart("done"),), tool_call_id="c1"),
    )
    gemini = adapter_for(ProviderKind.GEMINI)
    assert (
        gemini.build_request(ChatRequest("m", HI), "gemini-x").path
        == "/v1beta/models/gemini-x:generateContent"
    )
    assert (
        gemini.build_request(ChatRequest("m", HI, stream=True), "g").path
        == "/v1beta/models/g:streamGenerateContent?alt=sse"
    )
    assert (
        gemini.build_count_tokens(ChatRequest("m", HI), "g").path == "/v1beta/models/g:countTokens"
    )  # type: ignore[union-attr]  # Gemini counts
    body = body_of(ProviderKind.GEMINI, ChatRequest("m", messages, tools=(tool,)))
    declared = body["tools"][0]["functionDeclarations"][0]["parameters"]  # type: ignore[index]  # nested JSON
    assert declared == {"type": "OBJECT", "properties": {"a": {"type": "STRING", "nullable": True}}}
    answer = body["contents"][-1]["parts"][0]["functionResponse"]  # type: ignore[index]  # nested JSON
    assert answer == {"id": "c1", "name": "f", "response": {"result": "done"}}


def test_a_tool_result_without_its_call_is_refused_for_gemini() -> None:
    req = ChatRequest("m", (*HI, Message("tool", (TextPart("x"),), tool_call_id="nope")))
    with pytest.raises(InvalidRequest, match="nope"):
        adapter_for(ProviderKind.GEMINI).build_request(req, "g")


def test_gemini_answers_get_stable_tool_call_ids() -> None:
    body = orjson.dumps(
        {
            "candidates": [
                {
                    "content": {"parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]},
                    "finishReason": "STOP",
                }
            ]
        }
    )
    first = adapter_for(ProviderKind.GEMINI).parse_response(body)
    assert first.finish_reason == "tool_calls"
    assert (
        first.tool_calls[0].id
        == adapter_for(ProviderKind.GEMINI).parse_response(body).tool_calls[0].id
    )


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (400, InvalidRequest, False),
        (401, Unauthenticated, False),
        (403, PermissionDenied, False),
        (404, NotFound, False),
        (413, PayloadTooLarge, False),
        (429, RateLimited, True),
        (500, UpstreamFailed, True),
        (502, UpstreamFailed, True),
        (503, UpstreamFailed, True),
        (529, UpstreamFailed, True),
        (504, DeadlineExceeded, True),
    ],
)
@pytest.mark.parametrize("kind", list(ProviderKind))
def test_errors_are_classified_by_status(
    kind: ProviderKind, status: int, error: type[Exception], retryable: bool
) -> None:
    body = b'{"error": {"message": "went wrong for sk-abcdef123456", "type": "x"}}'
    got = adapter_for(kind).classify_error(status, {"Retry-After": "3"}, body)
    assert type(got) is error and got.retryable is retryable
    assert "sk-abcdef" not in got.message
    if status == 429:
        assert got.retry_after_s == 3.0


def test_retry_delays_from_ms_header_and_gemini_retry_info() -> None:
    got = adapter_for(ProviderKind.OPENAI).classify_error(429, {"retry-after-ms": "250"}, b"")
    assert got.retry_after_s == 0.25
    body = orjson.dumps(
        {
            "error": {
                "code": 429,
                "message": "quota",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}
                ],
            }
        }
    )
    assert adapter_for(ProviderKind.GEMINI).classify_error(429, {}, body).retry_after_s == 7.0


def test_key_errors_never_echo_the_provider_text() -> None:
    body = b'{"error": {"message": "Incorrect API key provided: sk-proj-abc***xyz"}}'
    got = adapter_for(ProviderKind.OPENAI).classify_error(401, {}, body)
    assert "refused the key" in got.message and "sk-" not in got.message
    gemini_bad_key = orjson.dumps(
        {
            "error": {
                "code": 400,
                "message": "API key not valid",
                "details": [{"reason": "API_KEY_INVALID"}],
            }
        }
    )
    assert isinstance(
        adapter_for(ProviderKind.GEMINI).classify_error(400, {}, gemini_bad_key), Unauthenticated
    )


def test_anthropic_overloaded_and_stream_errors_raise() -> None:
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    assert adapter_for(ProviderKind.ANTHROPIC).classify_error(529, {}, body).retryable
    with pytest.raises(UpstreamFailed, match="Overloaded"):
        adapter_for(ProviderKind.ANTHROPIC).stream_decoder().feed("error", body)
    with pytest.raises(RateLimited):
        adapter_for(ProviderKind.GEMINI).stream_decoder().feed(
            "", b'{"error":{"code":429,"message":"slow down"}}'
        )
    with pytest.raises(UpstreamFailed):
        adapter_for(ProviderKind.OPENAI).stream_decoder().feed(
            "", b'{"error":{"message":"boom","type":"server_error"}}'
        )


def test_registry_covers_every_kind_and_refuses_unknown_ones() -> None:
    assert set(ADAPTERS) == set(ProviderKind)
    assert len(SURFACES) == 3
    with pytest.raises(InvalidRequest):
        adapter_for("mistral")
    with pytest.raises(InvalidRequest):
        surface_for(0)


def test_local_estimate_is_a_quarter_of_the_characters() -> None:
    req = ChatRequest(
        "m", (Message("user", (TextPart("a" * 10),)),), tools=(Tool("f", "dd", {"type": "object"}),)
    )
    assert estimate_input_tokens(req) == -(-(10 + 1 + 2 + len('{"type":"object"}')) // 4)
    assert adapter_for(ProviderKind.OPENAI).build_count_tokens(req, "g") is None
