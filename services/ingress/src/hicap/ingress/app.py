"""Composition root of ingress: settings, the key projection (AUTH), the catalogue and
reservations projections (CAPACITY) handed to the runtime, admission with its lease client
(leases of reserved TPM from capacity-scheduler's `lease` command; replica id: the
instance id, else a uuid), one hot-path StreamClient started once, the
usage publisher every finished call is recorded into, and the FastAPI app served on
uvicorn (uvloop, httptools) with `serve_http`. Stop order (reverse of registration): the
HTTP server first (in-flight calls finish and record their usage), then the publisher
flushes, then the lease client, the egress client and the projections; the bus closes
last. The only place that makes clients. Imports libs and ingress modules only, never another service.
"""

from __future__ import annotations

import uuid

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, StreamClient, commands
from hicap.catalog import Catalog, Reservations, evolve, evolve_reservations, load_baseline
from hicap.events import Stream
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.ingress.admin import build_admin_router
from hicap.ingress.admission import Admission
from hicap.ingress.http import build_app
from hicap.ingress.keys import key_projection
from hicap.ingress.lease_client import Lease, LeaseClient
from hicap.ingress.relay import Relay, RelayConfig
from hicap.ingress.usage import UsagePublisher, metered
from hicap.runtime import Runtime, run_service, serve_http
from hicap.settings import IngressSettings

USAGE_FLUSH_S = 5.0  # within the runtime's grace per part (STOP_GRACE_S)
LEASE_SUBJECT = commands.command_subject("capacity-scheduler", "lease")
LEASE_TIMEOUT_S = 1.0


def lease_over(bus: Bus, timeout_s: float = LEASE_TIMEOUT_S) -> Lease:
    """The `lease` command of capacity-scheduler, as the lease client calls it."""

    async def lease(request: cmd.LeaseRequest) -> cmd.LeaseReply:
        return await commands.request(
            bus, LEASE_SUBJECT, request, cmd.LeaseReply, timeout_s=timeout_s
        )

    return lease


async def setup(rt: Runtime[IngressSettings]) -> None:
    s = rt.settings
    key_runner, keys = key_projection(rt.bus, s.key_hash_secret.get_secret_value().encode())
    catalog_runner = ProjectionRunner(
        rt.bus, Projection(Stream.CAPACITY, evolve, Snapshot(load_baseline(), 0))
    )
    reservations_runner = ProjectionRunner(
        rt.bus, Projection(Stream.CAPACITY, evolve_reservations, Snapshot(Reservations(), 0))
    )
    rt.add_projection(key_runner)
    rt.add_projection(catalog_runner)
    rt.add_projection(reservations_runner)
    egress = await StreamClient(rt.bus).start()
    rt.on_stop(egress.stop)

    def catalog() -> Catalog:
        return catalog_runner.state

    admission = Admission(
        lambda: reservations_runner.state,
        window_s=s.capacity_window_s,
        allowance_tokens=s.output_allowance_tokens,
    )
    leases = LeaseClient(
        admission,
        lease_over(rt.bus),
        replica=s.instance_id or f"ingress-{uuid.uuid4().hex}",
        interval_s=s.lease_interval_s,
    )
    await leases.start()
    rt.on_stop(leases.stop)
    usage = await UsagePublisher(rt.bus).start()
    rt.on_stop(lambda: usage.close(USAGE_FLUSH_S))  # registered before HTTP: stops after it
    relay = Relay(
        keys,
        catalog,
        egress,
        RelayConfig(max_body_bytes=s.max_body_bytes),
        on_complete=metered(usage, catalog),
        admission=admission,
    )
    app = build_app(
        relay, admin_router=build_admin_router(keys, rt.bus, capacity_window_s=s.capacity_window_s)
    )
    await serve_http(rt, app, host=s.ingress_host, port=s.ingress_port)


def main() -> None:
    run_service("ingress", IngressSettings, setup)
