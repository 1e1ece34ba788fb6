"""The fake OpenAI API: `POST /v1/chat/completions` (JSON and SSE, include_usage, tool
calls, JSON mode), `POST /v1/embeddings`, and the OpenAI shape of `GET /v1/models`.

Wire shapes follow wire-formats.md section 1: the role is sent once, a tool call's id and
name once per index, the usage chunk has `choices: []` and comes before `data: [DONE]`.
Only one choice is produced whatever `n` says.
"""

from __future__ import annotations

import base64
import math
import struct

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
    embedding,
)
from hicap.provider_sim.responses import Frame, json_answer, sse, sse_answer
from hicap.provider_sim.schema_values import JsonValue

__all__ = ["models_list", "router"]

FINISH = {Finish.STOP: "stop", Finish.LENGTH: "length", Finish.TOOL: "tool_calls"}
MODEL_CREATED = 1_744_316_542


def router(sim: Sim) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        call, body = await begin(request, sim, Provider.OPENAI)
        model = _model(call, body)
        completion = complete(_sim_request(sim, call, body, model))
        headers = admit(sim, call, completion)
        chunk_base = {
            "id": f"chatcmpl-{completion.seed_hex[:24]}",
            "created": int(sim.wall_clock()),
            "model": model,
            "system_fingerprint": "fp_provider_sim",
        }
        if body.get("stream") is True:
            include_usage = _include_usage(body)
            return sse_answer(call, _stream_frames(completion, chunk_base, include_usage), headers)
        body_out = _response_body(completion, chunk_base)
        return await json_answer(call, body_out, completion.usage.output_tokens, headers)

    @api.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        call, body = await begin(request, sim, Provider.OPENAI)
        return await json_answer(call, _embeddings_body(sim, call, body), 0, {})

    return api


async def models_list(sim: Sim, request: Request) -> Response:
    call, _ = await begin(request, sim, Provider.OPENAI, with_body=False)
    data = [
        {"id": m, "object": "model", "created": MODEL_CREATED, "owned_by": "system"}
        for m in sim.config.openai_models
    ]
    return await json_answer(call, {"object": "list", "data": data}, 0, {})


def _model(call: Call, body: JsonValue) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request(call, "you must provide a model parameter", "model")
    return model


def _include_usage(body: JsonValue) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _sim_request(sim: Sim, call: Call, body: JsonValue, model: str) -> SimRequest:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request(call, "'messages' must be a non-empty array", "messages")
    turns = [turn for message in messages for turn in _turns(call, message)]
    tools = _tools(body.get("tools"))
    allowed, forced = _tool_choice(body.get("tool_choice"))
    mode, schema = _json_mode(body.get("response_format"))
    return SimRequest(
        turns=tuple(turns),
        tools=tools,
        forced_tool=forced,
        tools_allowed=allowed,
        json_mode=mode,
        json_schema=schema,
        max_output_tokens=_max_tokens(call, body),
        reasoning=sim.config.is_reasoning_model(model),
        cached_tokens=call.cached_tokens,
    )


def _turns(call: Call, message: JsonValue) -> list[Turn]:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise bad_request(call, "each message must be an object with a 'role'", "messages")
    role: str = message["role"]
    role = {"developer": "system", "function": "tool"}.get(role, role)
    turns = []
    text = _text(message.get("content"))
    if text:
        turns.append(Turn(role, text))
    for tool_call in message.get("tool_calls") or []:
        function = tool_call.get("function", {}) if isinstance(tool_call, dict) else {}
        name = str(function.get("name", ""))
        turns.append(Turn("assistant", name + _canonical_arguments(function.get("arguments"))))
    return turns


def _text(content: JsonValue) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "\n".join(t for t in texts if isinstance(t, str) and t)
    return ""


def _canonical_arguments(arguments: JsonValue) -> str:
    if not isinstance(arguments, str):
        return canonical_json(arguments or {})
    try:
        return canonical_json(orjson.loads(arguments))
    except ValueError:
        return arguments


def _tools(tools: JsonValue) -> tuple[ToolSpec, ...]:
    specs = []
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            parameters = function.get("parameters") or {"type": "object", "properties": {}}
            specs.append(ToolSpec(function["name"], function.get("description") or "", parameters))
    return tuple(specs)


