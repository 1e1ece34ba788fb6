"""Composition root of provider-egress. A skeleton: it joins the bus, reports health and stops
cleanly; later issues give it its work."""

from __future__ import annotations

from hicap.runtime import Runtime, run_service
from hicap.settings import ProviderEgressSettings


async def setup(rt: Runtime[ProviderEgressSettings]) -> None:
    rt.detail = "skeleton: no work yet"


def main() -> None:
    run_service("provider-egress", ProviderEgressSettings, setup)
