"""provider-sim's deployments-file loader: each deployment's tpm/rpm over the sim's window,
keyed by name; unlimited deployments left out; the demo file of `hicap up` gives every
model a reserved and an on-demand deployment with limits; a malformed file names where."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hicap.catalog import load_baseline
from hicap.catalog.deployments_file import parse_deployments_file
from hicap.provider_sim.config import Deployment
from hicap.provider_sim.deployments_file import DeploymentsFileError, limits_from_text, sim_config

DEMO = Path(__file__).resolve().parents[2] / "src" / "hicap" / "cli" / "demo_deployments.toml"

TWO = """
version = 1
[[deployments]]
model = "gpt-5.4"
name = "ptu"
kind = "reserved"
tpm = 3_000
hourly_cost = 1.5
[[deployments]]
model = "gpt-5.4"
name = "od"
tpm = 50
rpm = 2
[[deployments]]
model = "gpt-5.4"
name = "free"
"""


def test_each_limited_deployment_gets_its_tpm_and_rpm_over_the_window() -> None:
    assert limits_from_text(TWO, 4.0) == {
        "ptu": Deployment(tpm=3_000, rpm=0, window_s=4.0),
        "od": Deployment(tpm=50, rpm=2, window_s=4.0),
    }


def test_no_file_means_no_limits() -> None:
    assert sim_config(None, 60.0).deployments == {}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[[deployments]]\ntpm = 5", "name"),
        ('[[deployments]]\nname = "a"\ntpm = -1', "(a): tpm"),
        ('[[deployments]]\nname = "a"\nrpm = "many"', "(a): rpm"),
        ("deployments = 3", "array of tables"),
        ("[[deployments]\n", "demo.toml"),
    ],
)
def test_a_malformed_file_is_refused_naming_where(text: str, named: str) -> None:
    with pytest.raises(DeploymentsFileError, match=named.replace("(", r"\(").replace(")", r"\)")):
        limits_from_text(text, 60.0, "demo.toml")


def test_the_demo_file_limits_a_reserved_and_an_on_demand_deployment_of_every_model() -> None:
    doc = tomllib.loads(DEMO.read_text())
    limits = sim_config(DEMO, 60.0).deployments
    catalog = load_baseline()
    for model in catalog.models.values():
        tables = [t for t in doc["deployments"] if t["model"] == model.name]
        kinds = {t["kind"] for t in tables}
        assert kinds == {"reserved", "on-demand"}, model.name
        for existing in model.deployments:  # the catalogue's own, re-declared with limits
            assert limits[existing.name].tpm > 0 and limits[existing.name].rpm > 0
        for t in tables:
            assert t["credential_ref"] == model.provider  # served by provider-sim
            assert limits[t["name"]].tpm == t["tpm"]
    reserved = [t for t in doc["deployments"] if t["kind"] == "reserved"]
    assert all(t["tpm"] == 100_000 and t["hourly_cost"] > 0 and t["region"] for t in reserved)


def test_the_demo_file_reads_as_the_catalogues_deployments_file() -> None:
    entries = parse_deployments_file(DEMO.read_text(), str(DEMO))
    catalog = load_baseline()
    assert {model for model, _ in entries} == set(catalog.models)
    for model, deployment in entries:
        assert deployment.provider == catalog.models[model].provider
        if deployment.reserved:
            assert deployment.hourly_cost_micros > 0
        else:
            price = catalog.models[model].prices[-1]
            assert deployment.input_cost_micros_per_mtok == price.input_micros_per_mtok
            assert deployment.output_cost_micros_per_mtok == price.output_micros_per_mtok
