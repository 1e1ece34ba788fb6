"""Composition root of provider-sim: its fake provider APIs on their own port."""

from __future__ import annotations

from hicap.provider_sim.config import SimConfig
from hicap.provider_sim.http import build_app
from hicap.runtime import Runtime, run_service, serve_http
from hicap.settings import ProviderSimSettings


async def setup(rt: Runtime[ProviderSimSettings]) -> None:
    # Default limits-free config until a setting names a config to load (see http.py).
    app = build_app(SimConfig())
    await serve_http(rt, app, host="127.0.0.1", port=rt.settings.provider_sim_port)


def main() -> None:
    run_service("provider-sim", ProviderSimSettings, setup)
