"""The fake Anthropic API: `POST /v1/messages` (JSON and SSE in the exact event order of
wire-formats.md 2.4, text and tool_use with input_json_delta, `output_config.format`
JSON schema), `POST /v1/messages/count_tokens`, and the Anthropic shape of `GET /v1/models`.

Accepts both SDK generations (`x-api-key` or a bearer token, any `anthropic-version`,
`?beta=true`). Cached tokens are reported as `cache_read_input_tokens`, outside
`input_tokens`.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from hicap.provider_sim.config import Provider
from hicap.provider_sim.context import Call, Sim, admit, bad_request, begin
from hicap.provider_sim.generate import (
    Completion,
    Finish,
    JsonMode,
    SimRequest,
    ToolSpec,
    Turn,
    canonical_json,
    complete,
    input_tokens,
)
from hicap.provider_sim.responses import Frame, json_answer, sse, sse_answer
from hicap.provider_sim.schema_values import JsonValue

__all__ = ["models_list", "router"]

STOP_REASON = {Finish.STOP: "end_turn", Finish.LENGTH: "max_tokens", Finish.TOOL: "tool_use"}


def router(sim: Sim) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/messages")
    async def messages(request: Request) -> Response:
        call, body = await begin(request, sim, Provider.ANTHROPIC)
        model = _require_model(call, body)
        completion = complete(_sim_request(sim, call, body, model, need_max_tokens=True))
        headers = admit(sim, call, completion)
        message_id = f"msg_{completion.seed_hex[:24]}"
        if body.get("stream") is True:
            frames = _stream_frames(completion, message_id, model)
            return sse_answer(call, frames, headers)
        answer = _message(completion, message_id, model)
        return await json_answer(call, answer, completion.usage.output_tokens, headers)

    @api.post("/v1/messages/count_tokens")
    async def count_tokens(request: Request) -> Response:
        call, body = await begin(request, sim, Provider.ANTHROPIC)
        model = _require_model(call, body)
        sim_request = _sim_request(sim, call, body, model, need_max_tokens=False)
        return await json_answer(call, {"input_tokens": input_tokens(sim_request)}, 0, {})

    return api


async def models_list(sim: Sim, request: Request) -> Response:
    call, _ = await begin(request, sim, Provider.ANTHROPIC, with_body=False)
    data = [
        {"type": "model", "id": m, "display_name": m, "created_at": "2025-09-29T00:00:00Z"}
        for m in sim.config.anthropic_models
    ]
    first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
    body = {"data": data, "has_more": False, "first_id": first, "last_id": last}
    return await json_answer(call, body, 0, {})


def _require_model(call: Call, body: JsonValue) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request(call, "model: Field required")
    return model


def _sim_request(
    sim: Sim, call: Call, body: JsonValue, model: str, *, need_max_tokens: bool
) -> SimRequest:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request(call, "messages: at least one message is required")
    turns = [Turn("system", text) for text in [_text(body.get("system"))] if text]
    for message in messages:
        turns += _turns(call, message)
    allowed, forced = _tool_choice(body.get("tool_choice"))
    mode, schema = _json_mode(body.get("output_config"))
    return SimRequest(
        turns=tuple(turns),
        tools=_tools(body.get("tools")),
        forced_tool=forced,
        tools_allowed=allowed,
        json_mode=mode,
        json_schema=schema,
        max_output_tokens=_max_tokens(call, body) if need_max_tokens else None,
        reasoning=sim.config.is_reasoning_model(model),
        cached_tokens=call.cached_tokens,
    )


def _max_tokens(call: Call, body: JsonValue) -> int:
    value = body.get("max_tokens")
    if value is None:
        raise bad_request(call, "max_tokens: Field required")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request(call, "max_tokens: Input should be a valid positive integer")
    return value


def _turns(call: Call, message: JsonValue) -> list[Turn]:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant", "system"):
        raise bad_request(call, "messages: each message needs a role of user or assistant")
    role, content = message["role"], message.get("content")
    if isinstance(content, str):
        return [Turn(role, content)] if content else []
    turns: list[Turn] = []
    texts: list[str] = []
    for block in content if isinstance(content, list) else []:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
            continue
        turn = _block_turn(kind, block)
        if turn is not None:
            turns += [*_flush(role, texts), turn]
    return turns + _flush(role, texts)


def _block_turn(kind: JsonValue, block: JsonValue) -> Turn | None:
    if kind == "tool_use":
        arguments = canonical_json(block.get("input") or {})
        return Turn("assistant", str(block.get("name", "")) + arguments)
    if kind == "tool_result":
        return Turn("tool", _text(block.get("content")))
    return None


def _flush(role: str, texts: list[str]) -> list[Turn]:
    """One turn of the text blocks seen so far (emptying `texts`), as OpenAI joins parts."""
    text = "\n".join(t for t in texts if t)
    texts.clear()
    return [Turn(role, text)] if text else []


def _text(content: JsonValue) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, dict)]
        return "\n".join(t for t in texts if isinstance(t, str) and t)
    return ""


def _tools(tools: JsonValue) -> tuple[ToolSpec, ...]:
    specs = []
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and "input_schema" in tool:
            specs.append(
                ToolSpec(tool["name"], tool.get("description") or "", tool["input_schema"])
            )
    return tuple(specs)


def _tool_choice(choice: JsonValue) -> tuple[bool, str | None]:
    if not isinstance(choice, dict):
        return True, None
    if choice.get("type") == "none":
        return False, None
    name = choice.get("name") if choice.get("type") == "tool" else None
    return True, name if isinstance(name, str) else None


def _json_mode(output_config: JsonValue) -> tuple[JsonMode, JsonValue]:
    spec = output_config.get("format") if isinstance(output_config, dict) else None
    if isinstance(spec, dict) and spec.get("type") == "json_schema":
        return JsonMode.SCHEMA, spec.get("schema") or {"type": "object"}
    return JsonMode.OFF, None


def _usage(completion: Completion) -> dict[str, int]:
    usage = completion.usage
    return {
        "input_tokens": usage.input_tokens - usage.cached_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
    }


def _tool_use_id(completion: Completion) -> str:
    return f"toolu_{completion.seed_hex[24:48]}"


def _content(completion: Completion) -> list[JsonValue]:
    call = completion.tool_call
    if call is None:
        return [{"type": "text", "text": completion.text}]
    tool_input = orjson.loads(call.arguments)
    return [
        {"type": "tool_use", "id": _tool_use_id(completion), "name": call.name, "input": tool_input}
    ]


def _message(completion: Completion, message_id: str, model: str) -> JsonValue:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _content(completion),
        "stop_reason": STOP_REASON[completion.finish],
        "stop_sequence": None,
        "usage": _usage(completion),
    }


def _stream_frames(completion: Completion, message_id: str, model: str) -> list[Frame]:
    start = _message(completion, message_id, model)
    start |= {
        "content": [],
        "stop_reason": None,
        "usage": _usage(completion) | {"output_tokens": 1},
    }
    call = completion.tool_call
    frames = [Frame(sse({"type": "message_start", "message": start}, "message_start"))]
    if call is None:
        block: JsonValue = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in completion.pieces]
    else:
        block = {"type": "tool_use", "id": _tool_use_id(completion), "name": call.name, "input": {}}
        fragments = ("", *call.pieces)
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in fragments]
    frames.append(_event("content_block_start", {"index": 0, "content_block": block}))
    frames.append(_event("ping", {}))
    frames += [_event("content_block_delta", {"index": 0, "delta": d}, paced=True) for d in deltas]
    frames.append(_event("content_block_stop", {"index": 0}))
    stop = {"stop_reason": STOP_REASON[completion.finish], "stop_sequence": None}
    frames.append(_event("message_delta", {"delta": stop, "usage": _usage(completion)}))
    frames.append(_event("message_stop", {}))
    return frames


def _event(name: str, payload: dict[str, JsonValue], *, paced: bool = False) -> Frame:
    return Frame(sse({"type": name, **payload}, name), paced=paced)
