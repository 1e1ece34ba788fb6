"""A local estimate of a request's input tokens, for providers without a counting
endpoint (OpenAI): the rule is ceil(C / 4), where C counts the characters of every text
piece (system prompts, message text, tool results, each earlier tool call as its name
plus its arguments as compact JSON with sorted keys) and, for each offered tool, its
name, description and compact sorted JSON parameter schema. Images count nothing. Four
characters a token is the usual rule of thumb for English with OpenAI's tokenizers, and
the same rule provider-sim uses, so tests can compare exactly. Imports the IR only.
"""

from __future__ import annotations

import math

import orjson

from hicap.provider_egress.ir import ChatRequest, Json, Message

__all__ = ["CHARS_PER_TOKEN", "estimate_input_tokens"]

CHARS_PER_TOKEN = 4


def estimate_input_tokens(req: ChatRequest) -> int:
    chars = sum(_message_chars(m) for m in req.messages)
    for tool in req.tools:
        chars += len(tool.name) + len(tool.description) + len(_canonical(tool.parameters))
    return math.ceil(chars / CHARS_PER_TOKEN)


def _message_chars(m: Message) -> int:
    calls = sum(len(c.name) + len(_canonical_text(c.arguments)) for c in m.tool_calls)
    return len(m.text) + calls


def _canonical_text(arguments: str) -> str:
    try:
        return _canonical(orjson.loads(arguments or "{}"))
    except orjson.JSONDecodeError:
        return arguments


def _canonical(value: Json) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
