"""OpenAI Chat Completions request bodies, both directions: `encode_request` (IR -> the
body sent upstream by the OpenAI and OpenAI-compatible adapters) and `decode_request`
(a caller's body -> IR, validated, for the OpenAI chat surface).

Decoding refuses wrong types, empty `messages`, unknown roles and non-positive
`max_tokens` with an InvalidRequest naming the field; unknown fields are ignored. Imports
the IR, the JSON view and hicap.errors; no I/O.
"""

from __future__ import annotations

from typing import Literal

from hicap.provider_egress.ir import (
    ChatRequest,
    ContentPart,
    ImagePart,
    Message,
    ResponseFormat,
    Role,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from hicap.provider_egress.wire.jsonview import JsonView, dumps

__all__ = ["TOOL_ERROR_PREFIX", "decode_request", "encode_request"]

TOOL_ERROR_PREFIX = "[tool error] "  # OpenAI has no is_error field on tool messages
_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}
_MODES: dict[str, Literal["auto", "none", "required"]] = {
    "auto": "auto",
    "none": "none",
    "required": "required",
}
_SIMPLE_FORMATS: dict[str, Literal["text", "json_object"]] = {
    "text": "text",
    "json_object": "json_object",
}


def encode_request(
    req: ChatRequest, upstream_model: str, max_tokens_field: str = "max_completion_tokens"
) -> dict[str, object]:
    body: dict[str, object] = {
        "model": upstream_model,
        "messages": [_encode_message(m) for m in req.messages],
    }
    _put(body, max_tokens_field, req.max_tokens)
    _put(body, "temperature", req.temperature)
    _put(body, "top_p", req.top_p)
    if req.stop:
        body["stop"] = list(req.stop)
    if req.tools:  # OpenAI refuses tool_choice without tools
        body["tools"] = [_encode_tool(t) for t in req.tools]
        if req.tool_choice is not None:
            body["tool_choice"] = _encode_tool_choice(req.tool_choice)
            if not req.tool_choice.parallel:
                body["parallel_tool_calls"] = False
    if req.response_format is not None:
        body["response_format"] = _encode_format(req.response_format)
    if req.stream:
        # always ask for the usage chunk: every streamed call is metered
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    if req.user:
        body["user"] = req.user
    return body


def _put(body: dict[str, object], key: str, value: object) -> None:
    if value is not None:
        body[key] = value


def _encode_message(m: Message) -> dict[str, object]:
    if m.role == "tool":
        text = (TOOL_ERROR_PREFIX if m.is_error else "") + m.text
        return {"role": "tool", "tool_call_id": m.tool_call_id, "content": text}
    if m.role == "assistant":
        out: dict[str, object] = {"role": "assistant", "content": m.text or None}
        if m.tool_calls:
            out["tool_calls"] = [_encode_call(c) for c in m.tool_calls]
        return out
    if len(m.content) <= 1 and all(isinstance(p, TextPart) for p in m.content):
        return {"role": m.role, "content": m.text}
    return {"role": m.role, "content": [_encode_part(p) for p in m.content]}


def _encode_part(p: ContentPart) -> dict[str, object]:
    if isinstance(p, TextPart):
        return {"type": "text", "text": p.text}
    return {"type": "image_url", "image_url": {"url": p.url}}


def _encode_call(c: ToolCall) -> dict[str, object]:
    return {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}


def _encode_tool(t: Tool) -> dict[str, object]:
    function: dict[str, object] = {"name": t.name}
    if t.description:
        function["description"] = t.description
    if t.parameters is not None:
        function["parameters"] = t.parameters
    return {"type": "function", "function": function}


def _encode_tool_choice(c: ToolChoice) -> object:
    if c.mode == "tool":
        return {"type": "function", "function": {"name": c.name}}
    return c.mode


def _encode_format(f: ResponseFormat) -> dict[str, object]:
    if f.kind != "json_schema":
        return {"type": f.kind}
    spec: dict[str, object] = {"name": f.name or "response", "schema": f.schema}
    if f.strict:
        spec["strict"] = True
    return {"type": "json_schema", "json_schema": spec}


