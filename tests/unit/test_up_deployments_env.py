"""`hicap up` in sim mode hands its demo deployments file to the two services that read
one (capacity-scheduler declares it, provider-sim enforces its limits) and to no other;
with a real provider key, or the operator's own file set, it hands over nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from hicap.cli.paths import DataDir
from hicap.cli.up import DEMO_DEPLOYMENTS, PROVIDER_KEY_SETTINGS, Platform, UpOptions


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Platform:
    for name in (*PROVIDER_KEY_SETTINGS, "HICAP_DEPLOYMENTS_FILE",
                 "HICAP_PROVIDER_SIM_DEPLOYMENTS_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    opts = UpOptions(DataDir.at(tmp_path), 8080, "console", "INFO", echo_logs=False)
    return Platform(opts, Console(file=None, quiet=True))


def test_sim_mode_passes_the_demo_file_to_the_scheduler_and_the_sim_only(
    platform: Platform,
) -> None:
    assert DEMO_DEPLOYMENTS.is_file()
    demo = str(DEMO_DEPLOYMENTS)
    assert platform.deployments_env("capacity-scheduler") == {"HICAP_DEPLOYMENTS_FILE": demo}
    assert platform.deployments_env("provider-sim") == {"HICAP_PROVIDER_SIM_DEPLOYMENTS_FILE": demo}
    assert platform.deployments_env("ingress") == {}


def test_a_real_provider_key_means_no_demo_deployments(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HICAP_OPENAI_API_KEY", "sk-real")
    assert platform.deployments_env("capacity-scheduler") == {}
    assert platform.deployments_env("provider-sim") == {}


def test_the_operators_own_file_wins(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HICAP_DEPLOYMENTS_FILE", "/etc/hicap/deployments.toml")
    assert platform.deployments_env("capacity-scheduler") == {}  # the environment carries it
    assert platform.deployments_env("provider-sim") != {}
