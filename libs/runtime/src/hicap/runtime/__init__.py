"""hicap.runtime: the house of a service (settings, logs, tracing, /metrics, bus, health,
readiness, clean shutdown), so each service's `app.py` wires only what is its own."""

from __future__ import annotations

from hicap.runtime.http import serve_http
from hicap.runtime.service import Runtime, run_service, service_version
from hicap.runtime.temporal import connect_temporal

__all__ = ["Runtime", "connect_temporal", "run_service", "serve_http", "service_version"]
