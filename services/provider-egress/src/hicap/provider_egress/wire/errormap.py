"""The shared half of `classify_error`: a provider's HTTP status (and what its adapter read
from the body) as a HicapError, plus the `retry-after` / `retry-after-ms` headers.

Each adapter extracts its provider's message, overload flag and body-carried retry delay,
then calls `upstream_error`. Messages are truncated and scrubbed of anything that looks
like a key; for 401/403 the provider's text is never shown ("the provider refused the
key"), since it may quote part of the key. Imports hicap.errors only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hicap.errors import (
    DeadlineExceeded,
    HicapError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamFailed,
)

__all__ = ["MAX_MESSAGE_CHARS", "retry_after_from_headers", "safe_message", "upstream_error"]

MAX_MESSAGE_CHARS = 300
_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-*.]{4,}|AIza[0-9A-Za-z_\-]{8,}|Bearer\s+\S+)")
_BY_STATUS: Mapping[int, type[HicapError]] = {
    400: InvalidRequest,
    404: NotFound,
    408: DeadlineExceeded,
    413: PayloadTooLarge,
    422: InvalidRequest,
    504: DeadlineExceeded,
}


def safe_message(message: str) -> str:
    """The provider's message, key-like strings removed, at most MAX_MESSAGE_CHARS."""
    cleaned = _KEYLIKE.sub("[redacted]", " ".join(message.split()))
    if len(cleaned) > MAX_MESSAGE_CHARS:
        return cleaned[: MAX_MESSAGE_CHARS - 1] + "…"
    return cleaned


def upstream_error(
    provider: str,
    status: int,
    message: str,
    *,
    overloaded: bool = False,
    retry_after_s: float | None = None,
) -> HicapError:
    """Status -> error class; `overloaded` (Anthropic's 529 / overloaded_error) is retryable."""
    if status in (401, 403):
        refused = Unauthenticated if status == 401 else PermissionDenied
        return refused(f"{provider}: the provider refused the key ({status})")
    text = f"{provider}: {safe_message(message) or f'status {status}'}"
    if overloaded or status == 529 or (status >= 500 and status != 504):
        return UpstreamFailed(text, retryable=True, retry_after_s=retry_after_s)
    if status == 429:
        return RateLimited(text, retry_after_s=retry_after_s)
    cls = _BY_STATUS.get(status, UpstreamFailed if status >= 500 else InvalidRequest)
    return cls(text)


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """`retry-after-ms` (preferred) or `retry-after` in seconds; HTTP dates are ignored."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        seconds = _number(lowered.get(name))
        if seconds is not None:
            return seconds / scale
    return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None
