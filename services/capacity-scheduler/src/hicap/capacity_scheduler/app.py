"""Composition root of capacity-scheduler. A skeleton: it joins the bus and Temporal,
reports health and stops cleanly; the capacity issue gives it reservations and leases."""

from __future__ import annotations

from hicap.runtime import Runtime, run_service
from hicap.runtime.temporal import connect_temporal
from hicap.settings import CapacitySchedulerSettings


async def setup(rt: Runtime[CapacitySchedulerSettings]) -> None:
    s = rt.settings
    await connect_temporal(rt, s.temporal_address, s.temporal_namespace)


def main() -> None:
    run_service("capacity-scheduler", CapacitySchedulerSettings, setup)
