"""OpenAI chat.completion bodies and usage objects, both directions: `decode_response`
(a provider's answer -> IR, for the adapters) and `encode_response` (IR -> the answer the
OpenAI chat surface returns). `decode_usage` / `encode_usage` are shared with the stream
halves. Imports the IR and the JSON view; no I/O.
"""

from __future__ import annotations

from hicap.provider_egress.ir import ChatResponse, FinishReason, ToolCall, Usage
from hicap.provider_egress.wire.jsonview import JsonView, dumps

__all__ = [
    "CHAT_ID_PREFIX",
    "chat_id",
    "decode_finish",
    "decode_response",
    "decode_usage",
    "encode_response",
    "encode_usage",
]

CHAT_ID_PREFIX = "chatcmpl-"
_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def chat_id(response_id: str) -> str:
    """The id shown to an OpenAI caller: the provider's id under the `chatcmpl-` prefix."""
    return response_id if response_id.startswith(CHAT_ID_PREFIX) else CHAT_ID_PREFIX + response_id


def decode_finish(view: JsonView) -> FinishReason:
    return _FINISH.get(view.text("stop"), "stop")


def decode_usage(u: JsonView) -> Usage:
    prompt = u["prompt_tokens_details"]
    completion = u["completion_tokens_details"]
    return Usage(
        input_tokens=u["prompt_tokens"].integer(),
        output_tokens=u["completion_tokens"].integer(),
        cached_input_tokens=prompt["cached_tokens"].integer(),
        cache_write_tokens=prompt["cache_write_tokens"].integer(),
        reasoning_tokens=completion["reasoning_tokens"].integer(),
    )


def encode_usage(u: Usage) -> dict[str, object]:
    prompt_details: dict[str, object] = {"cached_tokens": u.cached_input_tokens}
    if u.cache_write_tokens:
        prompt_details["cache_write_tokens"] = u.cache_write_tokens
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    }


def decode_response(body: JsonView) -> ChatResponse:
    choices = body["choices"].items()
    if not choices:
        raise body["choices"].fail("is empty: the provider answered no choice")
    message = choices[0]["message"]
    calls = tuple(_decode_call(c) for c in message["tool_calls"].items())
    text = message["content"].text("") or message["refusal"].text("")
    return ChatResponse(
        id=body["id"].text(""),
        model=body["model"].text(""),
        text=text,
        tool_calls=calls,
        finish_reason=decode_finish(choices[0]["finish_reason"]),
        usage=decode_usage(body["usage"]),
        created=body["created"].integer(),
    )


def _decode_call(c: JsonView) -> ToolCall:
    f = c["function"]
    arguments = f["arguments"]
    text = dumps(arguments.value) if arguments.is_object else arguments.text("{}")
    return ToolCall(c["id"].text(""), f["name"].text(), text)


def encode_response(resp: ChatResponse, model: str) -> dict[str, object]:
    content = resp.text if resp.text or not resp.tool_calls else None
    message: dict[str, object] = {"role": "assistant", "content": content}
    if resp.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in resp.tool_calls
        ]
    message |= {"refusal": None, "annotations": []}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": resp.finish_reason}
    return {
        "id": chat_id(resp.id),
        "object": "chat.completion",
        "created": resp.created,
        "model": model,
        "choices": [choice],
        "usage": encode_usage(resp.usage),
        "system_fingerprint": None,
    }
