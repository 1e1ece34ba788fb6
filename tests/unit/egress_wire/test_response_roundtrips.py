"""An answer rendered in a format and parsed back by that format's adapter is the same
answer: text, tool calls, finish reason and usage (cache reads, cache writes and
reasoning tokens where the format can carry them)."""

from __future__ import annotations

import dataclasses

import orjson
from hypothesis import given

from hicap.events.v1.egress_pb2 import Surface
from hicap.provider_egress.ir import ChatResponse
from hicap.provider_egress.wire.base import ProviderKind
from hicap.provider_egress.wire.gemini.response import encode_response as gemini_encode
from hicap.provider_egress.wire.registry import adapter_for, surface_for
from tests.unit.egress_wire.ir_strategies import responses


@given(responses(prefix="chatcmpl-"))
def test_openai_answer_round_trips(resp: ChatResponse) -> None:
    body = surface_for(Surface.SURFACE_OPENAI_CHAT).render_response(resp, resp.model)
    assert adapter_for(ProviderKind.OPENAI).parse_response(body) == resp


@given(responses(prefix="msg_", reasoning=False))
def test_anthropic_answer_round_trips(resp: ChatResponse) -> None:
    body = surface_for(Surface.SURFACE_ANTHROPIC_MESSAGES).render_response(resp, resp.model)
    assert adapter_for(ProviderKind.ANTHROPIC).parse_response(body) == resp


@given(responses(cache_write=False))
def test_gemini_answer_round_trips(resp: ChatResponse) -> None:
    body = orjson.dumps(gemini_encode(resp))
    assert adapter_for(ProviderKind.GEMINI).parse_response(body) == resp


@given(responses(prefix="msg_", reasoning=False))
def test_an_anthropic_answer_shown_to_an_openai_caller_keeps_its_meaning(
    resp: ChatResponse,
) -> None:
    parsed = adapter_for(ProviderKind.ANTHROPIC).parse_response(
        surface_for(Surface.SURFACE_ANTHROPIC_MESSAGES).render_response(resp, "x")
    )
    shown = orjson.loads(
        surface_for(Surface.SURFACE_OPENAI_CHAT).render_response(parsed, "hicap-model")
    )
    assert shown["model"] == "hicap-model"
    assert shown["choices"][0]["finish_reason"] == resp.finish_reason
    assert shown["usage"]["prompt_tokens"] == resp.usage.input_tokens
    assert (
        shown["usage"]["prompt_tokens_details"]["cached_tokens"] == resp.usage.cached_input_tokens
    )
    assert [c["id"] for c in shown["choices"][0]["message"].get("tool_calls", [])] == [
        c.id for c in resp.tool_calls
    ]
    assert dataclasses.replace(parsed, model="x") == dataclasses.replace(resp, model="x")
