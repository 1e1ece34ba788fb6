"""OpenAI chat.completion.chunk streams, both directions: `OpenAIStreamDecoder` (a
provider's SSE events -> IR events, for the adapters) and `OpenAIStreamEncoder` (IR events
-> the chunks the OpenAI chat surface sends, `data: [DONE]` at close).

The encoder follows what the `openai` SDK's stream helper needs: the role once, in the
first chunk; a tool call's id/type/name once, in its first delta; the finish chunk with an
empty delta; the usage chunk (empty `choices`) only when the caller asked for it, after
the finish chunk and before `[DONE]`. Usage is held until close, so several
`UsageReported` events give one chunk with the last figures. Imports the IR, the OpenAI
response module, the error map and the JSON view; no I/O.
"""

from __future__ import annotations

import orjson

from hicap.errors import HicapError
from hicap.provider_egress.ir import (
    ChatRequest,
    Finished,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from hicap.provider_egress.wire.errormap import upstream_error
from hicap.provider_egress.wire.jsonview import JsonView, parse_upstream
from hicap.provider_egress.wire.openai.response import (
    chat_id,
    decode_finish,
    decode_usage,
    encode_usage,
)

__all__ = ["OpenAIStreamDecoder", "OpenAIStreamEncoder", "inband_error"]

_ERROR_STATUS = {"server_error": 500, "rate_limit_error": 429, "invalid_request_error": 400}


def inband_error(provider: str, error: JsonView) -> HicapError:
    """An `{"error": {...}}` object as a HicapError (status by its `type`, else 500)."""
    status = _ERROR_STATUS.get(error["type"].text(""), 500)
    if isinstance(error["code"].value, int):
        status = error["code"].integer()
    return upstream_error(provider, status, error["message"].text(""))


class OpenAIStreamDecoder:
    def __init__(self, provider: str = "openai") -> None:
        self._provider = provider
        self._started = False
        self._finish_sent = False
        self._open_calls: set[int] = set()
        self.finished = False

    def feed(self, event: str, data: bytes) -> list[StreamEvent]:
        if data.strip() == b"[DONE]":
            self.finished = True
            return []
        chunk = parse_upstream(data)
        if chunk.has("error"):
            raise inband_error(self._provider, chunk["error"])
        out: list[StreamEvent] = []
        if not self._started:
            self._started = True
            out.append(
                StreamStarted(
                    chunk["id"].text(""), chunk["model"].text(""), chunk["created"].integer()
                )
            )
        for choice in chunk["choices"].items()[:1]:
            out += self._choice(choice)
        if chunk.has("usage"):
            out.append(UsageReported(decode_usage(chunk["usage"])))
        return out

    def _choice(self, choice: JsonView) -> list[StreamEvent]:
        delta = choice["delta"]
        out: list[StreamEvent] = []
        text = delta["content"].text("") or delta["refusal"].text("")
        if text:
            out.append(TextDelta(text))
        for position, call in enumerate(delta["tool_calls"].items()):
            out += self._tool_call(call, position)
        if choice.has("finish_reason") and not self._finish_sent:
            self._finish_sent = True
            out.append(Finished(decode_finish(choice["finish_reason"])))
        return out

    def _tool_call(self, call: JsonView, position: int) -> list[StreamEvent]:
        index = call["index"].integer(position)
        out: list[StreamEvent] = []
        if index not in self._open_calls:
            self._open_calls.add(index)
            name = call["function"]["name"].text("")
            out.append(ToolCallStarted(index, call["id"].text(f"call_{index}"), name))
        fragment = call["function"]["arguments"].text("")
        if fragment:
            out.append(ToolCallDelta(index, fragment))
        return out


class OpenAIStreamEncoder:
    def __init__(self, req: ChatRequest) -> None:
        self._model = req.model
        self._include_usage = req.include_usage
        self._id = chat_id("")
        self._created = 0
        self._started = False
        self._usage: Usage | None = None

    def encode(self, event: StreamEvent) -> bytes:
        head = b"" if self._started or isinstance(event, StreamStarted) else self._start()
        return head + self._encode(event)

    def _encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStarted):
            self._id, self._created = chat_id(event.id), event.created
            return self._start()
        if isinstance(event, TextDelta):
            return self._chunk({"content": event.text}) if event.text else b""
        if isinstance(event, ToolCallStarted):
            function = {"name": event.name, "arguments": ""}
            call = {"index": event.index, "id": event.id, "type": "function", "function": function}
            return self._chunk({"tool_calls": [call]})
        if isinstance(event, ToolCallDelta):
            call = {"index": event.index, "function": {"arguments": event.arguments}}
            return self._chunk({"tool_calls": [call]})
        if isinstance(event, Finished):
            return self._chunk({}, event.finish_reason)
        self._usage = event.usage
        return b""

    def close(self) -> bytes:
        usage = b""
        if self._include_usage:
            body = self._envelope([]) | {"usage": encode_usage(self._usage or Usage())}
            usage = _sse(body)
        return usage + b"data: [DONE]\n\n"

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self._chunk({"role": "assistant", "content": ""})

    def _chunk(self, delta: dict[str, object], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        body = self._envelope([choice])
        if self._include_usage:
            body["usage"] = None
        return _sse(body)

    def _envelope(self, choices: list[object]) -> dict[str, object]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
        }


def _sse(body: dict[str, object]) -> bytes:
    return b"data: " + orjson.dumps(body) + b"\n\n"
