"""provider-sim's errors and their rendering in each provider's real shape.

Handlers raise `SimError(provider, kind, message)`; the app's one exception handler calls
`render_error`, which picks status, body and headers from the table of that provider:

    kind            OpenAI                          Anthropic                   Gemini
    missing_key     401 invalid_request_error       401 authentication_error    403 PERMISSION_DENIED
    invalid_key     401 invalid_api_key             401 authentication_error    400 INVALID_ARGUMENT (API_KEY_INVALID)
    bad_request     400 invalid_request_error       400 invalid_request_error   400 INVALID_ARGUMENT
    not_found       404 model_not_found             404 not_found_error         404 NOT_FOUND
    rate_limited    429 requests|tokens             429 rate_limit_error        429 RESOURCE_EXHAUSTED
    server_error    500 server_error                500 api_error               500 INTERNAL
    overloaded      503 server_error                529 overloaded_error        503 UNAVAILABLE

(Gemini answers a wrong key with 400 and a missing key with 403, as Google's API does;
it has no 401 for API keys.) Bodies never echo a key or a prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import orjson
from fastapi.responses import Response

from hicap.provider_sim.config import Provider
from hicap.provider_sim.limits import Quota

__all__ = ["ErrorKind", "SimError", "quota_headers", "render_error"]


class ErrorKind(StrEnum):
    MISSING_KEY = "missing_key"
    INVALID_KEY = "invalid_key"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    OVERLOADED = "overloaded"


@dataclass
class SimError(Exception):
    provider: Provider
    kind: ErrorKind
    message: str = ""
    param: str | None = None
    openai_type: str | None = None  # overrides the table (429: "requests" or "tokens")
    headers: dict[str, str] = field(default_factory=dict)
    request_id: str = ""


_OPENAI: dict[ErrorKind, tuple[int, str, str | None, str]] = {
    ErrorKind.MISSING_KEY: (401, "invalid_request_error", None, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."),
    ErrorKind.INVALID_KEY: (401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."),
    ErrorKind.BAD_REQUEST: (400, "invalid_request_error", None, "Invalid request."),
    ErrorKind.NOT_FOUND: (404, "invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    ErrorKind.RATE_LIMITED: (429, "requests", "rate_limit_exceeded", "Rate limit reached."),
    ErrorKind.SERVER_ERROR: (500, "server_error", None, "The server had an error while processing your request. Sorry about that!"),
    ErrorKind.OVERLOADED: (503, "server_error", None, "The engine is currently overloaded, please try again later."),
}  # fmt: skip

_ANTHROPIC: dict[ErrorKind, tuple[int, str, str]] = {
    ErrorKind.MISSING_KEY: (401, "authentication_error", "x-api-key header is required"),
    ErrorKind.INVALID_KEY: (401, "authentication_error", "invalid x-api-key"),
    ErrorKind.BAD_REQUEST: (400, "invalid_request_error", "Invalid request."),
    ErrorKind.NOT_FOUND: (404, "not_found_error", "Not found."),
    ErrorKind.RATE_LIMITED: (429, "rate_limit_error", "Number of requests has exceeded your rate limit."),
    ErrorKind.SERVER_ERROR: (500, "api_error", "Internal server error"),
    ErrorKind.OVERLOADED: (529, "overloaded_error", "Overloaded"),
}  # fmt: skip

_GEMINI: dict[ErrorKind, tuple[int, str, str]] = {
    ErrorKind.MISSING_KEY: (403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."),
    ErrorKind.INVALID_KEY: (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    ErrorKind.BAD_REQUEST: (400, "INVALID_ARGUMENT", "Invalid request."),
    ErrorKind.NOT_FOUND: (404, "NOT_FOUND", "Requested entity was not found."),
    ErrorKind.RATE_LIMITED: (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    ErrorKind.SERVER_ERROR: (500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
    ErrorKind.OVERLOADED: (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
}  # fmt: skip


def render_error(error: SimError) -> Response:
    if error.provider is Provider.OPENAI:
        status, body = _openai_body(error)
        headers = {"x-request-id": error.request_id}
    elif error.provider is Provider.ANTHROPIC:
        status, type_, default = _ANTHROPIC[error.kind]
        inner = {"type": type_, "message": error.message or default}
        body = {"type": "error", "error": inner, "request_id": error.request_id}
        headers = {"request-id": error.request_id}
    else:
        status, body = _gemini_body(error)
        headers = {}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**headers, **error.headers},
    )


def _openai_body(error: SimError) -> tuple[int, dict[str, object]]:
    status, type_, code, default = _OPENAI[error.kind]
    inner = {
        "message": error.message or default,
        "type": error.openai_type or type_,
        "param": error.param,
        "code": code,
    }
    return status, {"error": inner}


def _gemini_body(error: SimError) -> tuple[int, dict[str, object]]:
    status, code_name, default = _GEMINI[error.kind]
    inner: dict[str, object] = {
        "code": status,
        "message": error.message or default,
        "status": code_name,
    }
    if error.kind is ErrorKind.INVALID_KEY:
        inner["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    elif error.kind is ErrorKind.RATE_LIMITED:
        delay = error.headers.get("retry-after", "1")
        inner["details"] = [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{delay}s"}
        ]
    return status, {"error": inner}


def quota_headers(provider: Provider, quota: Quota, now_unix_s: float) -> dict[str, str]:
    """The provider's rate-limit headers for the quota left (Gemini sends none)."""
    if provider is Provider.OPENAI:
        return {
            "x-ratelimit-limit-requests": str(quota.rpm),
            "x-ratelimit-limit-tokens": str(quota.tpm),
            "x-ratelimit-remaining-requests": str(quota.requests_remaining),
            "x-ratelimit-remaining-tokens": str(quota.tokens_remaining),
            "x-ratelimit-reset-requests": _duration(quota.requests_reset_s),
            "x-ratelimit-reset-tokens": _duration(quota.tokens_reset_s),
        }
    if provider is Provider.ANTHROPIC:
        start = datetime.fromtimestamp(now_unix_s, UTC)
        reset = (start + timedelta(seconds=quota.requests_reset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers: dict[str, str] = {}
        for name, limit, left in (
            ("requests", quota.rpm, quota.requests_remaining),
            ("tokens", quota.tpm, quota.tokens_remaining),
            ("input-tokens", quota.tpm, quota.tokens_remaining),
            ("output-tokens", quota.tpm, quota.tokens_remaining),
        ):
            headers[f"anthropic-ratelimit-{name}-limit"] = str(limit)
            headers[f"anthropic-ratelimit-{name}-remaining"] = str(left)
            headers[f"anthropic-ratelimit-{name}-reset"] = reset
        return headers
    return {}


def _duration(seconds: float) -> str:
    """OpenAI's reset format: `12ms`, `1.5s`, `6m0s`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest}s"
