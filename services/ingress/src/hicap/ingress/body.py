"""Reading a request body at the edge: refused with 413 past `max_body_bytes` (by its
Content-Length first, then by counting what arrives, so a huge body is never buffered
whole), and parsed once with orjson only to learn `model`, `stream` and the output
allowance the caller set (`max_completion_tokens`, else `max_tokens`: OpenAI's and
Anthropic's name alike), which admission charges a reservation for. Everything else
in the body is egress's surface codec's to validate. Never logs or echoes the body.
Imports hicap.errors, orjson and starlette only.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.requests import Request

from hicap.errors import InvalidRequest, PayloadTooLarge

__all__ = ["RequestHead", "parse_head", "read_body"]


@dataclass(frozen=True, slots=True)
class RequestHead:
    """What ingress itself needs from a request body."""

    model: str
    stream: bool
    max_output_tokens: int | None = None  # None: the caller set no limit


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, or PayloadTooLarge as soon as it is known to exceed `max_bytes`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        if chunk:
            chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_head(body: bytes) -> RequestHead:
    """`model`, `stream` and the output limit; InvalidRequest for bad JSON, a non-object
    or a missing model (a malformed limit is egress's to refuse: here it is just unset)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidRequest("the request body is not valid JSON (UTF-8)") from None
    if not isinstance(value, dict):
        raise InvalidRequest("the request body must be a JSON object")
    model = value.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: required, a non-empty string")
    return RequestHead(
        model=model, stream=value.get("stream") is True, max_output_tokens=_output_limit(value)
    )


def _output_limit(body: dict[str, object]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        limit = body.get(name)
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            return limit
    return None


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than {max_bytes} bytes")
