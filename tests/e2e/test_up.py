"""`hicap up` as a user runs it: it comes up, prints its banner, keeps its state under the
data dir, stops everything on Ctrl-C or SIGTERM, and finds its state again on restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from pathlib import Path

import httpx
import orjson
import pytest

from hicap.bus import connect, publish, query_health
from hicap.events import auth_pb2, new_event
from tests.asserts import assert_eventually
from tests.e2e.platform import HICAP, RunningPlatform, pid_alive, start_platform
from tests.fixtures.servers import free_port

SERVICES = {
    "ingress",
    "auth",
    "capacity-scheduler",
    "provider-egress",
    "spot-exchange",
    "metering",
    "provider-sim",
}


def assert_all_gone(pids: dict[str, int]) -> None:
    alive = {name: pid for name, pid in pids.items() if pid_alive(pid)}
    assert alive == {}, f"left running: {alive}"


async def auth_applied_seq(nats_url: str) -> int:
    bus = await connect(nats_url, name="test")
    try:
        reports = [r for r in await query_health(bus) if r.service == "auth"]
        assert reports and reports[0].ready
        return int(reports[0].projections[0].applied_seq)
    finally:
        await bus.close()


async def publish_org(nats_url: str, org_id: str) -> int:
    bus = await connect(nats_url, name="test")
    try:
        return (
            await publish(
                bus, new_event(auth_pb2.OrgCreated(org_id=org_id, name="acme"), org_id=org_id)
            )
        ).seq
    finally:
        await bus.close()


async def metrics_urls(nats_url: str) -> dict[str, str]:
    bus = await connect(nats_url, name="test")
    try:
        return {r.service: r.metrics_url for r in await query_health(bus)}
    finally:
        await bus.close()


def check_status_and_tail(platform: RunningPlatform) -> None:
    """`hicap status` and `hicap events tail` find the platform from --data-dir alone."""
    data = ["--data-dir", str(platform.data_dir)]
    env = {**os.environ, "COLUMNS": "250"}
    status = subprocess.run(
        [HICAP, "status", *data], capture_output=True, text=True, timeout=60, env=env
    )
    assert status.returncode == 0, status.stdout + status.stderr
    for name in SERVICES | {"nats", "temporal"}:
        assert name in status.stdout
    metrics = asyncio.run(metrics_urls(str(platform.run_file["nats_url"])))
    assert set(metrics) == SERVICES
    for service, url in metrics.items():
        body = httpx.get(url).text
        assert f'hicap_service_ready{{service="{service}"}} 1.0' in body, service
    org = f"org_{uuid.uuid4().hex}"
    asyncio.run(publish_org(str(platform.run_file["nats_url"]), org))
    tail = subprocess.Popen(
        [HICAP, "events", "tail", *data, "--from-start", "--stream", "AUTH"],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert tail.stdout is not None
        for line in tail.stdout:
            event = orjson.loads(line)
            if event["org_id"] == org:
                break
        assert event["type"] == "hicap.events.v1.OrgCreated"
        assert event["payload"] == {"org_id": org, "name": "acme"}
        assert event["stream"] == "AUTH" and event["seq"] >= 1
    finally:
        tail.send_signal(signal.SIGINT)
        try:
            code = tail.wait(10)
        except subprocess.TimeoutExpired:
            tail.kill()  # never leave it behind, then fail
            tail.wait()
            raise
    assert code == 0


def assert_found_nowhere(data: Path, secrets: tuple[str, ...], *, but_in: Path) -> None:
    """No file under the data dir (JetStream store, logs, Temporal db, chDB) holds a secret."""
    needles = [s.encode() for s in secrets]
    kept = but_in.read_bytes()
    assert all(n in kept for n in needles), "the search would not see the secrets where they are"
    holding = [
        str(path.relative_to(data))
        for path in data.rglob("*")
        if path.is_file() and path != but_in and any(n in path.read_bytes() for n in needles)
    ]
    assert holding == []


def test_up_prints_the_banner_serves_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    platform = start_platform(tmp_path / "data", port)
    try:
        out = platform.output()
        assert f"API           http://127.0.0.1:{port}/v1" in out
        assert f"\nHICAP_BASE_URL=http://127.0.0.1:{port}/v1\n" in out
        assert platform.env["HICAP_API_KEY"] != platform.env["HICAP_ADMIN_KEY"]
        assert "Temporal UI   http://127.0.0.1:" in out
        assert str(tmp_path / "data" / "logs") in out
        info = platform.run_file
        assert set(platform.component_pids) == SERVICES | {"nats", "temporal"}
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        ui = httpx.get(str(info["temporal_ui_url"]))
        assert ui.status_code == 200
        check_status_and_tail(platform)
        pids = {**platform.component_pids, "hicap up": platform.proc.pid}
    finally:
        took = platform.stop()
    assert platform.proc.returncode == 0
    assert took < 10, f"stopping took {took:.1f}s"
    assert_all_gone(pids)
    assert not (tmp_path / "data" / "run" / "platform.json").exists()


async def test_state_lives_under_the_data_dir_and_survives_a_restart(
    tmp_path: Path, org_id: str
) -> None:
    data = tmp_path / "data"
    first = await asyncio.to_thread(start_platform, data, free_port())
    try:
        nats_url = str(first.run_file["nats_url"])
        seq = await publish_org(nats_url, org_id)

        async def replayed() -> None:
            assert await auth_applied_seq(nats_url) >= seq

        await assert_eventually(replayed, timeout=10)
    finally:
        first.stop()
    demo_file = data / "demo-keys.json"
    assert demo_file.stat().st_mode & 0o777 == 0o600
    keys = (first.env["HICAP_API_KEY"], first.env["HICAP_ADMIN_KEY"])
    assert all(k.startswith("hk_live_") for k in keys)
    assert_found_nowhere(data, keys, but_in=demo_file)
    for part in (
        "nats/jetstream",
        "temporal/temporal.db",
        "chdb",
        "logs/ingress.log",
        "logs/nats.log",
    ):
        assert (data / part).exists(), part
    assert "ready" in (data / "logs" / "auth.log").read_text()

    second = await asyncio.to_thread(start_platform, data, free_port())
    try:
        nats_url = str(second.run_file["nats_url"])
        assert await auth_applied_seq(nats_url) >= seq, "auth did not replay the AUTH stream"
        assert second.env == {**first.env, "HICAP_BASE_URL": f"http://127.0.0.1:{second.port}/v1"}
    finally:
        second.stop()


def test_a_second_instance_runs_beside_the_first(tmp_path: Path) -> None:
    a = start_platform(tmp_path / "a", free_port())
    try:
        b = start_platform(tmp_path / "b", free_port())
        try:
            assert a.run_file["nats_url"] != b.run_file["nats_url"]
            for p in (a, b):
                assert httpx.get(f"http://127.0.0.1:{p.port}/healthz").status_code == 200
        finally:
            b.stop()
    finally:
        a.stop()


def test_a_second_up_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    a = start_platform(tmp_path / "a", free_port())
    try:
        with pytest.raises(Exception, match="already running"):
            start_platform(tmp_path / "a", free_port(), timeout_s=30)
    finally:
        a.stop()


def test_sigterm_stops_everything_and_json_logs_are_json(tmp_path: Path) -> None:
    platform: RunningPlatform = start_platform(
        tmp_path / "data", free_port(), extra_args=("--log-format", "json", "--quiet")
    )
    pids = {**platform.component_pids, "hicap up": platform.proc.pid}
    platform.signal(signal.SIGTERM)
    assert platform.wait(10) == 0
    assert_all_gone(pids)
    lines = (tmp_path / "data" / "logs" / "ingress.log").read_text().splitlines()
    records = [orjson.loads(line) for line in lines]
    assert any(r["msg"] == "ready" and r["service"] == "ingress" for r in records)
