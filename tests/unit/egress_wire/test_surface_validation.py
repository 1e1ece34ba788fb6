"""The surfaces refuse a wrong body with a 400 that names the field, accept every shape
the APIs allow, and ignore fields they do not know."""

from __future__ import annotations

import re

import orjson
import pytest

from hicap.errors import InvalidRequest
from hicap.events.v1.egress_pb2 import Surface
from hicap.provider_egress.ir import ImagePart, TextPart, ToolChoice
from hicap.provider_egress.wire.registry import surface_for

OPENAI = surface_for(Surface.SURFACE_OPENAI_CHAT)
ANTHROPIC = surface_for(Surface.SURFACE_ANTHROPIC_MESSAGES)
USER = {"role": "user", "content": "hi"}


def openai_body(**fields: object) -> bytes:
    return orjson.dumps({"model": "m", "messages": [USER], **fields})


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"messages": []}, "`messages`"),
        ({"messages": "hi"}, "`messages`"),
        ({"messages": [USER, USER, {"role": "wizard", "content": "x"}]}, "`messages[2].role`"),
        ({"max_tokens": -1}, "`max_tokens`"),
        ({"max_tokens": "10"}, "`max_tokens`"),
        ({"tools": [{"type": "function", "function": {"name": ""}}]}, "`tools[0].function.name`"),
        ({"tools": [{"type": "function", "function": {"name": 3}}]}, "`tools[0].function.name`"),
        ({"temperature": "hot"}, "`temperature`"),
        ({"tool_choice": "sometimes"}, "`tool_choice`"),
        ({"response_format": {"type": "yaml"}}, "`response_format.type`"),
        ({"model": 5}, "`model`"),
    ],
)
def test_openai_surface_names_the_wrong_field(fields: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidRequest, match=re.escape(named)):
        OPENAI.parse_request(openai_body(**fields))


def test_openai_surface_refuses_a_body_that_is_not_json() -> None:
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        OPENAI.parse_request(b"{nope")


def test_openai_surface_accepts_the_shapes_the_api_allows() -> None:
    req = OPENAI.parse_request(
        openai_body(
            messages=[
                {"role": "developer", "content": "be brief"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what"},
                        {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
                    ],
                },
            ],
            max_completion_tokens=50,
            stop="END",
            tool_choice={"type": "function", "function": {"name": "f"}},
            tools=[{"type": "function", "function": {"name": "f"}}],
            parallel_tool_calls=False,
            stream=True,
            stream_options={"include_usage": True},
            user="u1",
            some_future_field={"x": 1},
        )
    )
    assert req.messages[0].role == "system"
    assert req.messages[1].content == (TextPart("what"), ImagePart("https://x/a.png"))
    assert (req.max_tokens, req.stop, req.user) == (50, ("END",), "u1")
    assert req.tool_choice == ToolChoice("tool", "f", parallel=False)
    assert req.stream and req.include_usage


def test_anthropic_surface_requires_max_tokens_but_count_tokens_does_not() -> None:
    body = orjson.dumps({"model": "m", "messages": [USER]})
    with pytest.raises(InvalidRequest, match="`max_tokens` is required"):
        ANTHROPIC.parse_request(body)
    assert (
        surface_for(Surface.SURFACE_ANTHROPIC_COUNT_TOKENS).parse_request(body).max_tokens is None
    )


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"messages": [{"role": "robot", "content": "x"}]}, "`messages[0].role`"),
        (
            {"messages": [{"role": "user", "content": [{"type": "document"}]}]},
            "`messages[0].content[0].type`",
        ),
        ({"tool_choice": {"type": "maybe"}}, "`tool_choice.type`"),
        ({"max_tokens": 0}, "`max_tokens`"),
        ({"stop_sequences": "END"}, "`stop_sequences`"),
    ],
)
def test_anthropic_surface_names_the_wrong_field(fields: dict[str, object], named: str) -> None:
    body = {"model": "m", "max_tokens": 10, "messages": [USER], **fields}
    with pytest.raises(InvalidRequest, match=re.escape(named)):
        ANTHROPIC.parse_request(orjson.dumps(body))


def test_anthropic_surface_reads_system_blocks_tool_results_and_metadata() -> None:
    req = ANTHROPIC.parse_request(
        orjson.dumps(
            {
                "model": "m",
                "max_tokens": 10,
                "system": [{"type": "text", "text": "be brief"}],
                "messages": [
                    USER,
                    {
                        "role": "assistant",
                        "content": [
                            {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}
                        ],
                    },
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": "t1",
                                "content": [{"type": "text", "text": "ok"}],
                                "is_error": True,
                            },
                            {"type": "text", "text": "and?"},
                        ],
                    },
                ],
                "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
                "metadata": {"user_id": "u9"},
            }
        )
    )
    assert [m.role for m in req.messages] == ["system", "user", "assistant", "tool", "user"]
    assert req.messages[2].tool_calls[0].arguments == '{"a":1}'
    assert (req.messages[3].tool_call_id, req.messages[3].text, req.messages[3].is_error) == (
        "t1",
        "ok",
        True,
    )
    assert req.tool_choice == ToolChoice("required", parallel=False)
    assert req.user == "u9"
