"""OpenAI error responses (`{"error": {"message", "type", "code"}}`) as HicapErrors.

The body may be anything (an HTML 502 page): only a JSON `error.message` is kept.
Imports the error map and the JSON view.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from hicap.errors import HicapError
from hicap.provider_egress.wire.errormap import retry_after_from_headers, upstream_error

__all__ = ["classify_error", "error_message"]


def error_message(body: bytes) -> str:
    """`error.message` of an OpenAI-style (or Gemini-style) error body, "" when absent."""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    error = decoded.get("error") if isinstance(decoded, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return error if isinstance(error, str) else ""


def classify_error(
    provider: str, status: int, headers: Mapping[str, str], body: bytes
) -> HicapError:
    return upstream_error(
        provider, status, error_message(body), retry_after_s=retry_after_from_headers(headers)
    )
