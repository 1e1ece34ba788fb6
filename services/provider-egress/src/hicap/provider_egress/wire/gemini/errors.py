"""Gemini error bodies (`{"error": {"code", "message", "status", "details"}}`), from an
HTTP error response or a `data: {"error": ...}` chunk mid-stream, as HicapErrors.

Gemini reports a bad key as 400 INVALID_ARGUMENT with reason API_KEY_INVALID: that is
an authentication failure, not the caller's bad request. A 429 carries its delay in a
`google.rpc.RetryInfo` detail (`retryDelay: "2s"`), used when no `retry-after` header
came. Imports the error map and the JSON view.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from hicap.errors import HicapError
from hicap.provider_egress.wire.errormap import retry_after_from_headers, upstream_error
from hicap.provider_egress.wire.jsonview import JsonView

__all__ = ["classify_error", "error_from_object"]

PROVIDER = "gemini"
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})


def classify_error(status: int, headers: Mapping[str, str], body: bytes) -> HicapError:
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        decoded = None
    error = JsonView(decoded, "", HicapError)["error"]
    return error_from_object(error, status, retry_after_from_headers(headers))


def error_from_object(
    error: JsonView, status: int | None = None, retry_after_s: float | None = None
) -> HicapError:
    """The `error` object as a HicapError; the status defaults to its `code` (else 500)."""
    code = error["code"].value
    status = status or (code if isinstance(code, int) and not isinstance(code, bool) else 500)
    details = error["details"].items() if isinstance(error["details"].value, list) else []
    if status == 400 and any(d["reason"].value in _KEY_REASONS for d in details):
        status = 401
    if retry_after_s is None:
        retry_after_s = _retry_delay(details)
    message = error["message"].value
    return upstream_error(
        PROVIDER, status, message if isinstance(message, str) else "", retry_after_s=retry_after_s
    )


def _retry_delay(details: list[JsonView]) -> float | None:
    for detail in details:
        delay = detail["retryDelay"].value
        if detail["@type"].value == _RETRY_INFO and isinstance(delay, str) and delay.endswith("s"):
            try:
                return float(delay[:-1])
            except ValueError:
                return None
    return None
