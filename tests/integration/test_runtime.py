"""A service process as an operator meets it: a clear line and exit code 2 when it cannot
start, health on the bus once up, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from hicap.bus import Bus, query_health
from tests.asserts import assert_eventually
from tests.fixtures.servers import NatsServer, free_port


def service_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HICAP_LOG_FORMAT": "console", **extra}


def test_a_service_without_nats_exits_2_naming_the_url() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "hicap.spot_exchange"],
        env=service_env(HICAP_NATS_URL=url, HICAP_NATS_CONNECT_TIMEOUT_S="0.5"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"spot-exchange cannot start: cannot reach NATS at {url}" in done.stderr
    assert "Traceback" not in done.stderr


async def test_a_service_reports_ready_and_stops_cleanly_on_sigterm(
    nats_server: NatsServer, bus: Bus, tmp_path: Path
) -> None:
    env = service_env(
        HICAP_NATS_URL=nats_server.url, HICAP_DATA_DIR=str(tmp_path), HICAP_INSTANCE_ID="egress-t1"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hicap.provider_egress", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:

        async def ready() -> None:
            reports = {r.instance_id: r for r in await query_health(bus, wait_s=0.2)}
            report = reports.get("egress-t1")
            assert report is not None and report.ready and report.service == "provider-egress"

        await assert_eventually(ready, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 10)
    assert code == 0
    assert proc.stderr is not None and b"stopped" in await proc.stderr.read()
