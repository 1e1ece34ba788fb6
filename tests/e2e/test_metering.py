"""Metering as a customer checks it: every request through the platform becomes exactly
one usage row, priced to the micro-dollar against an independent sum of provider-sim's own
usage figures, and a streamed request is metered like its non-streamed twin."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import orjson
import pytest

from hicap.catalog import load_baseline
from tests.asserts import assert_eventually_sync
from tests.e2e.platform import RunningPlatform, start_platform
from tests.fixtures.servers import free_port

REQUESTS = 10_000
CONCURRENCY = 16
MODELS = ("gpt-4.1", "gpt-5.4", "claude-sonnet-4.5", "gemini-3.0-flash")
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}


@dataclass(frozen=True)
class Seen:
    """What the client saw of one request: its status and the provider's usage figures."""

    status: int
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


def list_cost_micros(seen: Seen, when: datetime) -> int:
    """Independent of hicap.money: list price x tokens, the row's total rounded once."""
    model = load_baseline().model(seen.model)
    assert model is not None
    price = model.price_at(when)
    exact = Decimal(seen.prompt_tokens * price.input_micros_per_mtok) + Decimal(
        seen.completion_tokens * price.output_micros_per_mtok
    )
    return int((exact / 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def mix() -> Iterator[tuple[str, dict[str, object]]]:
    """Non-streamed, streamed (usage asked for), tools; across the three providers."""
    kinds = itertools.cycle(("plain", "stream", "tools"))
    for i, (model, kind) in enumerate(zip(itertools.cycle(MODELS), kinds, strict=False)):
        body: dict[str, object] = {
            "model": model,
            "messages": [{"role": "user", "content": f"request {i}: say something"}],
        }
        if kind == "stream":
            body |= {"stream": True, "stream_options": {"include_usage": True}}
        elif kind == "tools":
            body |= {"tools": [TOOL]}
        yield kind, body


async def send_all(base_url: str, key: str, n: int) -> list[Seen]:
    headers = {"authorization": f"Bearer {key}"}
    bodies = iter(itertools.islice(mix(), n))
    seen: list[Seen] = []
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:

        async def worker() -> None:
            for kind, body in bodies:
                seen.append(await one(http, kind, body))

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return seen


async def one(http: httpx.AsyncClient, kind: str, body: dict[str, object]) -> Seen:
    model = str(body["model"])
    if kind != "stream":
        reply = await http.post("/chat/completions", json=body)
        usage = reply.json().get("usage") or {}
        return Seen(
            reply.status_code,
            model,
            usage.get("prompt_tokens", 0),
            usage.get("completion_tokens", 0),
        )
    usage = {}
    async with http.stream("POST", "/chat/completions", json=body) as reply:
        async for line in reply.aiter_lines():
            if line.startswith("data: {") and '"usage":{' in line:
                usage = orjson.loads(line[6:])["usage"] or usage
    return Seen(
        reply.status_code, model, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    )


def usage_by_model(base_url: str, admin_key: str, since: datetime) -> dict[str, dict[str, object]]:
    reply = httpx.get(
        f"{base_url}/admin/usage",
        params={
            "from": since.isoformat(),
            "to": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
            "group_by": "model",
        },
        headers={"authorization": f"Bearer {admin_key}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return {str(row["model"]): row for row in reply.json()["data"]}


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    """A platform of this module's own: its usage is exactly what these tests send."""
    running = start_platform(tmp_path_factory.mktemp("metered") / "data", free_port())
    try:
        yield running
    finally:
        running.stop()


def rows_total(rows: dict[str, dict[str, object]], field: str) -> int:
    return sum(int(str(r[field])) for r in rows.values())


def wait_for_rows(
    platform: RunningPlatform, since: datetime, n: int
) -> dict[str, dict[str, object]]:
    env = platform.env

    def landed() -> dict[str, dict[str, object]]:
        rows = usage_by_model(env["HICAP_BASE_URL"], env["HICAP_ADMIN_KEY"], since)
        assert rows_total(rows, "requests") == n
        return rows

    return assert_eventually_sync(landed, timeout=90.0, interval=0.5)


@pytest.mark.timeout(900)
def test_ten_thousand_requests_make_ten_thousand_rows_priced_to_the_micro_dollar(
    metered: RunningPlatform,
) -> None:
    env = metered.env
    since = datetime.now(UTC) - timedelta(seconds=1)
    assert usage_by_model(env["HICAP_BASE_URL"], env["HICAP_ADMIN_KEY"], since) == {}
    seen = asyncio.run(send_all(env["HICAP_BASE_URL"], env["HICAP_API_KEY"], REQUESTS))
    assert len(seen) == REQUESTS and {s.status for s in seen} == {200}
    now = datetime.now(UTC)
    rows = wait_for_rows(metered, since, REQUESTS)
    assert set(rows) == set(MODELS)
    assert rows_total(rows, "cost_micros") == sum(list_cost_micros(s, now) for s in seen)
    tokens = rows_total(rows, "input_tokens") + rows_total(rows, "output_tokens")
    assert tokens == sum(s.prompt_tokens + s.completion_tokens for s in seen)


def load_in_background(platform: RunningPlatform, n: int) -> tuple[threading.Thread, list[Seen]]:
    seen: list[Seen] = []

    def run() -> None:
        seen.extend(
            asyncio.run(send_all(platform.env["HICAP_BASE_URL"], platform.env["HICAP_API_KEY"], n))
        )

    thread = threading.Thread(target=run)
    thread.start()
    return thread, seen


def test_metering_killed_mid_batch_loses_and_doubles_nothing(metered: RunningPlatform) -> None:
    since = datetime.now(UTC)
    base = rows_total(
        usage_by_model(
            metered.env["HICAP_BASE_URL"], metered.env["HICAP_ADMIN_KEY"], since - timedelta(days=1)
        ),
        "requests",
    )
    thread, seen = load_in_background(metered, 3000)
    time.sleep(1.5)
    os.kill(metered.component_pids["metering"], signal.SIGKILL)  # hicap up restarts it
    thread.join(300)
    assert len(seen) == 3000
    wait_for_rows(metered, since - timedelta(days=1), base + 3000)


def test_nats_stopped_for_thirty_seconds_loses_and_doubles_nothing(
    metered: RunningPlatform,
) -> None:
    since = datetime.now(UTC) - timedelta(days=1)
    base = rows_total(
        usage_by_model(metered.env["HICAP_BASE_URL"], metered.env["HICAP_ADMIN_KEY"], since),
        "requests",
    )
    thread, seen = load_in_background(metered, 2000)
    time.sleep(1.0)
    nats = metered.component_pids["nats"]
    os.kill(nats, signal.SIGSTOP)
    try:
        time.sleep(30)
    finally:
        os.kill(nats, signal.SIGCONT)
    thread.join(300)
    # Requests in flight wait out the outage (NATS was frozen, not gone): all answered.
    assert len(seen) == 2000 and {s.status for s in seen} == {200}
    wait_for_rows(metered, since, base + 2000)


def usage_by(platform: RunningPlatform, group_by: str) -> dict[str, dict[str, object]]:
    reply = httpx.get(
        f"{platform.env['HICAP_BASE_URL']}/admin/usage",
        params={"group_by": group_by},
        headers={"authorization": f"Bearer {platform.env['HICAP_ADMIN_KEY']}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return {str(row[group_by]): row for row in reply.json()["data"]}


@pytest.mark.parametrize("model", MODELS)
def test_streamed_calls_record_the_same_tokens_as_their_non_streamed_twin(
    metered: RunningPlatform, model: str
) -> None:
    env = metered.env
    body = {"model": model, "messages": [{"role": "user", "content": "the twins, in prose"}]}
    variants = {
        "whole": body,
        "stream-usage": {**body, "stream": True, "stream_options": {"include_usage": True}},
        "stream-bare": {**body, "stream": True},
    }
    tag = f"{model}-{time.monotonic_ns()}"
    with httpx.Client(base_url=env["HICAP_BASE_URL"], timeout=30) as http:
        for name, variant in variants.items():
            headers = {
                "authorization": f"Bearer {env['HICAP_API_KEY']}",
                "x-hicap-route": f"{tag}-{name}",
            }
            reply = http.post("/chat/completions", json=variant, headers=headers)
            assert reply.status_code == 200

    def recorded() -> list[dict[str, object]]:
        routes = usage_by(metered, "route")
        wanted = [f"{tag}-{name}" for name in variants]
        assert set(wanted) <= set(routes), "not all landed yet"
        return [routes[route] for route in wanted]

    rows = assert_eventually_sync(recorded, timeout=30.0, interval=0.5)
    fields = ("input_tokens", "output_tokens", "reasoning_tokens", "cost_micros")
    first = {f: rows[0][f] for f in fields}
    assert int(str(first["output_tokens"])) > 0 and int(str(first["cost_micros"])) > 0
    for row in rows[1:]:
        assert {f: row[f] for f in fields} == first
    if model == "gpt-5.4":  # a reasoning model: its reasoning tokens are output, priced so
        assert int(str(first["reasoning_tokens"])) > 0
