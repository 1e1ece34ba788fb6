"""Errors at the HTTP edge: the one table `code -> HTTP status -> OpenAI error type (and
code) -> Anthropic error type`, and one renderer per API surface (a JSON error response, or
the in-band SSE error event that ends a stream already started). Handlers raise the
`hicap.errors` tree; nothing else in ingress builds error JSON. Imports hicap.errors,
orjson and starlette only; never another service.

OpenAI's types follow what api.openai.com answers (a bad key is `invalid_request_error`
with code `invalid_api_key`); Anthropic's follow its documented error types. The SDKs pick
their exception class by HTTP status alone, so the status is what must be right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

import orjson
from starlette.responses import Response

from hicap.errors import ERROR_CLASSES, HicapError, Internal, InvalidRequest, NotFound

__all__ = [
    "ERROR_TABLE",
    "ApiSurface",
    "ErrorSpec",
    "ModelNotFound",
    "error_body",
    "error_event",
    "error_for_status",
    "error_headers",
    "error_response",
    "spec_for",
    "surface_of",
]


class ApiSurface(Enum):
    """Whose error format a request is answered in."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"


class ModelNotFound(NotFound):
    """The model is not in the catalogue (OpenAI answers it with code `model_not_found`)."""

    openai_code: ClassVar[str] = "model_not_found"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    status: int
    openai_type: str
    openai_code: str | None
    anthropic_type: str


ERROR_TABLE: Mapping[str, ErrorSpec] = {
    "invalid_request": ErrorSpec(400, "invalid_request_error", None, "invalid_request_error"),
    "payload_too_large": ErrorSpec(
        413, "invalid_request_error", "request_too_large", "request_too_large"
    ),
    "unauthenticated": ErrorSpec(
        401, "invalid_request_error", "invalid_api_key", "authentication_error"
    ),
    "permission_denied": ErrorSpec(
        403, "permission_error", "permission_denied", "permission_error"
    ),
    "not_found": ErrorSpec(404, "invalid_request_error", None, "not_found_error"),
    "conflict": ErrorSpec(409, "invalid_request_error", "conflict", "invalid_request_error"),
    "rate_limited": ErrorSpec(429, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error"),
    "unavailable": ErrorSpec(503, "server_error", "service_unavailable", "overloaded_error"),
    "upstream_failed": ErrorSpec(502, "server_error", "upstream_error", "api_error"),
    "deadline_exceeded": ErrorSpec(504, "server_error", "timeout", "timeout_error"),
    "internal": ErrorSpec(500, "server_error", None, "api_error"),
}
"""Every `hicap.errors` code (a unit test checks none is missing)."""

_SDK_RETRIED = frozenset({408, 409, 429, 500, 502, 503, 504})  # the SDKs retry these by default
_ANTHROPIC_PATH = "/v1/messages"


def spec_for(err: HicapError) -> ErrorSpec:
    """The error's own row, else its nearest ancestor's (a bus timeout is a 504 like any
    deadline, a bus outage a 503), else internal."""
    for cls in type(err).__mro__:
        spec = ERROR_TABLE.get(getattr(cls, "code", ""))
        if spec is not None:
            return spec
    return ERROR_TABLE["internal"]


def surface_of(path: str, headers: Mapping[str, str]) -> ApiSurface:
    """Anthropic for its routes and for any call from its SDK (it always sends a version)."""
    if path.startswith(_ANTHROPIC_PATH) or "anthropic-version" in headers:
        return ApiSurface.ANTHROPIC
    return ApiSurface.OPENAI


def error_body(surface: ApiSurface, err: HicapError) -> bytes:
    spec = spec_for(err)
    if surface is ApiSurface.ANTHROPIC:
        inner = {"type": spec.anthropic_type, "message": err.message}
        return orjson.dumps({"type": "error", "error": inner})
    code = err.openai_code if isinstance(err, ModelNotFound) else spec.openai_code
    inner2 = {"message": err.message, "type": spec.openai_type, "param": None, "code": code}
    return orjson.dumps({"error": inner2})


def error_headers(err: HicapError) -> dict[str, str]:
    """`Retry-After` (whole seconds, at least 1) on 429 and whenever the error knows when;
    `x-should-retry: false` where an SDK would otherwise retry an error that will not pass."""
    status = spec_for(err).status
    headers: dict[str, str] = {}
    if status == 429 or err.retry_after_s:
        wait_s = err.retry_after_s or 1.0
        headers["retry-after"] = str(max(1, math.ceil(wait_s)))
        headers["retry-after-ms"] = str(max(1, math.ceil(wait_s * 1000)))
    if status in _SDK_RETRIED and not err.retryable:
        headers["x-should-retry"] = "false"
    return headers


def error_response(surface: ApiSurface, err: HicapError) -> Response:
    return Response(
        error_body(surface, err),
        status_code=spec_for(err).status,
        headers=error_headers(err),
        media_type="application/json",
    )


def error_event(surface: ApiSurface, err: HicapError) -> bytes:
    """The SSE event that ends a stream already started (its status was 200)."""
    body = error_body(surface, err)
    if surface is ApiSurface.ANTHROPIC:
        return b"event: error\ndata: " + body + b"\n\n"
    return b"data: " + body + b"\n\n"


def error_for_status(status: int, message: str) -> HicapError:
    """A framework's own HTTP error (a 404 route, a 405 method) as one of ours."""
    if status >= 500:
        return Internal(message)
    return _CLASS_BY_STATUS.get(status, InvalidRequest)(message)


_CLASS_BY_STATUS = {spec.status: ERROR_CLASSES[code] for code, spec in ERROR_TABLE.items()}
