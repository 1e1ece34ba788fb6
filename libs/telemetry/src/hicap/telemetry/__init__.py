"""hicap.telemetry: structured logs, OpenTelemetry tracing, Prometheus metrics.

Imports no service and no bus; every process configures it once in its `app.py`.
"""

from __future__ import annotations

from hicap.telemetry.logs import configure_logging, get_logger, log_context
from hicap.telemetry.metrics import REGISTRY, Counter, Gauge, Histogram, MetricsServer
from hicap.telemetry.tracing import (
    configure_tracing,
    current_traceparent,
    extract_context,
    inject_headers,
    shutdown_tracing,
    tracer,
)

__all__ = [
    "REGISTRY",
    "Counter",
    "Gauge",
    "Histogram",
    "MetricsServer",
    "configure_logging",
    "configure_tracing",
    "current_traceparent",
    "extract_context",
    "get_logger",
    "inject_headers",
    "log_context",
    "shutdown_tracing",
    "tracer",
]
