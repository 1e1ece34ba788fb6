"""Composition root of ingress: settings, the key projection (AUTH) and the catalogue
projection (CAPACITY) handed to the runtime, one hot-path StreamClient started once, the
usage publisher every finished call is recorded into, and the FastAPI app served on
uvicorn (uvloop, httptools) with `serve_http`. Stop order (reverse of registration): the
HTTP server first (in-flight calls finish and record their usage), then the publisher
flushes, then the egress client and the projections; the bus closes last. The only place
that makes clients. Imports libs and ingress modules only, never another service.
"""

from __future__ import annotations

from hicap.bus import Projection, ProjectionRunner, Snapshot, StreamClient
from hicap.catalog import Catalog, evolve, load_baseline
from hicap.events import Stream
from hicap.ingress.admin import build_admin_router
from hicap.ingress.http import build_app
from hicap.ingress.keys import key_projection
from hicap.ingress.relay import Relay, RelayConfig
from hicap.ingress.usage import UsagePublisher, metered
from hicap.runtime import Runtime, run_service, serve_http
from hicap.settings import IngressSettings

USAGE_FLUSH_S = 5.0  # within the runtime's grace per part (STOP_GRACE_S)


async def setup(rt: Runtime[IngressSettings]) -> None:
    s = rt.settings
    key_runner, keys = key_projection(rt.bus, s.key_hash_secret.get_secret_value().encode())
    catalog_runner = ProjectionRunner(
        rt.bus, Projection(Stream.CAPACITY, evolve, Snapshot(load_baseline(), 0))
    )
    rt.add_projection(key_runner)
    rt.add_projection(catalog_runner)
    egress = await StreamClient(rt.bus).start()
    rt.on_stop(egress.stop)

    def catalog() -> Catalog:
        return catalog_runner.state

    usage = await UsagePublisher(rt.bus).start()
    rt.on_stop(lambda: usage.close(USAGE_FLUSH_S))  # registered before HTTP: stops after it
    relay = Relay(
        keys,
        catalog,
        egress,
        RelayConfig(max_body_bytes=s.max_body_bytes),
        on_complete=metered(usage, catalog),
    )
    app = build_app(relay, admin_router=build_admin_router(keys, rt.bus))
    await serve_http(rt, app, host=s.ingress_host, port=s.ingress_port)


def main() -> None:
    run_service("ingress", IngressSettings, setup)
