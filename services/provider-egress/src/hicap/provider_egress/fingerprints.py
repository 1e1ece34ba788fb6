"""The two hashes a trailer carries for metering, never the values they are made from.

`end_user_hash`: the caller's end-user id (OpenAI `user`, Anthropic `metadata.user_id`)
hashed with the org id as salt, so usage can be grouped per end user while two orgs'
users never correlate. `route_fingerprint`: the system prompt hashed, so calls of one
prompt template group into one route without `x-hicap-route`. Both are the first 16 hex
characters (64 bits) of a SHA-256; empty when there is nothing to hash. Pure; imports
the IR only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hicap.provider_egress.ir import ChatRequest

__all__ = ["Fingerprints", "end_user_hash", "fingerprints_of", "route_fingerprint"]

HEX_CHARS = 16


@dataclass(frozen=True, slots=True)
class Fingerprints:
    end_user_hash: str = ""
    route_fingerprint: str = ""


def end_user_hash(org_id: str, user: str) -> str:
    """sha256(org_id + NUL + user), shortened; "" without a user."""
    if not user:
        return ""
    return _short_sha256(f"{org_id}\0{user}")


def route_fingerprint(system_prompt: str) -> str:
    """sha256 of the system prompt text, shortened; "" without one."""
    return _short_sha256(system_prompt) if system_prompt else ""


def system_prompt(chat: ChatRequest) -> str:
    """The text of every system message, concatenated in order."""
    return "".join(m.text for m in chat.messages if m.role == "system")


def fingerprints_of(org_id: str, chat: ChatRequest) -> Fingerprints:
    return Fingerprints(end_user_hash(org_id, chat.user), route_fingerprint(system_prompt(chat)))


def _short_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HEX_CHARS]
