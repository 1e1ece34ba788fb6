"""Anthropic error bodies (`{"type": "error", "error": {"type", "message"}}`), from an
HTTP error response or an `event: error` mid-stream, as HicapErrors. `overloaded_error`
(HTTP 529) is a retryable upstream failure. Imports the error map only.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from hicap.errors import HicapError
from hicap.provider_egress.wire.errormap import retry_after_from_headers, upstream_error

__all__ = ["classify_error", "stream_error"]

PROVIDER = "anthropic"
STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 400,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def _error_object(body: bytes) -> tuple[str, str]:
    """(`error.type`, `error.message`), empty strings when the body is not Anthropic's."""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "", ""
    error = decoded.get("error") if isinstance(decoded, dict) else None
    if not isinstance(error, dict):
        return "", ""
    kind, message = error.get("type"), error.get("message")
    return (kind if isinstance(kind, str) else ""), (message if isinstance(message, str) else "")


def classify_error(status: int, headers: Mapping[str, str], body: bytes) -> HicapError:
    kind, message = _error_object(body)
    return upstream_error(
        PROVIDER,
        status,
        message,
        overloaded=kind == "overloaded_error",
        retry_after_s=retry_after_from_headers(headers),
    )


def stream_error(data: bytes) -> HicapError:
    """An `event: error` payload: the status is inferred from `error.type`."""
    kind, message = _error_object(data)
    return upstream_error(PROVIDER, STATUS_OF_TYPE.get(kind, 500), message or kind)
