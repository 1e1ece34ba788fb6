"""Anthropic Message bodies, usage and stop reasons, both directions: `decode_response`
(the provider's Message -> IR, for the adapter) and `encode_response` (IR -> the Message
the Anthropic surface returns), which are inverses.

Usage: Anthropic's `input_tokens` excludes cache reads and writes; the IR's includes them
(`input = input_tokens + cache_read + cache_creation`, `cached = cache_read`,
`cache_write = cache_creation`). Imports the IR and the JSON view; no I/O.
"""

from __future__ import annotations

from hicap.provider_egress.ir import ChatResponse, FinishReason, ToolCall, Usage
from hicap.provider_egress.wire.jsonview import JsonView, dumps, loads_object

__all__ = [
    "MESSAGE_ID_PREFIX",
    "decode_response",
    "decode_stop_reason",
    "decode_usage",
    "encode_response",
    "encode_stop_reason",
    "encode_usage",
    "message_id",
    "tool_input",
]

MESSAGE_ID_PREFIX = "msg_"
_STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_STOP_OUT: dict[FinishReason, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


def message_id(response_id: str) -> str:
    """The id shown to an Anthropic caller: the provider's id under the `msg_` prefix."""
    return (
        response_id
        if response_id.startswith(MESSAGE_ID_PREFIX)
        else MESSAGE_ID_PREFIX + response_id
    )


def decode_stop_reason(view: JsonView) -> FinishReason:
    return _STOP.get(view.text("end_turn"), "stop")


def encode_stop_reason(reason: FinishReason) -> str:
    return _STOP_OUT[reason]


def decode_usage(u: JsonView, base: Usage | None = None) -> Usage:
    """Anthropic usage as IR; fields absent from `u` keep their value in `base` (a
    message_delta's usage overlays message_start's)."""
    prior = base or Usage()
    cached = u["cache_read_input_tokens"].integer(prior.cached_input_tokens)
    written = u["cache_creation_input_tokens"].integer(prior.cache_write_tokens)
    fresh = u["input_tokens"].integer(
        prior.input_tokens - prior.cached_input_tokens - prior.cache_write_tokens
    )
    return Usage(
        input_tokens=fresh + cached + written,
        output_tokens=u["output_tokens"].integer(prior.output_tokens),
        cached_input_tokens=cached,
        cache_write_tokens=written,
    )


def encode_usage(u: Usage) -> dict[str, object]:
    fresh = max(u.input_tokens - u.cached_input_tokens - u.cache_write_tokens, 0)
    return {
        "input_tokens": fresh,
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
        "cache_read_input_tokens": u.cached_input_tokens,
    }


def decode_response(body: JsonView) -> ChatResponse:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in body["content"].items():
        kind = block["type"].text("")
        if kind == "text":
            texts.append(block["text"].text(""))
        elif kind == "tool_use":
            calls.append(
                ToolCall(
                    block["id"].text(), block["name"].text(), dumps(block["input"].value or {})
                )
            )
    return ChatResponse(
        id=body["id"].text(""),
        model=body["model"].text(""),
        text="".join(texts),
        tool_calls=tuple(calls),
        finish_reason=decode_stop_reason(body["stop_reason"]),
        usage=decode_usage(body["usage"]),
    )


def tool_input(arguments: str) -> object:
    """A tool call's JSON arguments as the `input` object Anthropic shows ({} if unusable)."""
    return loads_object(arguments) or {}


def encode_response(resp: ChatResponse, model: str) -> dict[str, object]:
    content: list[object] = [{"type": "text", "text": resp.text}] if resp.text else []
    content += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": tool_input(c.arguments)}
        for c in resp.tool_calls
    ]
    return {
        "id": message_id(resp.id),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": encode_stop_reason(resp.finish_reason),
        "stop_sequence": None,
        "usage": encode_usage(resp.usage),
    }
