"""The intermediate representation every wire format translates to and from.

A request arrives in the caller's format (an API surface: OpenAI chat, Anthropic
messages), is decoded into a `ChatRequest`, encoded into the provider's format by its
adapter, and the provider's answer comes back as a `ChatResponse` or as a sequence of
`StreamEvent`s, which the surface encodes for the caller. Finish reasons use OpenAI's
vocabulary (`stop`, `length`, `tool_calls`, `content_filter`). Frozen dataclasses only;
imports nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "ContentPart",
    "FinishReason",
    "Finished",
    "ImagePart",
    "Json",
    "Message",
    "ResponseFormat",
    "Role",
    "StreamEvent",
    "StreamStarted",
    "TextDelta",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallStarted",
    "ToolChoice",
    "Usage",
    "UsageReported",
]

Json: TypeAlias = "dict[str, Json] | list[Json] | str | int | float | bool | None"
Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image by URL: `https://...` or a `data:<media type>;base64,...` URL."""

    url: str


ContentPart: TypeAlias = TextPart | ImagePart


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as OpenAI carries it


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: tuple[ContentPart, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()  # assistant only
    tool_call_id: str = ""  # tool only: which call this answers
    is_error: bool = False  # tool only: the tool failed (Anthropic's is_error)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str = ""
    parameters: Json = None  # a JSON Schema object; None: no parameters


@dataclass(frozen=True, slots=True)
class ToolChoice:
    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str = ""  # mode "tool": the tool that must be called
    parallel: bool = True  # False: one call at most (disable_parallel_tool_use)


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    kind: Literal["text", "json_object", "json_schema"] = "text"
    name: str = ""
    schema: Json = None
    strict: bool = False


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What the caller asked for. `model` is the Hicap model name; the adapter is told the
    upstream name separately. System prompts are `system` messages, in order."""

    model: str
    messages: tuple[Message, ...]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    response_format: ResponseFormat | None = None
    stream: bool = False
    include_usage: bool = False  # the caller asked for usage in the stream (OpenAI)
    user: str = ""  # the caller's end-user id, passed on; metered only as a hash


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0  # all prompt tokens, cached ones included (OpenAI's prompt_tokens)
    output_tokens: int = 0  # reasoning tokens included (OpenAI's completion_tokens)
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ChatResponse:
    id: str
    model: str  # the model that answered, as the provider names it
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    created: int = 0  # unix seconds


@dataclass(frozen=True, slots=True)
class StreamStarted:
    id: str
    model: str
    created: int = 0
    input_tokens: int = 0  # when the provider says it up front (Anthropic's message_start)


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    index: int  # position among this response's tool calls, from 0
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    index: int
    arguments: str  # a fragment of the JSON arguments


@dataclass(frozen=True, slots=True)
class Finished:
    finish_reason: FinishReason


@dataclass(frozen=True, slots=True)
class UsageReported:
    usage: Usage


StreamEvent: TypeAlias = (
    StreamStarted | TextDelta | ToolCallStarted | ToolCallDelta | Finished | UsageReported
)
