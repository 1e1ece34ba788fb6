"""Gemini GenerateContentResponse bodies, usage and finish reasons, both directions:
`decode_response` (the provider's answer -> IR, for the adapter) and `encode_response`
(IR -> such a body, the inverse, for round-trip checks).

Finish reasons: STOP -> stop, or tool_calls when the answer holds a function call (Gemini
has no tool finish reason); MAX_TOKENS -> length; the safety family and a blocked prompt
-> content_filter; anything else -> stop. Usage: input = promptTokenCount (cached
included) + toolUsePromptTokenCount; output = candidatesTokenCount + thoughtsTokenCount.
Parts marked `thought` are not part of the answer. Imports the IR, the id and request
modules and the JSON view; no I/O.
"""

from __future__ import annotations

from hicap.provider_egress.ir import ChatResponse, FinishReason, ToolCall, Usage
from hicap.provider_egress.wire.gemini.request import decode_call
from hicap.provider_egress.wire.jsonview import JsonView, loads_object

__all__ = [
    "decode_finish",
    "decode_parts",
    "decode_response",
    "decode_usage",
    "encode_response",
    "encode_usage",
]

_FILTERED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
     "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"}
)  # fmt: skip
_FINISH_OUT: dict[FinishReason, str] = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "tool_calls": "STOP",
    "content_filter": "SAFETY",
}


def decode_finish(reason: str, *, called: bool) -> FinishReason:
    if reason == "MAX_TOKENS":
        return "length"
    if reason in _FILTERED:
        return "content_filter"
    return "tool_calls" if called else "stop"


def decode_usage(u: JsonView) -> Usage:
    thoughts = u["thoughtsTokenCount"].integer()
    return Usage(
        input_tokens=u["promptTokenCount"].integer() + u["toolUsePromptTokenCount"].integer(),
        output_tokens=u["candidatesTokenCount"].integer() + thoughts,
        cached_input_tokens=u["cachedContentTokenCount"].integer(),
        reasoning_tokens=thoughts,
    )


def encode_usage(u: Usage) -> dict[str, object]:
    return {
        "promptTokenCount": u.input_tokens,
        "candidatesTokenCount": u.output_tokens - u.reasoning_tokens,
        "thoughtsTokenCount": u.reasoning_tokens,
        "cachedContentTokenCount": u.cached_input_tokens,
        "totalTokenCount": u.input_tokens + u.output_tokens,
    }


def decode_parts(parts: list[JsonView], first_call_index: int) -> tuple[str, list[ToolCall]]:
    """The answer text and function calls of some parts; calls numbered from the index."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    for part in parts:
        if part.has("functionCall"):
            calls.append(decode_call(part["functionCall"], first_call_index + len(calls)))
        elif part.has("text") and not part["thought"].flag():
            texts.append(part["text"].text())
    return "".join(texts), calls


def decode_response(body: JsonView) -> ChatResponse:
    candidates = body["candidates"].items()
    usage = decode_usage(body["usageMetadata"])
    response_id, model = body["responseId"].text(""), body["modelVersion"].text("")
    if not candidates:  # the prompt was blocked (promptFeedback.blockReason)
        return ChatResponse(response_id, model, finish_reason="content_filter", usage=usage)
    text, calls = decode_parts(candidates[0]["content"]["parts"].items(), 0)
    reason = decode_finish(candidates[0]["finishReason"].text("STOP"), called=bool(calls))
    return ChatResponse(response_id, model, text, tuple(calls), reason, usage)


def encode_response(resp: ChatResponse) -> dict[str, object]:
    parts: list[object] = [{"text": resp.text}] if resp.text else []
    parts += [_call_part(c) for c in resp.tool_calls]
    candidate = {
        "content": {"role": "model", "parts": parts},
        "finishReason": _FINISH_OUT[resp.finish_reason],
        "index": 0,
    }
    return {
        "candidates": [candidate],
        "usageMetadata": encode_usage(resp.usage),
        "modelVersion": resp.model,
        "responseId": resp.id,
    }


def _call_part(c: ToolCall) -> dict[str, object]:
    args = loads_object(c.arguments) or {}
    return {"functionCall": {"id": c.id, "name": c.name, "args": args}}
