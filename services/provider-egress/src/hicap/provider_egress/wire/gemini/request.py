"""Gemini generateContent request bodies, both directions: `encode_request` (IR -> the
body the Gemini adapter sends) and `decode_request` (such a body -> IR, so the translation
can be checked by round trip; no caller speaks Gemini to us).

System messages become `systemInstruction`; user/tool turns are `user` contents and
assistant turns `model` contents, consecutive same-role turns merged; tool results are
`functionResponse` parts, which need the function *name*: it is found from the earlier
assistant tool call with the same id. A result that is a JSON object is sent as the
`response`, any other text as `{"result": text}` (`{"error": text}` when the tool
failed). Call ids travel in the optional `id` fields. Imports the IR, the schema module,
the JSON view and hicap.errors; no I/O.
"""

from __future__ import annotations

from typing import Literal

import orjson

from hicap.errors import InvalidRequest
from hicap.provider_egress.ir import (
    ChatRequest,
    ContentPart,
    ImagePart,
    Json,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from hicap.provider_egress.wire.gemini.ids import synthesize_call_id
from hicap.provider_egress.wire.gemini.schema import from_gemini_schema, to_gemini_schema
from hicap.provider_egress.wire.images import data_url, guess_media_type, split_data_url
from hicap.provider_egress.wire.jsonview import JsonView, dumps, loads_object

__all__ = ["decode_request", "encode_contents", "encode_request"]

_Part = dict[str, object]
_MODE_OUT = {"auto": "AUTO", "required": "ANY", "tool": "ANY", "none": "NONE"}
_MODE_IN: dict[str, Literal["auto", "required", "none"]] = {
    "AUTO": "auto",
    "ANY": "required",
    "NONE": "none",
    "VALIDATED": "auto",
}


def encode_request(req: ChatRequest) -> dict[str, object]:
    body = encode_contents(req)
    config = _generation_config(req)
    if config:
        body["generationConfig"] = config
    if req.tools and req.tool_choice is not None:
        body["toolConfig"] = {"functionCallingConfig": _encode_choice(req.tool_choice)}
    return body


def encode_contents(req: ChatRequest) -> dict[str, object]:
    """What both generateContent and countTokens need: contents, system, tools."""
    body: dict[str, object] = {"contents": _encode_contents(req.messages)}
    system = [m.text for m in req.messages if m.role == "system" and m.text]
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    if req.tools:
        body["tools"] = [{"functionDeclarations": [_encode_tool(t) for t in req.tools]}]
    return body


def _generation_config(req: ChatRequest) -> dict[str, object]:
    config: dict[str, object] = {}
    pairs = (
        ("maxOutputTokens", req.max_tokens),
        ("temperature", req.temperature),
        ("topP", req.top_p),
    )
    config |= {k: v for k, v in pairs if v is not None}
    if req.stop:
        config["stopSequences"] = list(req.stop)
    fmt = req.response_format
    if fmt is not None and fmt.kind != "text":
        config["responseMimeType"] = "application/json"
        if fmt.kind == "json_schema" and fmt.schema is not None:
            config["responseSchema"] = to_gemini_schema(fmt.schema)
    return config


def _encode_contents(messages: tuple[Message, ...]) -> list[dict[str, object]]:
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    roles: list[str] = []
    contents: list[list[_Part]] = []
    for m in messages:
        parts = _encode_parts(m, names)
        role = "model" if m.role == "assistant" else "user"
        if m.role == "system" or not parts:
            continue
        if roles and roles[-1] == role:
            contents[-1].extend(parts)
        else:
            roles.append(role)
            contents.append(parts)
    return [{"role": r, "parts": p} for r, p in zip(roles, contents, strict=True)]


def _encode_parts(m: Message, names: dict[str, str]) -> list[_Part]:
    if m.role == "tool":
        return [_encode_result(m, names)]
    parts = [_encode_part(p) for p in m.content if not (isinstance(p, TextPart) and not p.text)]
    return parts + [_encode_call(c) for c in m.tool_calls]


def _encode_part(p: ContentPart) -> _Part:
    if isinstance(p, TextPart):
        return {"text": p.text}
    inline = split_data_url(p.url)
    if inline is None:
        return {"fileData": {"mimeType": guess_media_type(p.url), "fileUri": p.url}}
    return {"inlineData": {"mimeType": inline[0], "data": inline[1]}}


def _encode_call(c: ToolCall) -> _Part:
    args = loads_object(c.arguments)
    if args is None:
        raise InvalidRequest(f"the arguments of tool call `{c.name[:64]}` must be a JSON object")
    return {"functionCall": {"id": c.id, "name": c.name, "args": args}}


def _encode_result(m: Message, names: dict[str, str]) -> _Part:
    name = names.get(m.tool_call_id)
    if name is None:
        raise InvalidRequest(f"tool result `{m.tool_call_id[:64]}` answers no earlier tool call")
    response: object = {"error": m.text} if m.is_error else _result_object(m.text)
    return {"functionResponse": {"id": m.tool_call_id, "name": name, "response": response}}


def _result_object(text: str) -> object:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    return value if isinstance(value, dict) else {"result": text}


def _encode_tool(t: Tool) -> dict[str, object]:
    declaration: dict[str, object] = {"name": t.name}
    if t.description:
        declaration["description"] = t.description
    if t.parameters is not None:
        declaration["parameters"] = to_gemini_schema(t.parameters)
    return declaration


def _encode_choice(c: ToolChoice) -> dict[str, object]:
    config: dict[str, object] = {"mode": _MODE_OUT[c.mode]}
    if c.mode == "tool":
        config["allowedFunctionNames"] = [c.name]
    return config


def decode_request(body: JsonView, model: str, *, stream: bool = False) -> ChatRequest:
    config = body["generationConfig"]
    return ChatRequest(
        model=model,
        messages=_decode_system(body["systemInstruction"]) + _decode_contents(body["contents"]),
        max_tokens=config["maxOutputTokens"].opt_integer(),
        temperature=config["temperature"].opt_number(),
        top_p=config["topP"].opt_number(),
        stop=tuple(s.text() for s in config["stopSequences"].items()),
        tools=tuple(
            _decode_tool(d)
            for t in body["tools"].items()
            for d in t["functionDeclarations"].items()
        ),
        tool_choice=_decode_choice(body["toolConfig"]["functionCallingConfig"]),
        response_format=_decode_format(config),
        stream=stream,
    )


def _decode_system(view: JsonView) -> tuple[Message, ...]:
    text = "".join(p["text"].text("") for p in view["parts"].items())
    return (Message("system", (TextPart(text),)),) if text else ()


def _decode_contents(view: JsonView) -> tuple[Message, ...]:
    out: list[Message] = []
    for content in view.items():
        if content["role"].text("user") == "model":
            out.append(_decode_model_turn(content["parts"].items()))
            continue
        parts: list[ContentPart] = []
        for p in content["parts"].items():
            if p.has("functionResponse"):
                out.append(_decode_result(p["functionResponse"]))
            else:
                parts.append(_decode_part(p))
        out += [Message("user", tuple(parts))] if parts else []
    return tuple(out)


def _decode_part(p: JsonView) -> ContentPart:
    if p.has("inlineData"):
        return ImagePart(
            data_url(p["inlineData"]["mimeType"].text(), p["inlineData"]["data"].text())
        )
    if p.has("fileData"):
        return ImagePart(p["fileData"]["fileUri"].text())
    return TextPart(p["text"].text(""))


def _decode_model_turn(parts: list[JsonView]) -> Message:
    texts = tuple(TextPart(p["text"].text()) for p in parts if p.has("text"))
    calls = tuple(
        decode_call(p["functionCall"], i)
        for i, p in enumerate(q for q in parts if q.has("functionCall"))
    )
    return Message("assistant", texts, tool_calls=calls)


def decode_call(call: JsonView, index: int) -> ToolCall:
    """A `functionCall` as a ToolCall, its id synthesized when Gemini gave none."""
    name, arguments = call["name"].text(""), dumps(call["args"].value or {})
    return ToolCall(
        call["id"].text("") or synthesize_call_id(index, name, arguments), name, arguments
    )


def _decode_result(view: JsonView) -> Message:
    response = view["response"]
    keys = [k for k, _ in response.entries()]
    is_error = keys == ["error"] and isinstance(response["error"].value, str)
    if is_error or (keys == ["result"] and isinstance(response["result"].value, str)):
        text = response[keys[0]].text()
    else:
        text = dumps(response.value)
    return Message("tool", (TextPart(text),), tool_call_id=view["id"].text(""), is_error=is_error)


def _decode_tool(d: JsonView) -> Tool:
    params: Json = from_gemini_schema(d["parameters"].json())
    return Tool(d["name"].text(), d["description"].text(""), params)


def _decode_choice(view: JsonView) -> ToolChoice | None:
    if view.is_null:
        return None
    mode = _MODE_IN.get(view["mode"].text("AUTO"), "auto")
    names = view["allowedFunctionNames"].items()
    if mode == "required" and len(names) == 1:
        return ToolChoice("tool", names[0].text())
    return ToolChoice(mode)


def _decode_format(config: JsonView) -> ResponseFormat | None:
    if config["responseMimeType"].text("") != "application/json":
        return None
    if config["responseSchema"].is_null:
        return ResponseFormat("json_object")
    return ResponseFormat("json_schema", schema=from_gemini_schema(config["responseSchema"].json()))