def decode_request(body: JsonView) -> ChatRequest:
    messages = body["messages"].items()
    if not messages:
        raise body["messages"].fail("must be a non-empty array")
    if body["n"].integer(1) != 1:
        raise body["n"].fail("must be 1: one choice per request is supported")
    stream = body["stream"].flag()
    return ChatRequest(
        model=body["model"].text(),
        messages=tuple(_decode_message(m.object()) for m in messages),
        max_tokens=_max_tokens(body),
        temperature=body["temperature"].opt_number(),
        top_p=body["top_p"].opt_number(),
        stop=_stop(body["stop"]),
        tools=tuple(_decode_tool(t.object()) for t in body["tools"].items()),
        tool_choice=_decode_tool_choice(body["tool_choice"], body["parallel_tool_calls"]),
        response_format=_decode_format(body["response_format"]),
        stream=stream,
        include_usage=stream and body["stream_options"]["include_usage"].flag(),
        user=body["user"].text(""),
    )


def _max_tokens(body: JsonView) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body[name].opt_integer()
        if value is not None:
            if value < 1:
                raise body[name].fail("must be a positive integer")
            return value
    return None


def _stop(view: JsonView) -> tuple[str, ...]:
    if isinstance(view.value, str):
        return (view.value,)
    return tuple(s.text() for s in view.items())


def _decode_message(m: JsonView) -> Message:
    role = _ROLES.get(m["role"].text())
    if role is None:
        raise m["role"].fail("must be one of system, developer, user, assistant, tool")
    if role == "tool":
        text = Message("tool", _content(m["content"], text_only=True)).text
        return Message("tool", (TextPart(text),), tool_call_id=m["tool_call_id"].text())
    if role == "assistant":
        calls = tuple(_decode_call(c.object()) for c in m["tool_calls"].items())
        return Message("assistant", _content(m["content"], text_only=True), tool_calls=calls)
    return Message(role, _content(m["content"], text_only=role == "system"))


def _content(view: JsonView, *, text_only: bool) -> tuple[ContentPart, ...]:
    if view.is_null:
        return ()
    if isinstance(view.value, str):
        return (TextPart(view.value),)
    return tuple(_decode_part(p.object(), text_only) for p in view.items())


def _decode_part(p: JsonView, text_only: bool) -> ContentPart:
    kind = p["type"].text()
    if kind in ("text", "refusal"):
        return TextPart(p[kind].text())
    if kind == "image_url" and not text_only:
        url = p["image_url"]
        return ImagePart(url.text() if isinstance(url.value, str) else url["url"].text())
    raise p["type"].fail(f"{kind[:40]!r} is not supported here")


def _decode_call(c: JsonView) -> ToolCall:
    f = c["function"].object()
    arguments = f["arguments"]
    text = arguments.text("{}") if not arguments.is_object else dumps(arguments.value)
    return ToolCall(c["id"].text(), _name(f["name"]), text)


def _name(view: JsonView) -> str:
    name = view.text()
    if not name:
        raise view.fail("must not be empty")
    return name


def _decode_tool(t: JsonView) -> Tool:
    if t["type"].text("function") != "function":
        raise t["type"].fail("must be 'function'")
    f = t["function"].object()
    params = f["parameters"]
    if not params.is_null:
        params.object()
    return Tool(_name(f["name"]), f["description"].text(""), params.json())


def _decode_tool_choice(choice: JsonView, parallel: JsonView) -> ToolChoice | None:
    allow_parallel = parallel.flag(True)
    if choice.is_null:
        return None if allow_parallel else ToolChoice(parallel=False)
    if isinstance(choice.value, str):
        mode = _MODES.get(choice.value)
        if mode is None:
            raise choice.fail("must be 'none', 'auto', 'required' or a function")
        return ToolChoice(mode, parallel=allow_parallel)
    name = _name(choice.object()["function"].object()["name"])
    return ToolChoice("tool", name, parallel=allow_parallel)


def _decode_format(view: JsonView) -> ResponseFormat | None:
    if view.is_null:
        return None
    kind = view.object()["type"].text()
    simple = _SIMPLE_FORMATS.get(kind)
    if simple is not None:
        return ResponseFormat(simple)
    if kind != "json_schema":
        raise view["type"].fail("must be 'text', 'json_object' or 'json_schema'")
    spec = view["json_schema"].object()
    schema = spec["schema"]
    if not schema.is_null:
        schema.object()
    return ResponseFormat(
        "json_schema", spec["name"].text(""), schema.json(), spec["strict"].flag(False)
    )
