"""provider-sim started from a deployments file enforces each deployment's TPM as the
provider would: under the limit it answers, past it a 429 in the provider's own format
(OpenAI `tokens`, Anthropic `rate_limit_error`) with a Retry-After, and a deployment of
another name is not limited by it."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest

from hicap.provider_sim.deployments_file import sim_config
from hicap.provider_sim.testing import running_sim

FILE = """
version = 1
[[deployments]]
model = "gpt-5.4"
name = "openai-gpt-5.4-ptu"
kind = "reserved"
tpm = 60
hourly_cost = 1
[[deployments]]
model = "claude-opus-4.6"
name = "anthropic-claude-opus-4.6"
tpm = 60
rpm = 100
"""
MESSAGES = [{"role": "user", "content": "Tell me about the weather in Oslo today."}]


@pytest.fixture
def deployments_file(tmp_path: Path) -> Path:
    path = tmp_path / "deployments.toml"
    path.write_text(FILE)
    return path


def test_a_deployment_past_its_tpm_gets_the_providers_429(deployments_file: Path) -> None:
    with running_sim(sim_config(deployments_file, 60.0)) as url:
        ptu = openai.OpenAI(
            base_url=f"{url}/d/openai-gpt-5.4-ptu/v1", api_key="sk-test", max_retries=0
        )
        ptu.chat.completions.create(model="gpt-5.4", messages=MESSAGES, max_tokens=20)  # type: ignore[arg-type]  # plain dicts
        with pytest.raises(openai.RateLimitError) as caught:
            for _ in range(10):
                ptu.chat.completions.create(model="gpt-5.4", messages=MESSAGES, max_tokens=20)  # type: ignore[arg-type]  # plain dicts
        assert caught.value.type == "tokens"
        assert int(caught.value.response.headers["retry-after"]) >= 1
        other = openai.OpenAI(base_url=f"{url}/d/unlisted/v1", api_key="sk-test", max_retries=0)
        for _ in range(10):  # a deployment the file does not name has no limit
            other.chat.completions.create(model="gpt-5.4", messages=MESSAGES, max_tokens=20)  # type: ignore[arg-type]  # plain dicts


def test_an_anthropic_deployment_past_its_tpm_gets_rate_limit_error(deployments_file: Path) -> None:
    with running_sim(sim_config(deployments_file, 60.0)) as url:
        client = anthropic.Anthropic(
            base_url=f"{url}/d/anthropic-claude-opus-4.6", api_key="sk-ant-test", max_retries=0
        )
        with pytest.raises(anthropic.RateLimitError) as caught:
            for _ in range(10):
                client.messages.create(model="claude-opus-4.6", max_tokens=20, messages=MESSAGES)  # type: ignore[arg-type]  # plain dicts
        assert caught.value.status_code == 429
        assert caught.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]  # JSON
