"""The interfaces of the wire layer: a provider adapter, an API surface codec, and the
stateful stream halves of each.

An adapter turns a `ChatRequest` into the provider's HTTP request and the provider's
answer (a body, or one SSE event at a time) back into the IR; it also classifies the
provider's error responses. A surface codec does the caller's side: it decodes the
caller's body into a `ChatRequest` (refusing bad input with `InvalidRequest` naming the
field) and encodes the IR answer in the caller's format. All methods are pure; the
shared `send()` in `hicap.provider_egress.upstream` owns HTTP, timeouts, retries and
failover. Imports only the IR and hicap.errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from hicap.errors import HicapError
from hicap.provider_egress.ir import ChatRequest, ChatResponse, StreamEvent

__all__ = [
    "Adapter",
    "Capabilities",
    "ProviderKind",
    "StreamDecoder",
    "StreamEncoder",
    "SurfaceCodec",
    "UpstreamRequest",
]


class ProviderKind(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GEMINI = "gemini"
    OPENAI_COMPATIBLE = "openai-compatible"


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """One HTTP POST to a deployment: `path` is appended to the deployment's base URL
    (OpenAI `https://api.openai.com/v1` + `/chat/completions`; Anthropic
    `https://api.anthropic.com` + `/v1/messages`; Gemini
    `https://generativelanguage.googleapis.com` + `/v1beta/models/<m>:generateContent`)."""

    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()  # never the provider key: see auth_headers
    stream: bool = False


@dataclass(frozen=True, slots=True)
class Capabilities:
    tools: bool = True
    json_schema: bool = True
    images: bool = True
    count_tokens: bool = False  # the provider has a token-counting endpoint


class StreamDecoder(Protocol):
    """Decodes a provider's stream one SSE event at a time (state: open tool calls...)."""

    def feed(self, event: str, data: bytes) -> list[StreamEvent]:
        """One SSE event (`event` is its name, "" when none) -> zero or more IR events.
        Raises a HicapError when the provider sent an error event mid-stream."""
        ...

    @property
    def finished(self) -> bool:
        """The provider said the stream is complete ([DONE], message_stop, last chunk)."""
        ...


class Adapter(Protocol):
    kind: ProviderKind
    capabilities: Capabilities

    def build_request(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest: ...

    def auth_headers(self, api_key: str) -> dict[str, str]: ...

    def parse_response(self, body: bytes) -> ChatResponse: ...

    def stream_decoder(self) -> StreamDecoder: ...

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> HicapError:
        """The provider's error response as a HicapError: retryable for 429/5xx/overloaded,
        `retry_after_s` from `retry-after`(-ms) headers or the body, and a message that is
        safe to show the caller (never the provider key)."""
        ...

    def build_count_tokens(self, req: ChatRequest, upstream_model: str) -> UpstreamRequest | None:
        """The provider's token-counting request; None when it has none (count locally)."""
        ...

    def parse_count_tokens(self, body: bytes) -> int: ...


class StreamEncoder(Protocol):
    """Encodes IR stream events as complete SSE events in the caller's format."""

    def encode(self, event: StreamEvent) -> bytes: ...

    def close(self) -> bytes:
        """What ends a successful stream (`data: [DONE]` for OpenAI; b"" when done)."""
        ...


class SurfaceCodec(Protocol):
    def parse_request(self, body: bytes) -> ChatRequest:
        """The caller's body as IR; InvalidRequest naming the field when it is wrong."""
        ...

    def render_response(self, resp: ChatResponse, model: str) -> bytes:
        """The whole JSON answer; `model` is the Hicap model name the caller asked for."""
        ...

    def stream_encoder(self, req: ChatRequest) -> StreamEncoder: ...

    def render_count_tokens(self, input_tokens: int) -> bytes: ...
