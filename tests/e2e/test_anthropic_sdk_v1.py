"""The first generation of the official `anthropic` SDK (1.x: `x-api-key`,
`anthropic-version: 2023-06-01`), installed beside the dev group by `make sdks`, driven in
its own interpreter so it does not meet the 2.x the rest of the suite imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK_DIR = ROOT / ".tools" / "sdk" / "anthropic1"

SCRIPT = """
import json, os, anthropic
assert anthropic.__version__.startswith("1."), anthropic.__version__
c = anthropic.Anthropic(base_url=os.environ["ROOT_URL"], api_key=os.environ["KEY"], max_retries=0)
m = c.messages.create(model=os.environ["MODEL"], max_tokens=100,
                      messages=[{"role": "user", "content": "hi"}])
with c.messages.stream(model=os.environ["MODEL"], max_tokens=100,
                       messages=[{"role": "user", "content": "a story"}]) as s:
    streamed = "".join(s.text_stream)
n = c.messages.count_tokens(model=os.environ["MODEL"], messages=[{"role": "user", "content": "hi"}])
print(json.dumps({"version": anthropic.__version__, "text": m.content[0].text,
                  "stop": m.stop_reason, "streamed": streamed, "tokens": n.input_tokens}))
"""


@pytest.mark.skipif(not SDK_DIR.exists(), reason="run `make sdks` to install anthropic 1.x")
@pytest.mark.parametrize("model", ["claude-sonnet-4.5", "gpt-4.1"])
def test_anthropic_1x_sdk_works_unchanged(base_url: str, api_key: str, model: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(SDK_DIR),
        "ROOT_URL": base_url.removesuffix("/v1"),
        "KEY": api_key,
        "MODEL": model,
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["version"].startswith("1.")
    assert seen["text"] and seen["stop"] == "end_turn"
    assert seen["streamed"] and seen["tokens"] > 0