def _tool_choice(choice: JsonValue) -> tuple[bool, str | None]:
    if choice == "none":
        return False, None
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return True, function["name"]
    return True, None


def _json_mode(response_format: JsonValue) -> tuple[JsonMode, JsonValue]:
    if not isinstance(response_format, dict):
        return JsonMode.OFF, None
    if response_format.get("type") == "json_object":
        return JsonMode.OBJECT, None
    spec = response_format.get("json_schema")
    if response_format.get("type") == "json_schema" and isinstance(spec, dict):
        return JsonMode.SCHEMA, spec.get("schema") or {"type": "object"}
    return JsonMode.OFF, None


def _max_tokens(call: Call, body: JsonValue) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_request(call, f"'{name}' must be a positive integer", name)
        return value
    return None


def _usage(completion: Completion) -> dict[str, JsonValue]:
    usage = completion.usage
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call_id(completion: Completion) -> str:
    return f"call_{completion.seed_hex[24:48]}"


def _response_body(completion: Completion, base: dict[str, JsonValue]) -> JsonValue:
    message: dict[str, JsonValue] = {"role": "assistant", "content": completion.text or None}
    message |= {"refusal": None, "annotations": []}
    if completion.tool_call is not None:
        function = {"name": completion.tool_call.name, "arguments": completion.tool_call.arguments}
        message["tool_calls"] = [
            {"id": _tool_call_id(completion), "type": "function", "function": function}
        ]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": FINISH[completion.finish],
    }
    return {
        **base,
        "object": "chat.completion",
        "service_tier": "default",
        "choices": [choice],
        "usage": _usage(completion),
    }


def _stream_frames(
    completion: Completion, base: dict[str, JsonValue], include_usage: bool
) -> list[Frame]:
    extra: dict[str, JsonValue] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, JsonValue], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**base, "object": "chat.completion.chunk", "choices": [choice], **extra})

    call = completion.tool_call
    first: dict[str, JsonValue] = {"role": "assistant", "content": None if call else ""}
    frames = [Frame(chunk(first | ({} if call else {"refusal": None})))]
    if call is None:
        frames += [Frame(chunk({"content": piece}), paced=True) for piece in completion.pieces]
    else:
        head = {"index": 0, "id": _tool_call_id(completion), "type": "function"}
        head["function"] = {"name": call.name, "arguments": ""}
        frames.append(Frame(chunk({"tool_calls": [head]})))
        for piece in call.pieces:
            fragment = {"index": 0, "function": {"arguments": piece}}
            frames.append(Frame(chunk({"tool_calls": [fragment]}), paced=True))
    frames.append(Frame(chunk({}, FINISH[completion.finish])))
    if include_usage:
        usage_chunk = {**base, "object": "chat.completion.chunk", "choices": []}
        frames.append(Frame(sse(usage_chunk | {"usage": _usage(completion)})))
    frames.append(Frame(b"data: [DONE]\n\n"))
    return frames


def _embeddings_body(sim: Sim, call: Call, body: JsonValue) -> JsonValue:
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) or _is_token_list(raw) else raw
    if not isinstance(inputs, list) or not inputs:
        raise bad_request(call, "'input' must be a string or a non-empty array", "input")
    dims = body.get("dimensions") or sim.config.embedding_dims
    if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
        raise bad_request(call, "'dimensions' must be a positive integer", "dimensions")
    as_base64 = body.get("encoding_format") == "base64"
    data = [
        {"object": "embedding", "index": i, "embedding": _vector(item, dims, as_base64)}
        for i, item in enumerate(inputs)
    ]
    tokens = sum(len(i) if isinstance(i, list) else math.ceil(len(str(i)) / 4) for i in inputs)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": body.get("model", ""), "usage": usage}


def _is_token_list(value: JsonValue) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, int) for v in value)


def _vector(item: JsonValue, dims: int, as_base64: bool) -> JsonValue:
    values = embedding(item, dims)
    if as_base64:
        return base64.b64encode(struct.pack(f"<{dims}f", *values)).decode()
    return values
