"""`hicap models add` on the running platform: a model served by an operator's own
OpenAI-compatible endpoint (here provider-sim's, standing in for a vLLM box) answers
through Hicap within seconds, with no restart, and its key is kept in the 0600 credentials
file and nowhere else."""

from __future__ import annotations

import os
import subprocess
import uuid

import openai

from tests.asserts import assert_eventually_sync
from tests.e2e.platform import HICAP, RunningPlatform


def sim_url(platform: RunningPlatform) -> str:
    comps = platform.run_file["components"]
    assert isinstance(comps, list)
    return next(str(c["url"]) for c in comps if c["name"] == "provider-sim")


def hicap(platform: RunningPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HICAP, *args, "--data-dir", str(platform.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "300"},  # a wide table: names are not wrapped
        check=False,
    )


def test_an_added_openai_compatible_model_answers_within_seconds(
    platform: RunningPlatform, base_url: str, api_key: str
) -> None:
    name = f"house-llama-{uuid.uuid4().hex[:6]}"
    local_key = f"sk-local{uuid.uuid4().hex}"
    added = hicap(
        platform,
        "models", "add", name,
        "--provider", "openai-compatible",
        "--base-url", f"{sim_url(platform)}/d/{name}/v1",
        "--upstream-model", "llama-3.3-70b",
        "--api-key", local_key,
        "--input-price", "0.10",
        "--output-price", "0.40",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert local_key not in added.stdout + added.stderr
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    def answers() -> None:
        completion = client.chat.completions.create(
            model=name, messages=[{"role": "user", "content": "hello"}]
        )
        assert completion.model == name and completion.choices[0].message.content

    assert_eventually_sync(answers, timeout=10.0)
    assert name in {m.id for m in client.models.list()}
    listed = hicap(platform, "models", "list")
    assert listed.returncode == 0 and name in listed.stdout
    secrets = platform.data_dir / "secrets" / "credentials.json"
    assert secrets.stat().st_mode & 0o777 == 0o600
    holding = [
        str(path.relative_to(platform.data_dir))
        for path in platform.data_dir.rglob("*")
        if path.is_file() and path != secrets and local_key.encode() in path.read_bytes()
    ]
    assert holding == []  # not in the JetStream store, the logs, or anywhere but its own file
