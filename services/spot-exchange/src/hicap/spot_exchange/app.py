"""Composition root of spot-exchange. A skeleton: it joins the bus, reports health and stops
cleanly; later issues give it its work."""

from __future__ import annotations

from hicap.runtime import Runtime, run_service
from hicap.settings import SpotExchangeSettings


async def setup(rt: Runtime[SpotExchangeSettings]) -> None:
    rt.detail = "skeleton: no work yet"


def main() -> None:
    run_service("spot-exchange", SpotExchangeSettings, setup)
