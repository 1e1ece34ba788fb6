"""Gemini streamGenerateContent (`alt=sse`) streams, both directions:
`GeminiStreamDecoder` (the provider's chunks -> IR events, for the adapter) and
`GeminiStreamEncoder` (IR events -> such chunks, the inverse, for round-trip checks).

Each chunk carries only new parts; a function call arrives whole in one part (one
ToolCallStarted and one ToolCallDelta with all its arguments); the chunk with a
`finishReason` ends the stream (Gemini sends no end marker), with the finish reason and
the last `usageMetadata` seen. A chunk `{"error": ...}` raises. Imports the IR and the
Gemini format modules; no I/O.
"""

from __future__ import annotations

import orjson

from hicap.provider_egress.ir import (
    ChatRequest,
    ChatResponse,
    Finished,
    FinishReason,
    StreamEvent,
    StreamStarted,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from hicap.provider_egress.wire.gemini.errors import error_from_object
from hicap.provider_egress.wire.gemini.response import (
    decode_finish,
    decode_parts,
    decode_usage,
    encode_response,
)
from hicap.provider_egress.wire.jsonview import parse_upstream

__all__ = ["GeminiStreamDecoder", "GeminiStreamEncoder"]


class GeminiStreamDecoder:
    def __init__(self) -> None:
        self._started = False
        self._calls = 0
        self._usage = Usage()
        self.finished = False

    def feed(self, event: str, data: bytes) -> list[StreamEvent]:
        chunk = parse_upstream(data)
        if chunk.has("error"):
            raise error_from_object(chunk["error"])
        out: list[StreamEvent] = []
        if not self._started:
            self._started = True
            out.append(StreamStarted(chunk["responseId"].text(""), chunk["modelVersion"].text("")))
        if chunk.has("usageMetadata"):
            self._usage = decode_usage(chunk["usageMetadata"])
        candidates = chunk["candidates"].items()
        if not candidates:
            return out + (
                self._finish("SAFETY")
                if chunk.has("promptFeedback")
                else self._late_usage(chunk.has("usageMetadata"))
            )
        text, calls = decode_parts(candidates[0]["content"]["parts"].items(), self._calls)
        out += [TextDelta(text)] if text else []
        for call in calls:
            out += [
                ToolCallStarted(self._calls, call.id, call.name),
                ToolCallDelta(self._calls, call.arguments),
            ]
            self._calls += 1
        if candidates[0].has("finishReason"):
            out += self._finish(candidates[0]["finishReason"].text())
        return out

    def _finish(self, reason: str) -> list[StreamEvent]:
        if self.finished:
            return []
        self.finished = True
        return [Finished(decode_finish(reason, called=self._calls > 0)), UsageReported(self._usage)]

    def _late_usage(self, has_usage: bool) -> list[StreamEvent]:
        return [UsageReported(self._usage)] if has_usage and self.finished else []


class GeminiStreamEncoder:
    """Holds a tool call until its arguments are complete, and the finish reason until
    close (usage comes after it in the IR), as Gemini sends both whole."""

    def __init__(self, req: ChatRequest) -> None:
        self._model = req.model
        self._id = ""
        self._pending: dict[int, ToolCall] = {}
        self._finish: FinishReason = "stop"
        self._usage = Usage()

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStarted):
            self._id = event.id
        elif isinstance(event, ToolCallStarted):
            self._pending[event.index] = ToolCall(event.id, event.name, "")
        elif isinstance(event, ToolCallDelta):
            call = self._pending[event.index]
            self._pending[event.index] = ToolCall(
                call.id, call.name, call.arguments + event.arguments
            )
        elif isinstance(event, TextDelta):
            return self._flush_calls() + self._chunk(
                ChatResponse(self._id, self._model, text=event.text)
            )
        elif isinstance(event, Finished):
            self._finish = event.finish_reason
        elif isinstance(event, UsageReported):
            self._usage = event.usage
        return b""

    def close(self) -> bytes:
        last = ChatResponse(self._id, self._model, finish_reason=self._finish, usage=self._usage)
        return self._flush_calls() + self._chunk(last, final=True)

    def _flush_calls(self) -> bytes:
        if not self._pending:
            return b""
        calls = tuple(self._pending[i] for i in sorted(self._pending))
        self._pending.clear()
        return self._chunk(ChatResponse(self._id, self._model, tool_calls=calls))

    def _chunk(self, part: ChatResponse, *, final: bool = False) -> bytes:
        body = encode_response(part)
        candidate = body["candidates"]
        if not final and isinstance(candidate, list):
            candidate[0].pop("finishReason")
            body.pop("usageMetadata")
        return b"data: " + orjson.dumps(body) + b"\n\n"
