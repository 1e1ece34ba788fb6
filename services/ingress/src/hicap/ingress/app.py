"""Composition root of ingress: settings, the key projection (AUTH) and the catalogue
projection (CAPACITY) handed to the runtime, one hot-path StreamClient started once, and
the FastAPI app served on uvicorn (uvloop, httptools) with `serve_http`. The only place
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
from hicap.runtime import Runtime, run_service, serve_http
from hicap.settings import IngressSettings


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

    relay = Relay(keys, catalog, egress, RelayConfig(max_body_bytes=s.max_body_bytes))
    app = build_app(relay, admin_router=build_admin_router(keys, rt.bus))
    await serve_http(rt, app, host=s.ingress_host, port=s.ingress_port)


def main() -> None:
    run_service("ingress", IngressSettings, setup)
