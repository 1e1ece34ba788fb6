"""The conformance battery: every adapter, through the real handler and `send()`, against
provider-sim. Each test runs once per adapter (see `egress` in conftest)."""

from __future__ import annotations

import time

import orjson
import pytest
from prometheus_client import REGISTRY

from hicap.errors import (
    DeadlineExceeded,
    InvalidRequest,
    RateLimited,
    Unauthenticated,
    UpstreamFailed,
)
from hicap.events.v1 import egress_pb2
from tests.integration.egress.harness import (
    BAD_KEY,
    HICAP_MODEL,
    Answer,
    Egress,
    anthropic_body,
    openai_body,
    raw,
)

ANTHROPIC = egress_pb2.Surface.SURFACE_ANTHROPIC_MESSAGES
COUNT_TOKENS = egress_pb2.Surface.SURFACE_ANTHROPIC_COUNT_TOKENS


def openai_text(answer: Answer) -> str:
    choices = answer.json()["choices"]
    assert isinstance(choices, list)
    content = choices[0]["message"]["content"]
    assert isinstance(content, str)
    return content


def streamed_text(answer: Answer) -> str:
    events = answer.events()
    assert events[-1].data == b"[DONE]"
    chunks = [orjson.loads(e.data) for e in events[:-1]]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def attempts(provider: str, outcome: str) -> float:
    labels = {"provider": provider, "outcome": outcome}
    return REGISTRY.get_sample_value("hicap_egress_upstream_attempts_total", labels) or 0.0


async def test_simple_completion_answers_in_the_callers_format(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], openai_body()))
    assert answer.tags == ["A"]  # a whole answer: one frame, one NATS message
    assert answer.head.status == 200
    assert answer.head.content_type == "application/json"
    assert answer.head.deployment == egress.dep("ok")
    assert answer.head.attempts == 1
    assert openai_text(answer)
    assert answer.json()["model"] == HICAP_MODEL
    assert answer.trailer is not None
    assert answer.trailer.input_tokens > 0
    assert answer.trailer.output_tokens > 0
    assert answer.trailer.finish_reason == "stop"


async def test_streamed_completion_relays_events_then_the_usage(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], openai_body(stream=True)))
    assert answer.head.content_type == "text/event-stream"
    assert answer.tags[0] == "H" and answer.tags[-1] == "T" and "B" in answer.tags
    assert streamed_text(answer).strip()
    assert answer.trailer is not None
    assert answer.trailer.output_tokens > 0
    assert answer.trailer.input_tokens > 0
    assert answer.trailer.finish_reason == "stop"


async def test_streamed_and_whole_answers_say_the_same(egress: Egress) -> None:
    whole = await egress.run(egress.call(["ok"], openai_body()))
    streamed = await egress.run(egress.call(["ok"], openai_body(stream=True)))
    assert streamed_text(streamed) == openai_text(whole)


@pytest.mark.usefixtures("real_wire")
async def test_tool_call_comes_back_as_a_tool_call(egress: Egress) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    answer = await egress.run(egress.call(["ok"], openai_body(tools=[tool])))
    message = answer.json()["choices"][0]["message"]  # type: ignore[index]
    call = message["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert "city" in orjson.loads(call["function"]["arguments"])
    assert answer.trailer is not None
    assert answer.trailer.finish_reason == "tool_calls"


@pytest.mark.usefixtures("real_wire")
async def test_json_schema_mode_answers_json_of_that_schema(egress: Egress) -> None:
    # json_schema, not json_object: Anthropic has no schema-less JSON mode (the adapter adds
    # an instruction, which provider-sim does not follow), while every provider has schemas.
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "plan", "schema": schema, "strict": True}}
    answer = await egress.run(egress.call(["ok"], openai_body(response_format=fmt)))
    doc = orjson.loads(openai_text(answer))
    assert isinstance(doc, dict)
    assert set(doc) == {"city", "days"}


@pytest.mark.usefixtures("real_wire")
async def test_anthropic_caller_gets_an_anthropic_message(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], anthropic_body(), surface=ANTHROPIC))
    doc = answer.json()
    assert doc["type"] == "message"
    assert doc["model"] == HICAP_MODEL
    assert doc["content"][0]["text"]  # type: ignore[index]


@pytest.mark.usefixtures("real_wire")
async def test_anthropic_caller_gets_an_anthropic_stream(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], anthropic_body(stream=True), surface=ANTHROPIC))
    names = [e.event for e in answer.events()]
    assert names[0] == "message_start"
    assert names[-1] == "message_stop"
    assert "content_block_delta" in names


