"""The deterministic answer of provider-sim and its usage rule, shared by all three APIs.

Each API module turns its wire request into a provider-neutral `SimRequest`; `complete()`
answers it. Pure: no I/O, no clock, no web imports.

Determinism. The seed is the sha256 of the canonical request: the (role, text) turns
(system first; roles normalised to system/user/assistant/tool), the tools (name,
description, parameters schema), the tool choice and the JSON mode. The model and the
output limit are not part of it, so a capped answer is a prefix of the uncapped one and
the same conversation sent in the three formats gets the same answer.

Usage rule (identical across the three formats for the same content):

- input tokens = ceil(C / 4), where C is the number of characters of every text piece of
  the request (system prompt, message text, tool results, earlier tool calls as
  `name` + compact sorted JSON of their arguments) plus, for each offered tool,
  len(name) + len(description) + len(compact sorted JSON of its parameters schema).
  Images and other non-text parts count nothing.
- cached input tokens = min(`x-sim-cached-tokens` header, input tokens); they are part of
  the input tokens (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens` with
  `input_tokens` reduced by them, Gemini `cachedContentTokenCount`).
- output tokens = the number of output pieces emitted: a text answer is 5-24 words, one
  piece per word; a tool call's arguments and a JSON-mode answer are cut into pieces of
  4 characters (ceil(len/4)).
- reasoning tokens (models matching `SimConfig.reasoning_model_prefixes` only) =
  8 + seed % 24, counted inside the output tokens (OpenAI `reasoning_tokens`, Anthropic
  `output_tokens`, Gemini `thoughtsTokenCount` outside `candidatesTokenCount`) and inside
  the output limit.
- the output limit (`max_tokens`, `max_completion_tokens`, `maxOutputTokens`) cuts the
  pieces; the finish reason is then the provider's "length". A tool call that does not fit
  becomes a cut text answer. No tool call is made when the last turn is a tool result.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from enum import StrEnum

import orjson

from hicap.provider_sim.schema_values import JsonValue, value_for_schema

__all__ = [
    "Completion",
    "Finish",
    "JsonMode",
    "SimRequest",
    "ToolCall",
    "ToolSpec",
    "Turn",
    "Usage",
    "canonical_json",
    "complete",
    "embedding",
    "input_tokens",
]

VOCABULARY = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "seven",
    "gentle",
    "rivers",
    "carry",
    "bright",
    "stones",
    "toward",
    "distant",
    "silver",
    "mountains",
    "under",
    "calm",
    "amber",
    "skies",
    "where",
    "patient",
    "travelers",
    "share",
    "warm",
    "bread",
    "and",
    "simple",
    "stories",
    "about",
    "old",
    "lanterns",
    "quiet",
    "harbors",
    "green",
    "valleys",
    "and",
    "open",
    "roads",
]
JSON_PIECE_CHARS = 4


class JsonMode(StrEnum):
    OFF = "off"
    OBJECT = "object"
    SCHEMA = "schema"


class Finish(StrEnum):
    STOP = "stop"
    LENGTH = "length"
    TOOL = "tool"


@dataclass(frozen=True)
class Turn:
    role: str  # system | user | assistant | tool
    text: str


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: JsonValue


@dataclass(frozen=True)
class SimRequest:
    turns: tuple[Turn, ...]
    tools: tuple[ToolSpec, ...] = ()
    forced_tool: str | None = None  # a named tool the caller demands
    tools_allowed: bool = True  # False for tool_choice none
    json_mode: JsonMode = JsonMode.OFF
    json_schema: JsonValue = None
    max_output_tokens: int | None = None
    reasoning: bool = False
    cached_tokens: int = 0


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # compact JSON text of an object
    pieces: tuple[str, ...]


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    cached_tokens: int
    output_tokens: int  # includes reasoning_tokens
    reasoning_tokens: int


@dataclass(frozen=True)
class Completion:
    seed_hex: str
    pieces: tuple[str, ...]  # the visible text, in stream order; empty for a tool call
    tool_call: ToolCall | None
    finish: Finish
    usage: Usage

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def canonical_json(value: JsonValue) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def input_tokens(request: SimRequest) -> int:
    chars = sum(len(turn.text) for turn in request.turns)
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description) + len(canonical_json(tool.parameters))
    return math.ceil(chars / 4)


def complete(request: SimRequest) -> Completion:
    digest = hashlib.sha256(_canonical_request(request).encode()).digest()
    seed = int.from_bytes(digest[:8], "big")
    rng = random.Random(seed)
    reasoning = 8 + seed % 24 if request.reasoning else 0
    limit = request.max_output_tokens
    if limit is not None and reasoning > limit:
        reasoning = limit
    budget = None if limit is None else limit - reasoning
    prompt = input_tokens(request)
    cached = max(0, min(request.cached_tokens, prompt))
    call = _tool_call(request, rng)
    if call is not None and (budget is None or len(call.pieces) <= budget):
        usage = Usage(prompt, cached, len(call.pieces) + reasoning, reasoning)
        return Completion(digest.hex(), (), call, Finish.TOOL, usage)
    pieces = _answer_pieces(request, rng)
    finish = Finish.STOP
    if budget is not None and len(pieces) > budget:
        pieces, finish = pieces[:budget], Finish.LENGTH
    usage = Usage(prompt, cached, len(pieces) + reasoning, reasoning)
    return Completion(digest.hex(), pieces, None, finish, usage)


def _canonical_request(request: SimRequest) -> str:
    return canonical_json(
        {
            "turns": [[t.role, t.text] for t in sorted(request.turns, key=_system_first)],
            "tools": [[t.name, t.description, t.parameters] for t in request.tools],
            "tool_choice": [request.tools_allowed, request.forced_tool],
            "json": [request.json_mode.value, request.json_schema],
        }
    )


def _system_first(turn: Turn) -> int:
    return 0 if turn.role == "system" else 1  # sorted() is stable: order kept otherwise


def _tool_call(request: SimRequest, rng: random.Random) -> ToolCall | None:
    if not request.tools or not request.tools_allowed:
        return None
    if request.turns and request.turns[-1].role == "tool":
        return None
    by_name = {tool.name: tool for tool in request.tools}
    tool = by_name.get(request.forced_tool or "", request.tools[0])
    arguments = canonical_json(value_for_schema(tool.parameters, rng))
    return ToolCall(tool.name, arguments, _json_pieces(arguments))


def _answer_pieces(request: SimRequest, rng: random.Random) -> tuple[str, ...]:
    if request.json_mode is JsonMode.SCHEMA and request.json_schema is not None:
        return _json_pieces(canonical_json(value_for_schema(request.json_schema, rng)))
    words = [rng.choice(VOCABULARY) for _ in range(5 + rng.randrange(20))]
    if request.json_mode is not JsonMode.OFF:
        return _json_pieces(canonical_json({"answer": " ".join(words)}))
    words[0] = words[0].capitalize()
    words[-1] += "."
    return tuple(word if i == 0 else " " + word for i, word in enumerate(words))


def _json_pieces(text: str) -> tuple[str, ...]:
    return tuple(text[i : i + JSON_PIECE_CHARS] for i in range(0, len(text), JSON_PIECE_CHARS))


def embedding(item: JsonValue, dims: int) -> list[float]:
    """A unit vector of `dims` floats, a function of the item's canonical JSON only."""
    rng = random.Random(hashlib.sha256(canonical_json(item).encode()).digest())
    values = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]
