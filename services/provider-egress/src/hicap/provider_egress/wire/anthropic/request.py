"""Anthropic Messages request bodies, both directions: `encode_request` (IR -> the body
the Anthropic adapter sends) and `decode_request` (a caller's `/v1/messages` body -> IR,
validated, for the Anthropic surface).

Encoding lifts system messages into `system`, turns tool messages into `tool_result`
blocks of a user turn (results first, as the API requires), merges consecutive same-role
turns, defaults the required `max_tokens`, clamps `temperature` to Anthropic's 0..1, and
translates JSON modes: `json_schema` -> `output_config.format` (Anthropic's structured
outputs), `json_object` -> an instruction appended to `system` (Anthropic has no
schema-less JSON mode). Imports the IR, the JSON view and hicap.errors; no I/O.
"""

from __future__ import annotations

from typing import Literal

from hicap.errors import InvalidRequest
from hicap.provider_egress.ir import (
    ChatRequest,
    ContentPart,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from hicap.provider_egress.wire.images import data_url, split_data_url
from hicap.provider_egress.wire.jsonview import JsonView, dumps, loads_object

__all__ = ["DEFAULT_MAX_TOKENS", "JSON_OBJECT_INSTRUCTION", "decode_request", "encode_request"]

DEFAULT_MAX_TOKENS = 4096
JSON_OBJECT_INSTRUCTION = "Answer with one JSON object and nothing else."
_Block = dict[str, object]
_CHOICES: dict[str, Literal["auto", "none", "required", "tool"]] = {
    "auto": "auto",
    "any": "required",
    "none": "none",
    "tool": "tool",
}
_CHOICE_OUT = {"auto": "auto", "required": "any", "none": "none", "tool": "tool"}


def encode_request(
    req: ChatRequest, upstream_model: str, default_max_tokens: int = DEFAULT_MAX_TOKENS
) -> dict[str, object]:
    body: dict[str, object] = {
        "model": upstream_model,
        "max_tokens": req.max_tokens or default_max_tokens,
        "messages": _encode_messages(req.messages),
    }
    system = _system_text(req)
    if system:
        body["system"] = system
    if req.temperature is not None:
        body["temperature"] = min(max(req.temperature, 0.0), 1.0)
    if req.top_p is not None:
        body["top_p"] = req.top_p
    if req.stop:
        body["stop_sequences"] = list(req.stop)
    if req.tools:
        body["tools"] = [_encode_tool(t) for t in req.tools]
        if req.tool_choice is not None:
            body["tool_choice"] = _encode_choice(req.tool_choice)
    fmt = req.response_format
    if fmt is not None and fmt.kind == "json_schema":
        body["output_config"] = {"format": {"type": "json_schema", "schema": fmt.schema}}
    if req.stream:
        body["stream"] = True
    if req.user:
        body["metadata"] = {"user_id": req.user}
    return body


def _system_text(req: ChatRequest) -> str:
    texts = [m.text for m in req.messages if m.role == "system" and m.text]
    if req.response_format is not None and req.response_format.kind == "json_object":
        texts.append(JSON_OBJECT_INSTRUCTION)
    return "\n\n".join(texts)


def _encode_messages(messages: tuple[Message, ...]) -> list[dict[str, object]]:
    roles: list[str] = []
    contents: list[list[_Block]] = []
    for m in messages:
        blocks = _encode_blocks(m)
        role = "assistant" if m.role == "assistant" else "user"
        if m.role == "system" or not blocks:
            continue
        if roles and roles[-1] == role:
            contents[-1].extend(blocks)
        else:
            roles.append(role)
            contents.append(blocks)
    return [{"role": r, "content": _results_first(c)} for r, c in zip(roles, contents, strict=True)]


def _results_first(blocks: list[_Block]) -> list[_Block]:
    return sorted(blocks, key=lambda b: b["type"] != "tool_result")


def _encode_blocks(m: Message) -> list[_Block]:
    if m.role == "tool":
        result: _Block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.text}
        return [result | {"is_error": True}] if m.is_error else [result]
    if m.role == "assistant":
        text: list[_Block] = [{"type": "text", "text": m.text}] if m.text else []
        return text + [_encode_call(c) for c in m.tool_calls]
    return [_encode_part(p) for p in m.content if not (isinstance(p, TextPart) and not p.text)]


def _encode_part(p: ContentPart) -> _Block:
    if isinstance(p, TextPart):
        return {"type": "text", "text": p.text}
    inline = split_data_url(p.url)
    if inline is None:
        return {"type": "image", "source": {"type": "url", "url": p.url}}
    media_type, data = inline
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _encode_call(c: ToolCall) -> _Block:
    arguments = loads_object(c.arguments)
    if arguments is None:
        raise InvalidRequest(f"the arguments of tool call `{c.name[:64]}` must be a JSON object")
    return {"type": "tool_use", "id": c.id, "name": c.name, "input": arguments}


def _encode_tool(t: Tool) -> _Block:
    schema = t.parameters if t.parameters is not None else {"type": "object", "properties": {}}
    tool: _Block = {"name": t.name, "input_schema": schema}
    if t.description:
        tool["description"] = t.description
    return tool


