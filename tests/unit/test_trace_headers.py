"""hicap.telemetry.inject_headers: the trace context goes on a message only when there is
one (a span or baggage); an empty context adds no header."""

from __future__ import annotations

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider

from hicap.telemetry import inject_headers


def test_no_span_and_no_baggage_add_no_header() -> None:
    assert inject_headers() == {}
    assert inject_headers({"x-keep": "1"}) == {"x-keep": "1"}


def test_a_span_in_progress_travels_as_traceparent() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("call") as span:
        headers = inject_headers({"x-keep": "1"})
    trace_id = f"{span.get_span_context().trace_id:032x}"
    assert headers["x-keep"] == "1"
    assert headers["traceparent"].split("-")[1] == trace_id


def test_baggage_alone_travels_too() -> None:
    token = otel_context.attach(baggage.set_baggage("tenant", "t1"))
    try:
        assert "tenant=t1" in inject_headers().get("baggage", "")
    finally:
        otel_context.detach(token)
