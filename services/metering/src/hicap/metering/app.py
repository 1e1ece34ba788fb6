"""Composition root of metering: the analytics store and Temporal. A skeleton until the
metering issue adds the usage consumer and queries."""

from __future__ import annotations

from hicap.metering.store import EmbeddedStore
from hicap.runtime import Runtime, run_service
from hicap.runtime.temporal import connect_temporal
from hicap.settings import MeteringSettings


async def setup(rt: Runtime[MeteringSettings]) -> None:
    s = rt.settings
    store = await EmbeddedStore(s.data_dir / "chdb").open()
    rt.on_stop(store.close)
    await connect_temporal(rt, s.temporal_address, s.temporal_namespace)


def main() -> None:
    run_service("metering", MeteringSettings, setup)