def _encode_choice(c: ToolChoice) -> _Block:
    choice: _Block = {"type": _CHOICE_OUT[c.mode]}
    if c.mode == "tool":
        choice["name"] = c.name
    if not c.parallel and c.mode != "none":
        choice["disable_parallel_tool_use"] = True
    return choice


def decode_request(body: JsonView, *, require_max_tokens: bool = True) -> ChatRequest:
    messages = body["messages"].items()
    if not messages:
        raise body["messages"].fail("must be a non-empty array")
    if require_max_tokens and body["max_tokens"].is_null:
        raise body["max_tokens"].fail("is required")
    max_tokens = body["max_tokens"].opt_integer()
    if max_tokens is not None and max_tokens < 1:
        raise body["max_tokens"].fail("must be a positive integer")
    return ChatRequest(
        model=body["model"].text(),
        messages=_decode_system(body["system"]) + _decode_messages(messages),
        max_tokens=max_tokens,
        temperature=body["temperature"].opt_number(),
        top_p=body["top_p"].opt_number(),
        stop=tuple(s.text() for s in body["stop_sequences"].items()),
        tools=tuple(_decode_tool(t.object()) for t in body["tools"].items()),
        tool_choice=_decode_choice(body["tool_choice"]),
        response_format=_decode_format(body["output_config"]["format"]),
        stream=body["stream"].flag(),
        user=body["metadata"]["user_id"].text(""),
    )


def _decode_system(view: JsonView) -> tuple[Message, ...]:
    if view.is_null:
        return ()
    if isinstance(view.value, str):
        return (Message("system", (TextPart(view.value),)),) if view.value else ()
    parts = tuple(TextPart(b.object()["text"].text()) for b in view.items())
    return (Message("system", parts),) if parts else ()


def _decode_messages(messages: list[JsonView]) -> tuple[Message, ...]:
    out: list[Message] = []
    for m in messages:
        m.object()
        role = m["role"].text()
        if role not in ("user", "assistant", "system"):
            raise m["role"].fail("must be 'user' or 'assistant'")
        out += _decode_turn(role, m["content"])
    return tuple(out)


def _decode_turn(role: str, content: JsonView) -> list[Message]:
    if isinstance(content.value, str):
        return [Message(_role(role), (TextPart(content.value),))]
    if role == "assistant":
        return [_decode_assistant(content.items())]
    out: list[Message] = []
    parts: list[ContentPart] = []
    for block in content.items():
        kind = block.object()["type"].text()
        if kind == "tool_result":
            out.append(_decode_result(block))
        elif kind in ("text", "image"):
            parts.append(_decode_part(block, kind))
        elif kind not in ("thinking", "redacted_thinking"):
            raise block["type"].fail(f"{kind[:40]!r} is not supported here")
    return out + ([Message(_role(role), tuple(parts))] if parts else [])


def _role(role: str) -> Literal["user", "system"]:
    return "system" if role == "system" else "user"


def _decode_assistant(blocks: list[JsonView]) -> Message:
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    for block in blocks:
        kind = block.object()["type"].text()
        if kind == "text":
            parts.append(TextPart(block["text"].text()))
        elif kind == "tool_use":
            arguments = dumps(block["input"].object().value)
            calls.append(ToolCall(block["id"].text(), block["name"].text(), arguments))
        elif kind not in ("thinking", "redacted_thinking"):
            raise block["type"].fail(f"{kind[:40]!r} is not supported in an assistant turn")
    return Message("assistant", tuple(parts), tool_calls=tuple(calls))


def _decode_part(block: JsonView, kind: str) -> ContentPart:
    if kind == "text":
        return TextPart(block["text"].text())
    source = block["source"].object()
    if source["type"].text() == "url":
        return ImagePart(source["url"].text())
    return ImagePart(data_url(source["media_type"].text(), source["data"].text()))


def _decode_result(block: JsonView) -> Message:
    content = block["content"]
    if isinstance(content.value, str) or content.is_null:
        text = content.text("")
    else:
        text = "".join(b["text"].text("") for b in content.items() if b["type"].value == "text")
    is_error = block["is_error"].flag()
    return Message(
        "tool", (TextPart(text),), tool_call_id=block["tool_use_id"].text(), is_error=is_error
    )


def _decode_tool(t: JsonView) -> Tool:
    if t["type"].text("custom") != "custom":
        raise t["type"].fail("server tools are not supported")
    schema = t["input_schema"].object()
    return Tool(t["name"].text(), t["description"].text(""), schema.json())


def _decode_choice(view: JsonView) -> ToolChoice | None:
    if view.is_null:
        return None
    mode = _CHOICES.get(view.object()["type"].text())
    if mode is None:
        raise view["type"].fail("must be 'auto', 'any', 'tool' or 'none'")
    name = view["name"].text() if mode == "tool" else ""
    return ToolChoice(mode, name, parallel=not view["disable_parallel_tool_use"].flag())


def _decode_format(view: JsonView) -> ResponseFormat | None:
    if view.is_null:
        return None
    if view.object()["type"].text() != "json_schema":
        raise view["type"].fail("must be 'json_schema'")
    return ResponseFormat("json_schema", schema=view["schema"].object().json())
