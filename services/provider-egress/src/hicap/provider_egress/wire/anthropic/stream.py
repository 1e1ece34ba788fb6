"""Anthropic Messages SSE streams, both directions: `AnthropicStreamDecoder` (the
provider's events -> IR events, for the adapter) and `AnthropicStreamEncoder` (IR events
-> `event: X` / `data: {...}` events for the Anthropic surface).

The encoder keeps the order the `anthropic` SDK's stream helper checks: `message_start`
(content [] and usage) first; one content block open at a time, indexes contiguous; a
tool_use block starts with `input: {}` and carries `input_json_delta`s; `message_delta`
(stop reason and cumulative usage) and `message_stop` are written at close, once the
finish reason and usage are both known. Tool-call deltas are expected in sequence (one
call after another, as every provider streams them); a fragment for a call whose block
is already closed is dropped. Imports the IR and the Anthropic format modules; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from hicap.provider_egress.ir import (
    ChatRequest,
    Finished,
    FinishReason,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from hicap.provider_egress.wire.anthropic.errors import stream_error
from hicap.provider_egress.wire.anthropic.response import (
    decode_stop_reason,
    decode_usage,
    encode_stop_reason,
    encode_usage,
    message_id,
)
from hicap.provider_egress.wire.jsonview import JsonView, parse_upstream

__all__ = ["AnthropicStreamDecoder", "AnthropicStreamEncoder"]


class AnthropicStreamDecoder:
    def __init__(self) -> None:
        self._usage = Usage()
        self._tool_of_block: dict[int, int] = {}
        self.finished = False

    def feed(self, event: str, data: bytes) -> list[StreamEvent]:
        if event == "error":
            raise stream_error(data)
        msg = parse_upstream(data)
        kind = event or msg["type"].text("")
        if kind == "error":
            raise stream_error(data)
        if kind == "message_start":
            return self._start(msg["message"])
        if kind == "content_block_start":
            return self._block_start(msg["index"].integer(), msg["content_block"])
        if kind == "content_block_delta":
            return self._delta(msg["index"].integer(), msg["delta"])
        if kind == "message_delta":
            self._usage = decode_usage(msg["usage"], self._usage)
            reason = decode_stop_reason(msg["delta"]["stop_reason"])
            return [Finished(reason), UsageReported(self._usage)]
        self.finished = self.finished or kind == "message_stop"
        return []

    def _start(self, message: JsonView) -> list[StreamEvent]:
        self._usage = decode_usage(message["usage"])
        started = StreamStarted(
            message["id"].text(""), message["model"].text(""), 0, self._usage.input_tokens
        )
        return [started]

    def _block_start(self, index: int, block: JsonView) -> list[StreamEvent]:
        kind = block["type"].text("")
        if kind == "text" and block["text"].text(""):
            return [TextDelta(block["text"].text())]
        if kind != "tool_use":
            return []
        position = self._tool_of_block[index] = len(self._tool_of_block)
        return [ToolCallStarted(position, block["id"].text(), block["name"].text())]

    def _delta(self, index: int, delta: JsonView) -> list[StreamEvent]:
        kind = delta["type"].text("")
        if kind == "text_delta" and delta["text"].text(""):
            return [TextDelta(delta["text"].text())]
        fragment = delta["partial_json"].text("") if kind == "input_json_delta" else ""
        if fragment and index in self._tool_of_block:
            return [ToolCallDelta(self._tool_of_block[index], fragment)]
        return []


class AnthropicStreamEncoder:
    def __init__(self, req: ChatRequest) -> None:
        self._model = req.model
        self._started = False
        self._next_index = 0
        self._open: str | None = None  # "text" or "tool"
        self._open_tool = -1
        self._finish: FinishReason = "stop"
        self._usage = Usage()

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStarted):
            return self._message_start(event)
        head = b"" if self._started else self._message_start(StreamStarted("", ""))
        return head + self._encode(event)

    def _encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, TextDelta):
            if not event.text:
                return b""
            head = (
                b""
                if self._open == "text"
                else self._open_block({"type": "text", "text": ""}, "text")
            )
            return head + self._block_delta({"type": "text_delta", "text": event.text})
        if isinstance(event, ToolCallStarted):
            block = {"type": "tool_use", "id": event.id, "name": event.name, "input": {}}
            self._open_tool = event.index
            return self._open_block(block, "tool")
        if isinstance(event, ToolCallDelta):
            if self._open != "tool" or event.index != self._open_tool:
                return b""
            return self._block_delta({"type": "input_json_delta", "partial_json": event.arguments})
        if isinstance(event, Finished):
            self._finish = event.finish_reason
            return self._close_block()
        if isinstance(event, UsageReported):
            self._usage = event.usage
        return b""

    def close(self) -> bytes:
        delta = {"stop_reason": encode_stop_reason(self._finish), "stop_sequence": None}
        end = _sse(
            "message_delta",
            {"type": "message_delta", "delta": delta, "usage": encode_usage(self._usage)},
        )
        head = b"" if self._started else self._message_start(StreamStarted("", ""))
        return head + self._close_block() + end + _sse("message_stop", {"type": "message_stop"})

    def _message_start(self, started: StreamStarted) -> bytes:
        if self._started:
            return b""
        self._started = True
        usage = encode_usage(Usage(input_tokens=started.input_tokens))
        message: dict[str, object] = {
            "id": message_id(started.id),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        return _sse("message_start", {"type": "message_start", "message": message})

    def _open_block(self, block: Mapping[str, object], kind: str) -> bytes:
        closed = self._close_block()
        self._open = kind
        start = {"type": "content_block_start", "index": self._next_index, "content_block": block}
        return closed + _sse("content_block_start", start)

    def _block_delta(self, delta: Mapping[str, object]) -> bytes:
        body = {"type": "content_block_delta", "index": self._next_index, "delta": delta}
        return _sse("content_block_delta", body)

    def _close_block(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        index, self._next_index = self._next_index, self._next_index + 1
        return _sse("content_block_stop", {"type": "content_block_stop", "index": index})


def _sse(event: str, body: Mapping[str, object]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(body) + b"\n\n"
