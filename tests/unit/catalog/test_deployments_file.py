"""The operator's deployments file: each `[[deployments]]` entry read as (model,
Deployment) with costs in exact micro-dollars, and a malformed entry refused naming it."""

from __future__ import annotations

import pytest

from hicap.catalog import RESERVED, CatalogFileError, Deployment
from hicap.catalog.deployments_file import parse_deployments_file

FILE = """
[[deployments]]
model = "gpt-5.4"
name = "azure-gpt-5.4-ptu"
provider = "openai"
base_url = "https://example.openai.azure.com/openai/v1"
upstream_model = "gpt-5.4"
credential_ref = "azure"
kind = "reserved"
region = "azure/eastus2"
tpm = 3400
rpm = 200
hourly_cost = 12.5

[[deployments]]
model = "gpt-5.4"
name = "sim-gpt-5.4"
base_url = "http://127.0.0.1:9000/v1"
upstream_model = "gpt-5.4"
input_cost = 2.50
output_cost = 15
"""


def test_each_entry_is_a_model_and_its_deployment() -> None:
    assert parse_deployments_file(FILE) == [
        (
            "gpt-5.4",
            Deployment(
                "azure-gpt-5.4-ptu",
                "openai",
                "https://example.openai.azure.com/openai/v1",
                "gpt-5.4",
                "azure",
                kind=RESERVED,
                region="azure/eastus2",
                tpm=3_400,
                rpm=200,
                hourly_cost_micros=12_500_000,
            ),
        ),
        (
            "gpt-5.4",
            Deployment(
                "sim-gpt-5.4",
                "",
                "http://127.0.0.1:9000/v1",
                "gpt-5.4",
                "",
                input_cost_micros_per_mtok=2_500_000,
                output_cost_micros_per_mtok=15_000_000,
            ),
        ),
    ]


def test_an_empty_file_declares_nothing() -> None:
    assert parse_deployments_file("") == []


def test_deployments_must_be_an_array_of_tables() -> None:
    with pytest.raises(CatalogFileError, match=r"^deploy.toml: .*array of tables"):
        parse_deployments_file("deployments = 1", "deploy.toml")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('model = "gpt-5.4"\n', ""), "deployments[0]: model must be a non-empty string"),
        (("tpm = 3400", "tpm = 0"), "a reserved deployment needs tpm"),
        (("tpm = 3400", "tpm = -1"), "tpm must be a non-negative integer"),
        (('kind = "reserved"', 'kind = "spot"'), "kind must be one of"),
        (("hourly_cost = 12.5", "hourly_cost = 0.0000001"), "hourly_cost"),
        (('name = "sim-gpt-5.4"', 'name = "azure-gpt-5.4-ptu"'), "names must be unique"),
        (("tpm = 3400", "tpm = "), "deploy.toml"),
    ],
)
def test_a_malformed_entry_is_refused_naming_it(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(CatalogFileError) as refused:
        parse_deployments_file(FILE.replace(*edit, 1), "deploy.toml")
    assert message in str(refused.value)
    assert str(refused.value).startswith("deploy.toml")
