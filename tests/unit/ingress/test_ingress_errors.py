"""The error table covers every hicap error code with the status its class declares, and
each surface renders its own error shape (body, SSE event, Retry-After)."""

from __future__ import annotations

import orjson
import pytest

from hicap.bus import BusTimeout, BusUnavailable
from hicap.errors import (
    ERROR_CLASSES,
    HicapError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from hicap.ingress.errors import (
    ERROR_TABLE,
    ApiSurface,
    ModelNotFound,
    error_body,
    error_event,
    error_for_status,
    error_headers,
    error_response,
    spec_for,
    surface_of,
)

ANTHROPIC_TYPES = {
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
    "timeout_error",
}


def test_every_hicap_error_code_has_a_row_with_its_class_status() -> None:
    assert set(ERROR_TABLE) == set(ERROR_CLASSES)
    for code, cls in ERROR_CLASSES.items():
        assert ERROR_TABLE[code].status == cls.status, code
        assert ERROR_TABLE[code].anthropic_type in ANTHROPIC_TYPES, code


@pytest.mark.parametrize("cls", sorted(ERROR_CLASSES.values(), key=lambda c: c.code))
def test_each_error_renders_in_both_shapes_with_its_status(cls: type[HicapError]) -> None:
    err = cls("something is wrong")
    openai = orjson.loads(error_response(ApiSurface.OPENAI, err).body)
    assert set(openai["error"]) == {"message", "type", "param", "code"}
    assert openai["error"]["message"] == "something is wrong"
    anthropic = error_response(ApiSurface.ANTHROPIC, err)
    assert anthropic.status_code == cls.status
    assert orjson.loads(anthropic.body) == {
        "type": "error",
        "error": {"type": ERROR_TABLE[cls.code].anthropic_type, "message": "something is wrong"},
    }


def test_a_bad_key_looks_like_openais_own_answer() -> None:
    body = orjson.loads(error_body(ApiSurface.OPENAI, Unauthenticated("invalid API key")))
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "invalid_api_key"


def test_an_unknown_model_has_openais_model_not_found_code() -> None:
    body = orjson.loads(error_body(ApiSurface.OPENAI, ModelNotFound("no such model")))
    assert body["error"]["code"] == "model_not_found"
    assert error_response(ApiSurface.OPENAI, ModelNotFound("x")).status_code == 404


def test_too_large_is_413_and_anthropics_request_too_large() -> None:
    response = error_response(ApiSurface.ANTHROPIC, PayloadTooLarge("big"))
    assert response.status_code == 413
    assert orjson.loads(response.body)["error"]["type"] == "request_too_large"


@pytest.mark.parametrize(
    ("retry_after_s", "header"), [(None, "1"), (0.2, "1"), (2.5, "3"), (30.0, "30")]
)
def test_429_carries_retry_after_in_whole_seconds_at_least_one(
    retry_after_s: float | None, header: str
) -> None:
    response = error_response(
        ApiSurface.OPENAI, RateLimited("slow down", retry_after_s=retry_after_s)
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == header


def test_an_error_the_sdk_would_retry_in_vain_says_so() -> None:
    assert error_headers(RateLimited("budget spent", retryable=False))["x-should-retry"] == "false"
    assert "x-should-retry" not in error_headers(Unavailable("busy"))
    assert error_headers(InvalidRequest("bad")) == {}


def test_stream_error_events_in_each_surfaces_framing() -> None:
    err = Unavailable("overloaded")
    openai = error_event(ApiSurface.OPENAI, err)
    assert openai.startswith(b"data: {") and openai.endswith(b"\n\n")
    assert orjson.loads(openai[len(b"data: ") :])["error"]["message"] == "overloaded"
    anthropic = error_event(ApiSurface.ANTHROPIC, err)
    event, data = anthropic.rstrip(b"\n").split(b"\n")
    assert event == b"event: error"
    assert orjson.loads(data[len(b"data: ") :]) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "overloaded"},
    }


def test_the_surface_is_anthropic_for_its_routes_and_its_sdk() -> None:
    assert surface_of("/v1/messages", {}) is ApiSurface.ANTHROPIC
    assert surface_of("/v1/messages/count_tokens", {}) is ApiSurface.ANTHROPIC
    assert surface_of("/v1/models", {"anthropic-version": "2023-06-01"}) is ApiSurface.ANTHROPIC
    assert surface_of("/v1/chat/completions", {}) is ApiSurface.OPENAI
    assert surface_of("/v1/nope", {}) is ApiSurface.OPENAI


def test_framework_errors_become_ours_by_status() -> None:
    assert isinstance(error_for_status(404, "no route"), NotFound)
    assert isinstance(error_for_status(405, "method"), InvalidRequest)
    assert error_for_status(500, "boom").code == "internal"


def test_a_bus_outage_is_503_and_a_bus_timeout_504_not_500() -> None:
    assert spec_for(BusUnavailable("no NATS")).status == 503
    assert spec_for(BusTimeout("no reply")).status == 504
