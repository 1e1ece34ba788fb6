"""Finding the API key a request presents: `Authorization: Bearer` (OpenAI SDK, Anthropic
SDK 2.x), `x-api-key` (Anthropic SDK 1.x) or `api-key` (Azure-style clients). A key in the
URL (`?key=`, `?api_key=`, `?api-key=`) is refused outright, even next to a good header:
URLs end up in logs and browser history. Never puts a key into an error message.
Imports hicap.errors only.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from hicap.errors import Unauthenticated

__all__ = ["presented_key"]

_QUERY_KEY_NAMES = frozenset({"key", "api_key", "api-key"})
_KEY_HEADERS = ("x-api-key", "api-key")
MISSING = "no API key: send it in the `Authorization: Bearer <key>` header (or `x-api-key`)"
IN_URL = (
    "API keys are not accepted in the URL query string; "
    "send the key in the `Authorization: Bearer <key>` header instead, and revoke this one"
)


def presented_key(headers: Mapping[str, str], query_string: bytes = b"") -> str:
    """The key the caller presents; Unauthenticated when there is none or it is in the URL.

    `headers` must be case-insensitive (Starlette's `Headers`) or have lower-case names.
    """
    if query_string and _key_in_query(query_string):
        raise Unauthenticated(IN_URL)
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    for name in _KEY_HEADERS:
        value = headers.get(name)
        if value and value.strip():
            return value.strip()
    raise Unauthenticated(MISSING)


def _key_in_query(query_string: bytes) -> bool:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(name.lower() in _QUERY_KEY_NAMES for name, _ in pairs)
