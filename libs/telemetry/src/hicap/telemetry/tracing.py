"""OpenTelemetry tracing, with W3C trace context carried in NATS message headers.

No exporter by default (spans are still created, so trace ids flow into events); OTLP
over HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Span attributes never carry a body,
a prompt or a key.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_provider: TracerProvider | None = None


def configure_tracing(service: str, *, version: str, otlp_endpoint: str | None) -> TracerProvider:
    """Install the process's tracer provider once; add the OTLP exporter when configured."""
    global _provider  # one provider per process, as OpenTelemetry requires
    if _provider is not None:
        return _provider
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"hicap-{service}", "service.version": version})
    )
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    if _provider is not None:
        _provider.shutdown()


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Headers carrying the current trace context (`traceparent`, `tracestate`)."""
    carrier: dict[str, str] = dict(headers or {})
    if otel_context.get_current():  # an empty context (no span, no baggage) adds nothing
        propagate.inject(carrier)
    return carrier


def current_traceparent() -> str:
    return inject_headers().get("traceparent", "")


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context a message's headers carry, to start a child span from."""
    return propagate.extract(dict(headers or {}))
