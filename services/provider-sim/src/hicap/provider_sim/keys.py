"""Which provider key a request carries, and whether provider-sim accepts it.

Accepted: any key in `SimConfig.accepted_keys` (Hicap's own deployments), or a key of the
provider's usual shape: OpenAI `sk-...` but not `sk-ant-...` (Authorization: Bearer);
Anthropic `sk-ant-...` (x-api-key or Authorization: Bearer); Gemini `AIza...`
(x-goog-api-key or `?key=`). A key is never logged nor echoed in a body.
Imports no web framework: it reads a plain header mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from hicap.provider_sim.config import Provider

__all__ = ["KeyCheck", "check_key", "key_from"]

_SHAPES = {
    Provider.OPENAI: re.compile(r"sk-(?!ant-)[A-Za-z0-9_\-]{3,}"),
    Provider.ANTHROPIC: re.compile(r"sk-ant-[A-Za-z0-9_\-]{3,}"),
    Provider.GEMINI: re.compile(r"AIza[A-Za-z0-9_\-]{3,}"),
}


class KeyCheck(StrEnum):
    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"


def key_from(provider: Provider, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
    """The key as the provider's clients send it; "" when there is none."""
    bearer = headers.get("authorization", "")
    bearer = bearer[7:].strip() if bearer[:7].lower() == "bearer " else ""
    if provider is Provider.OPENAI:
        return bearer
    if provider is Provider.ANTHROPIC:
        return headers.get("x-api-key", "").strip() or bearer
    return headers.get("x-goog-api-key", "").strip() or query.get("key", "").strip()


def check_key(provider: Provider, key: str, accepted: frozenset[str]) -> KeyCheck:
    if not key:
        return KeyCheck.MISSING
    if key in accepted or _SHAPES[provider].fullmatch(key):
        return KeyCheck.OK
    return KeyCheck.INVALID
