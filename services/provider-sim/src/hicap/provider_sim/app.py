"""Composition root of provider-sim: its fake provider APIs on their own port, enforcing
the TPM/RPM of the deployments file it is given (HICAP_PROVIDER_SIM_DEPLOYMENTS_FILE) over
its window (HICAP_PROVIDER_SIM_WINDOW_S); without a file, no limits."""

from __future__ import annotations

from hicap.provider_sim.deployments_file import sim_config
from hicap.provider_sim.http import build_app
from hicap.runtime import Runtime, run_service, serve_http
from hicap.settings import ProviderSimSettings


async def setup(rt: Runtime[ProviderSimSettings]) -> None:
    s = rt.settings
    app = build_app(sim_config(s.provider_sim_deployments_file, s.provider_sim_window_s))
    await serve_http(rt, app, host="127.0.0.1", port=s.provider_sim_port)


def main() -> None:
    run_service("provider-sim", ProviderSimSettings, setup)
