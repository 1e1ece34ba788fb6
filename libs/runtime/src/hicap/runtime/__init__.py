"""hicap.runtime: the house of a service (settings, logs, tracing, /metrics, bus, health,
readiness, clean shutdown), so each service's `app.py` wires only what is its own."""

from __future__ import annotations

from hicap.runtime.http import serve_http
from hicap.runtime.service import Runtime, run_service, service_version

__all__ = ["Runtime", "run_service", "serve_http", "service_version"]
# hicap.runtime.temporal (connect_temporal) is imported by the services that use Temporal
# only, so the others do not pay for importing temporalio.
