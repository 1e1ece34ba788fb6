"""A canary provider key and a canary prompt, sent through every path (OpenAI and
Anthropic surfaces, streamed and not, tools, BYOK, a provider refusing the key, a stream
the client cuts), are found nowhere afterwards: not in any file under the data dir (logs,
JetStream store, chDB, Temporal's db) and not in any error body."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.asserts import assert_eventually_sync
from tests.e2e.platform import RunningPlatform, start_platform
from tests.fixtures.servers import free_port

TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}


def files_containing(root: Path, needles: list[bytes]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        hits = [n.decode() for n in needles if n in data]
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def exercise(base_url: str, key: str, canary_key: str, prompt: str) -> list[str]:
    """Send the canaries down every path; return every error body seen."""
    errors: list[str] = []
    auth = {"authorization": f"Bearer {key}"}
    byok = {**auth, "x-provider-key": canary_key}
    anthropic = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    chat = {"messages": [{"role": "user", "content": prompt}]}
    with httpx.Client(base_url=base_url, timeout=30) as http:

        def post(path: str, body: dict[str, object], headers: dict[str, str]) -> None:
            reply = http.post(path, json=body, headers=headers)
            if reply.status_code >= 400:
                errors.append(reply.text)

        for model in ("gpt-4.1", "claude-sonnet-4.5", "gemini-3.0-flash"):
            for headers in (auth, byok):
                post("/chat/completions", {"model": model, **chat}, headers)
                post("/chat/completions", {"model": model, **chat, "stream": True}, headers)
                post("/chat/completions", {"model": model, **chat, "tools": [TOOL]}, headers)
                post(
                    "/messages",
                    {"model": model, "max_tokens": 50, **chat},
                    {**anthropic, **({"x-provider-key": canary_key} if headers is byok else {})},
                )
            # the provider refuses a BYOK key of the wrong shape: its error must not echo it
            post(
                "/chat/completions",
                {"model": model, **chat},
                {**auth, "x-provider-key": "bad-" + canary_key},
            )
            post(
                "/messages",
                {"model": model, "max_tokens": 50, **chat, "stream": True},
                {**anthropic, "x-provider-key": "bad-" + canary_key},
            )
            # a stream the client cuts after the first bytes
            with http.stream(
                "POST",
                "/chat/completions",
                json={"model": model, **chat, "stream": True, "max_tokens": 2000},
                headers=byok,
            ) as reply:
                next(reply.iter_bytes())
        assert (
            http.post(
                "/chat/completions", json={"model": "gpt-4.1", **chat}, headers=auth
            ).status_code
            == 200
        )
    return errors


def exported_usage(platform: RunningPlatform) -> bytes:
    """Every usage row of the demo org, every column, once they have all landed."""
    url = f"{platform.env['HICAP_BASE_URL']}/admin/usage/export"
    headers = {"authorization": f"Bearer {platform.env['HICAP_ADMIN_KEY']}"}
    last = b""

    def settled() -> bytes:
        nonlocal last
        body = httpx.get(url, params={"format": "jsonl"}, headers=headers, timeout=30).content
        same, last = body == last and body.count(b"\n") >= 20, body
        assert same, "still landing"
        return body

    return assert_eventually_sync(settled, timeout=30.0, interval=1.0)


@pytest.fixture
def fresh_platform(tmp_path: Path) -> RunningPlatform:
    return start_platform(tmp_path / "data", free_port())


def test_canary_key_and_prompt_are_found_nowhere(fresh_platform: RunningPlatform) -> None:
    canary_key = f"sk-canary{uuid.uuid4().hex}"
    prompt = f"CANARYPROMPT{uuid.uuid4().hex}"
    try:
        errors = exercise(
            fresh_platform.env["HICAP_BASE_URL"],
            fresh_platform.env["HICAP_API_KEY"],
            canary_key,
            prompt,
        )
        rows = exported_usage(fresh_platform)
    finally:
        fresh_platform.stop()
    # chDB compresses its columns, so a grep of its files cannot see inside them: read
    # every stored column back through the export instead.
    assert rows.count(b"\n") >= 20, "the calls above are metered"
    assert canary_key.encode() not in rows and prompt.encode() not in rows
    assert errors, "the bad BYOK key should have produced provider errors"
    for body in errors:
        assert canary_key not in body and prompt not in body, body
    needles = [canary_key.encode(), prompt.encode(), canary_key.removeprefix("sk-").encode()]
    assert files_containing(fresh_platform.data_dir, needles) == {}
    assert canary_key not in fresh_platform.output() and prompt not in fresh_platform.output()
