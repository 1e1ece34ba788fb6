"""Composition root of provider-egress: settings -> one pooled upstream client, the
credentials, the catalogue projection on Stream.CAPACITY, and one StreamServer per provider
kind on `hicap.egress.<kind>` (queue group "provider-egress"), all sharing one handler.

The runtime already runs the loop on uvloop. The only place that makes clients.
"""

from __future__ import annotations

from hicap.bus import Projection, ProjectionRunner, Snapshot, StreamServer
from hicap.catalog import Catalog, evolve, load_baseline
from hicap.events import Stream
from hicap.events.egress import egress_subject
from hicap.provider_egress.credentials import Credentials
from hicap.provider_egress.handlers import EgressHandler, Wire
from hicap.provider_egress.retry import RetryPolicy
from hicap.provider_egress.upstream import SendConfig, make_pool
from hicap.provider_egress.wire.base import ProviderKind
from hicap.provider_egress.wire.estimate import estimate_input_tokens
from hicap.provider_egress.wire.registry import adapter_for, surface_for
from hicap.runtime import Runtime, run_service
from hicap.settings import ProviderEgressSettings

QUEUE = "provider-egress"


def send_config(settings: ProviderEgressSettings) -> SendConfig:
    policy = RetryPolicy(max_attempts=settings.max_attempts, backoff_s=settings.retry_backoff_s)
    return SendConfig(
        policy=policy,
        first_byte_timeout_s=settings.first_byte_timeout_s,
        idle_timeout_s=settings.idle_timeout_s,
    )


async def setup(rt: Runtime[ProviderEgressSettings]) -> None:
    settings = rt.settings
    pool = make_pool(settings.connect_timeout_s)
    rt.on_stop(pool.close)
    catalog = ProjectionRunner(
        rt.bus, Projection(Stream.CAPACITY, evolve, Snapshot(load_baseline(), 0))
    )
    rt.add_projection(catalog)

    def current() -> Catalog:
        return catalog.state

    handler = EgressHandler(
        pool,
        current,
        Credentials.from_settings(settings),
        send_config(settings),
        Wire(adapter_for, surface_for, estimate_input_tokens),
        override_url=settings.upstream_override_url,
    )
    for kind in ProviderKind:
        server = await StreamServer(rt.bus, egress_subject(kind), handler, queue=QUEUE).start()
        rt.on_stop(server.stop)
    rt.add_readiness_check(lambda: _describe(rt, handler))


def _describe(rt: Runtime[ProviderEgressSettings], handler: EgressHandler) -> bool:
    """Keeps `rt.detail` current for health reports; never blocks readiness."""
    rt.detail = f"{handler.in_flight} calls in flight"
    return True


def main() -> None:
    run_service("provider-egress", ProviderEgressSettings, setup)
