"""capacity-scheduler's rules for publishing a model: what is refused, and the field named."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hicap.capacity_scheduler.domain import decide_publish
from hicap.catalog import Deployment, Model, Price, load_baseline, model_from_event
from hicap.errors import InvalidRequest

FREE = Price(datetime(1970, 1, 1, tzinfo=UTC), 0, 0, 0, 0)
LAB = Deployment("lab-llama", "", "http://gpu-box:8000/v1", "llama-3-8b", "model:local-llama")
LOCAL = Model("local-llama", "openai-compatible", 8192, (LAB,), (FREE,))


def refused(model: Model) -> str:
    with pytest.raises(InvalidRequest) as caught:
        decide_publish(load_baseline(), model)
    return caught.value.message


def test_a_self_hosted_model_is_published_with_its_provider_on_each_deployment() -> None:
    event = decide_publish(load_baseline(), LOCAL)
    model = model_from_event(event)
    assert model.name == "local-llama"
    assert model.deployments[0].provider == "openai-compatible"
    assert model.deployments[0].credential_ref == "model:local-llama"


def test_a_baseline_model_can_be_replaced_with_its_own_deployment_names() -> None:
    gpt = load_baseline().models["gpt-4.1"]
    cheaper = replace(gpt, prices=(replace(gpt.prices[0], input_micros_per_mtok=1),))
    assert model_from_event(decide_publish(load_baseline(), cheaper)) == cheaper


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (replace(LOCAL, name=""), "model:"),
        (replace(LOCAL, name="a/b"), "model:"),
        (replace(LOCAL, name="gemini:x"), "model:"),
        (replace(LOCAL, provider="bedrock"), "provider:"),
        (replace(LOCAL, context_window=0), "context_window:"),
        (replace(LOCAL, deployments=()), "deployments:"),
        (replace(LOCAL, deployments=(LAB, LAB)), "deployments[1].name:"),
        (replace(LOCAL, deployments=(replace(LAB, base_url="ftp://x/"),)), "base_url:"),
        (replace(LOCAL, deployments=(replace(LAB, base_url="http:///v1"),)), "base_url:"),
        (replace(LOCAL, deployments=(replace(LAB, base_url="not a url"),)), "base_url:"),
        (replace(LOCAL, deployments=(replace(LAB, base_url="http://h:99999/"),)), "base_url:"),
        (replace(LOCAL, deployments=(replace(LAB, upstream_model=" "),)), "upstream_model:"),
        (replace(LOCAL, deployments=(replace(LAB, provider="x"),)), "deployments[0].provider:"),
        (replace(LOCAL, prices=()), "prices:"),
        (replace(LOCAL, prices=(replace(FREE, output_micros_per_mtok=-1),)), "prices[0].output:"),
        (replace(LOCAL, prices=(FREE, FREE)), "prices[1].effective_from:"),
    ],
)
def test_an_invalid_model_is_refused_naming_the_field(model: Model, field: str) -> None:
    assert field in refused(model)


def test_a_deployment_name_of_another_model_is_refused() -> None:
    taken = replace(LAB, name="openai-gpt-4.1-b")
    assert "already a deployment of gpt-4.1" in refused(replace(LOCAL, deployments=(taken,)))


def test_a_base_url_with_a_password_is_refused_and_not_echoed() -> None:
    secret = replace(LAB, base_url="https://user:s3cret-pass@llm.example/v1")
    message = refused(replace(LOCAL, deployments=(secret,)))
    assert "base_url" in message and "s3cret-pass" not in message
