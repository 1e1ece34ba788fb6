"""The official `openai` Node SDK (pinned in tests/e2e/node), unchanged but for baseURL and
key, including the `api-key` header of Hicap's own Node example. Skipped, visibly, where
Node.js is not installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).parent / "node"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (NODE_DIR / "node_modules" / "openai").exists(),
    reason="Node.js or the pinned openai Node SDK is not installed (make sdks)",
)


@pytest.mark.parametrize("model", ["gpt-4.1", "claude-sonnet-4.5", "gemini-3.0-flash"])
def test_node_sdk_chats_streams_calls_tools_and_lists_models(
    base_url: str, api_key: str, model: str
) -> None:
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(NODE_DIR / "sdk_check.mjs"), model],
        env={"HICAP_BASE_URL": base_url, "HICAP_API_KEY": api_key, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["text"] and seen["finish"] == "stop"
    assert seen["streamed"] and seen["usage"]["completion_tokens"] > 0
    assert seen["tool"]["name"] == "get_weather"
    assert "city" in json.loads(seen["tool"]["arguments"])
    assert model in seen["models"]
    assert seen["badKey"] == "AuthenticationError"
