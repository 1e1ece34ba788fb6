"""The fake Gemini API under `/v1beta` and `/v1` (google-genai 2.x and 3.x defaults):
`models/{model}:generateContent`, `:streamGenerateContent?alt=sse` (`data: ` lines only, no
`event:` and no comments), `:countTokens`, `:embedContent`, `:batchEmbedContents`, and
the Gemini shape of the models list.

Request keys are read in camelCase or snake_case (the SDK sends both). A function call
comes back whole in one part with finishReason STOP; a cut answer ends with MAX_TOKENS.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from hicap.provider_sim.config import Provider
from hicap.provider_sim.context import Call, Sim, admit, bad_request, begin
from hicap.provider_sim.errors import ErrorKind, SimError
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
    input_tokens,
)
from hicap.provider_sim.responses import Frame, json_answer, sse, sse_answer
from hicap.provider_sim.schema_values import JsonValue

__all__ = ["models_list", "router"]

FINISH = {Finish.STOP: "STOP", Finish.LENGTH: "MAX_TOKENS", Finish.TOOL: "STOP"}
DEFAULT_EMBEDDING_DIMS = 768


def router(sim: Sim) -> APIRouter:
    api = APIRouter()

    @api.post("/v1beta/models/{model_action}")
    @api.post("/v1/models/{model_action}")
    async def model_action(request: Request) -> Response:
        call, body = await begin(request, sim, Provider.GEMINI)
        model_action = str(request.path_params["model_action"])
        model, _, action = model_action.partition(":")
        if action in ("generateContent", "streamGenerateContent"):
            return await _generate(sim, call, body, model, stream=action != "generateContent")
        if action == "countTokens":
            inner = _field(body, "generateContentRequest") or body
            total = input_tokens(_sim_request(sim, call, inner, model))
            return await json_answer(call, {"totalTokens": total}, 0, {})
        if action in ("embedContent", "batchEmbedContents"):
            return await json_answer(
                call, _embed(call, body, batch=action != "embedContent"), 0, {}
            )
        message = f"Method not found: {action or model_action}."
        raise SimError(Provider.GEMINI, ErrorKind.NOT_FOUND, message, request_id=call.request_id)

    return api


async def models_list(sim: Sim, request: Request) -> Response:
    call, _ = await begin(request, sim, Provider.GEMINI, with_body=False)
    models = [
        {
            "name": f"models/{m}",
            "displayName": m,
            "inputTokenLimit": 1_048_576,
            "outputTokenLimit": 65_536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        }
        for m in sim.config.gemini_models
    ]
    return await json_answer(call, {"models": models}, 0, {})


async def _generate(sim: Sim, call: Call, body: JsonValue, model: str, *, stream: bool) -> Response:
    completion = complete(_sim_request(sim, call, body, model))
    headers = admit(sim, call, completion)
    base: dict[str, JsonValue] = {"modelVersion": model, "responseId": completion.seed_hex[:22]}
    if stream:
        return sse_answer(call, _stream_frames(completion, base), headers)
    answer: dict[str, JsonValue] = {
        "candidates": [_candidate(completion, _parts(completion), True)],
        **base,
    }
    answer["usageMetadata"] = _usage(completion)
    return await json_answer(call, answer, completion.usage.output_tokens, headers)


def _field(obj: JsonValue, camel: str) -> JsonValue:
    """obj[camel] or obj[snake_case of camel]; None when absent or obj is no object."""
    if not isinstance(obj, dict):
        return None
    if camel in obj:
        return obj[camel]
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    return obj.get(snake)


def _sim_request(sim: Sim, call: Call, body: JsonValue, model: str) -> SimRequest:
    contents = _field(body, "contents")
    if not isinstance(contents, list) or not contents:
        raise bad_request(call, "* GenerateContentRequest.contents: contents is not specified")
    turns = _turns(call, _field(body, "systemInstruction"), "system")
    for content in contents:
        turns += _turns(call, content, None)
    config = _field(body, "generationConfig") or {}
    allowed, forced = _tool_choice(_field(_field(body, "toolConfig"), "functionCallingConfig"))
    mode, schema = _json_mode(config)
    return SimRequest(
        turns=tuple(turns),
        tools=_tools(_field(body, "tools")),
        forced_tool=forced,
        tools_allowed=allowed,
        json_mode=mode,
        json_schema=schema,
        max_output_tokens=_max_tokens(call, config),
        reasoning=sim.config.is_reasoning_model(model),
        cached_tokens=call.cached_tokens,
    )


def _turns(call: Call, content: JsonValue, role_override: str | None) -> list[Turn]:
    if content is None:
        return []
    if isinstance(content, str):
        return [Turn(role_override or "user", content)] if content else []
    parts = _field(content, "parts")
    if not isinstance(parts, list):
        raise bad_request(call, "* GenerateContentRequest.contents: parts must be a list")
    role = role_override or {"model": "assistant"}.get(str(_field(content, "role")), "user")
    turns: list[Turn] = []
    texts: list[str] = []
    for part in parts:
        if isinstance(_field(part, "text"), str):
            texts.append(part["text"])
            continue
        turn = _part_turn(part)
        if turn is not None:
            turns += [*_flush(role, texts), turn]
    return turns + _flush(role, texts)


def _part_turn(part: JsonValue) -> Turn | None:
    called = _field(part, "functionCall")
    if isinstance(called, dict):
        return Turn(
            "assistant", str(called.get("name", "")) + canonical_json(called.get("args") or {})
        )
    answered = _field(part, "functionResponse")
    if isinstance(answered, dict):
        response = answered.get("response") or {}
        # a bare result wrapped as {"result": text} counts as that text, as OpenAI sends it
        if (
            isinstance(response, dict)
            and list(response) == ["result"]
            and isinstance(response["result"], str)
        ):
            return Turn("tool", response["result"])
        return Turn("tool", canonical_json(response))
    return None


def _flush(role: str, texts: list[str]) -> list[Turn]:
    text = "\n".join(t for t in texts if t)
    texts.clear()
    return [Turn(role, text)] if text else []


def _tools(tools: JsonValue) -> tuple[ToolSpec, ...]:
    specs = []
    for tool in tools if isinstance(tools, list) else []:
        declarations = _field(tool, "functionDeclarations")
        for decl in declarations if isinstance(declarations, list) else []:
            name = _field(decl, "name")
            if isinstance(name, str):
                schema = _field(decl, "parametersJsonSchema") or _field(decl, "parameters")
                schema = schema or {"type": "object", "properties": {}}
                specs.append(ToolSpec(name, _field(decl, "description") or "", schema))
    return tuple(specs)


def _tool_choice(config: JsonValue) -> tuple[bool, str | None]:
    mode = str(_field(config, "mode") or "AUTO").upper()
    if mode == "NONE":
        return False, None
    names = _field(config, "allowedFunctionNames")
    forced = names[0] if isinstance(names, list) and names and isinstance(names[0], str) else None
    return True, forced


def _json_mode(config: JsonValue) -> tuple[JsonMode, JsonValue]:
    if _field(config, "responseMimeType") != "application/json":
        return JsonMode.OFF, None
    schema = _field(config, "responseJsonSchema") or _field(config, "responseSchema")
    return (JsonMode.SCHEMA, schema) if isinstance(schema, dict) else (JsonMode.OBJECT, None)


def _max_tokens(call: Call, config: JsonValue) -> int | None:
    value = _field(config, "maxOutputTokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request(call, "* GenerationConfig.max_output_tokens: must be a positive integer")
    return value


def _usage(completion: Completion, *, final: bool = True) -> dict[str, int]:
    usage = completion.usage
    metadata = {"promptTokenCount": usage.input_tokens, "totalTokenCount": usage.input_tokens}
    if usage.cached_tokens:
        metadata["cachedContentTokenCount"] = usage.cached_tokens
    if final:
        metadata["candidatesTokenCount"] = usage.output_tokens - usage.reasoning_tokens
        metadata["totalTokenCount"] += usage.output_tokens
        if usage.reasoning_tokens:
            metadata["thoughtsTokenCount"] = usage.reasoning_tokens
    return metadata


def _parts(completion: Completion) -> list[JsonValue]:
    call = completion.tool_call
    if call is None:
        return [{"text": completion.text}]
    return [{"functionCall": {"name": call.name, "args": orjson.loads(call.arguments)}}]


def _candidate(completion: Completion, parts: list[JsonValue], last: bool) -> JsonValue:
    candidate: dict[str, JsonValue] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if last:
        candidate["finishReason"] = FINISH[completion.finish]
    return candidate


def _stream_frames(completion: Completion, base: dict[str, JsonValue]) -> list[Frame]:
    if completion.tool_call is not None or not completion.pieces:
        chunks = [_parts(completion)]
    else:
        chunks = [[{"text": piece}] for piece in completion.pieces]
    frames = []
    for i, parts in enumerate(chunks):
        last = i == len(chunks) - 1
        chunk = {"candidates": [_candidate(completion, parts, last)], **base}
        chunk["usageMetadata"] = _usage(completion, final=last)
        frames.append(Frame(sse(chunk), paced=True))
    return frames


def _embed(call: Call, body: JsonValue, *, batch: bool) -> JsonValue:
    requests = _field(body, "requests") if batch else [body]
    if not isinstance(requests, list) or not requests:
        raise bad_request(call, "* BatchEmbedContentsRequest.requests: requests is not specified")
    vectors = []
    for request in requests:
        dims = _field(request, "outputDimensionality") or DEFAULT_EMBEDDING_DIMS
        if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
            raise bad_request(call, "* outputDimensionality must be a positive integer")
        vectors.append({"values": embedding(_field(request, "content"), dims)})
    return {"embeddings": vectors} if batch else {"embedding": vectors[0]}
