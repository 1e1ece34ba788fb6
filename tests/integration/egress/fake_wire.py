"""A tiny OpenAI-speaking adapter and surface, so the runtime (send, retries, failover,
cancellation) is tested against provider-sim independently of the real wire layer.

Text-only: the caller's OpenAI body in, OpenAI chat out, the minimum of each format.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from hicap.errors import (
    HicapError,
    InvalidRequest,
    RateLimited,
    Unauthenticated,
    UpstreamFailed,
)
from hicap.provider_egress.ir import (
    ChatRequest,
    ChatResponse,
    Finished,
    Message,
    StreamEvent,
    StreamStarted,
    TextDelta,
    TextPart,
    Usage,
    UsageReported,
)
from hicap.provider_egress.wire.base import (
    Adapter,
    Capabilities,
    ProviderKind,
    StreamDecoder,
    StreamEncoder,
    SurfaceCodec,
    UpstreamRequest,
)


class FakeOpenAIAdapter:
    kind = ProviderKind.OPENAI
    capabilities = Capabilities(tools=False, json_schema=False, images=False)

    def build_request(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest:
        body: dict[str, object] = {
            "model": upstream_model,
            "messages": [{"role": m.role, "content": m.text} for m in req.messages],
            "stream": req.stream,
        }
        if req.stream:
            body["stream_options"] = {"include_usage": True}
        return UpstreamRequest("/chat/completions", orjson.dumps(body), stream=req.stream)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def parse_response(self, body: bytes) -> ChatResponse:
        doc = orjson.loads(body)
        choice = doc["choices"][0]
        return ChatResponse(
            id=doc["id"],
            model=doc["model"],
            text=choice["message"]["content"] or "",
            finish_reason=choice["finish_reason"],
            usage=_usage(doc["usage"]),
        )

    def stream_decoder(self) -> StreamDecoder:
        return _Decoder()

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> HicapError:
        if status == 401:
            return Unauthenticated("the provider refused the key")
        if status == 429:
            ms = headers.get("retry-after-ms")
            after = float(ms) / 1000 if ms else float(headers.get("retry-after", "1"))
            return RateLimited("the provider is rate limiting", retry_after_s=after)
        if status >= 500:
            return UpstreamFailed(f"the provider failed with {status}", retryable=True)
        return InvalidRequest(f"the provider refused the request ({status})")

    def build_count_tokens(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest | None:
        return None

    def parse_count_tokens(self, body: bytes) -> int:
        raise NotImplementedError


def _usage(doc: dict[str, int]) -> Usage:
    return Usage(input_tokens=doc["prompt_tokens"], output_tokens=doc["completion_tokens"])


class _Decoder:
    def __init__(self) -> None:
        self._done = False
        self._started = False

    @property
    def finished(self) -> bool:
        return self._done

    def feed(self, event: str, data: bytes) -> list[StreamEvent]:
        if data == b"[DONE]":
            self._done = True
            return []
        doc = orjson.loads(data)
        out: list[StreamEvent] = []
        if not self._started:
            self._started = True
            out.append(StreamStarted(doc["id"], doc["model"]))
        for choice in doc["choices"]:
            if choice["delta"].get("content"):
                out.append(TextDelta(choice["delta"]["content"]))
            if choice.get("finish_reason"):
                out.append(Finished(choice["finish_reason"]))
        if doc.get("usage"):
            out.append(UsageReported(_usage(doc["usage"])))
        return out


class FakeOpenAISurface:
    def parse_request(self, body: bytes) -> ChatRequest:
        doc = orjson.loads(body)
        messages = tuple(
            Message(m["role"], (TextPart(m["content"]),)) for m in doc.get("messages", [])
        )
        return ChatRequest(model=doc["model"], messages=messages, stream=bool(doc.get("stream")))

    def render_response(self, resp: ChatResponse, model: str) -> bytes:
        message = {"role": "assistant", "content": resp.text}
        choice = {"index": 0, "message": message, "finish_reason": resp.finish_reason}
        return orjson.dumps({"id": resp.id, "model": model, "choices": [choice]})

    def stream_encoder(self, req: ChatRequest) -> StreamEncoder:
        return _Encoder()

    def render_count_tokens(self, input_tokens: int) -> bytes:
        return orjson.dumps({"input_tokens": input_tokens})


class _Encoder:
    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, TextDelta):
            return _chunk({"content": event.text}, None)
        if isinstance(event, Finished):
            return _chunk({}, event.finish_reason)
        return b""

    def close(self) -> bytes:
        return b"data: [DONE]\n\n"


def _chunk(delta: dict[str, str], finish_reason: str | None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return b"data: " + orjson.dumps({"choices": [choice]}) + b"\n\n"


def fake_adapter_for(kind: ProviderKind | str) -> Adapter:
    if kind != ProviderKind.OPENAI:
        raise InvalidRequest(f"the fake wire speaks openai only, not {kind}")
    return FakeOpenAIAdapter()


def fake_surface_for(surface: int) -> SurfaceCodec:
    return FakeOpenAISurface()


def estimate(req: ChatRequest) -> int:
    return sum(len(m.text) for m in req.messages) // 4 + 1