@pytest.mark.usefixtures("real_wire")
async def test_count_tokens_answers_a_positive_count(egress: Egress) -> None:
    answer = await egress.run(egress.call(["ok"], anthropic_body(), surface=COUNT_TOKENS))
    tokens = answer.json()["input_tokens"]
    assert isinstance(tokens, int) and tokens > 0


async def test_a_refused_deployment_key_is_a_502_for_the_operator_not_a_401(
    egress: Egress,
) -> None:
    with pytest.raises(UpstreamFailed) as refused:
        await egress.run(egress.call(["badkey"], openai_body()))
    assert refused.value.status == 502 and not refused.value.retryable
    assert BAD_KEY not in refused.value.message


async def test_a_refused_byok_key_is_unauthenticated_naming_the_header(egress: Egress) -> None:
    with pytest.raises(Unauthenticated) as refused:
        await egress.run(egress.call(["ok"], openai_body(), provider_key=BAD_KEY))
    assert "x-provider-key" in refused.value.message
    assert BAD_KEY not in refused.value.message


async def test_the_callers_own_key_wins_over_the_deployments(egress: Egress) -> None:
    with pytest.raises(Unauthenticated) as refused:
        await egress.run(egress.call(["ok"], openai_body(), provider_key=BAD_KEY))
    assert BAD_KEY not in refused.value.message
    answer = await egress.run(
        egress.call(["badkey"], openai_body(), provider_key=egress.profile.key)
    )
    assert answer.head.deployment == egress.dep("badkey")


async def test_rate_limit_is_waited_out_within_the_deadline(egress: Egress) -> None:
    await egress.run(egress.call(["limited-wait"], openai_body()))
    started = time.monotonic()
    answer = await egress.run(egress.call(["limited-wait"], openai_body(), deadline_s=5.0))
    assert answer.head.attempts == 2
    assert time.monotonic() - started >= 0.2  # it waited for the window, not hammered


async def test_rate_limit_longer_than_the_deadline_surfaces_the_429(egress: Egress) -> None:
    await egress.run(egress.call(["limited-short"], openai_body()))
    with pytest.raises(RateLimited) as limited:
        await egress.run(egress.call(["limited-short"], openai_body(), deadline_s=0.3))
    assert limited.value.retry_after_s is not None and limited.value.retry_after_s > 0


@pytest.mark.parametrize("role", ["faulty", "overloaded"])
async def test_server_errors_are_retried_then_fail(egress: Egress, role: str) -> None:
    kind = egress.profile.kind.value
    before = attempts(kind, "upstream_failed")
    with pytest.raises(UpstreamFailed):
        await egress.run(egress.call([role], openai_body()))
    assert attempts(kind, "upstream_failed") - before == 3


async def test_failover_reaches_the_healthy_deployment(egress: Egress) -> None:
    answer = await egress.run(egress.call(["faulty", "ok2"], openai_body(stream=True)))
    assert answer.head.attempts == 2
    assert answer.head.deployment == egress.dep("ok2")
    assert streamed_text(answer)


async def test_a_slow_first_byte_is_deadline_exceeded(egress: Egress) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        await egress.run(egress.call(["slow"], openai_body(), deadline_s=1.5))
    assert time.monotonic() - started < 2.5


async def test_a_reset_mid_stream_fails_after_the_head_and_a_trailer_naming_it(
    egress: Egress,
) -> None:
    frames: list[bytes] = []
    with pytest.raises(UpstreamFailed):
        async for frame in egress.frames(egress.call(["reset"], openai_body(stream=True))):
            frames.append(raw(frame))
    assert frames and frames[0][0] == ord("H")
    assert frames[-1][0] == ord("T")  # what was streamed is still metered
    trailer = egress_pb2.EgressTrailer.FromString(frames[-1][1:])
    assert trailer.error_code == "upstream_failed"


async def test_a_reset_before_the_head_is_retried_like_a_server_error(egress: Egress) -> None:
    kind = egress.profile.kind.value
    before = attempts(kind, "upstream_failed")
    with pytest.raises(UpstreamFailed):
        await egress.run(egress.call(["reset-now"], openai_body()))
    assert attempts(kind, "upstream_failed") - before == 3


async def test_a_malformed_call_is_an_invalid_request(egress: Egress) -> None:
    with pytest.raises(InvalidRequest):
        await egress.run(egress.call([], openai_body()))
    with pytest.raises(InvalidRequest):
        from hicap.bus import StreamRequest

        async for _ in egress.handler(StreamRequest(b"\xff\xff not protobuf", {}, "x")):
            pass
