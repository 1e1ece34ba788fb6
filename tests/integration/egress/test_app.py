"""The provider-egress process as ingress meets it: started with the house keys and
`HICAP_UPSTREAM_OVERRIDE_URL` pointing at provider-sim, it serves a baseline catalogue
deployment on `hicap.egress.openai`, the model's deployments given as targets."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from hicap.bus import Bus, StreamClient, query_health
from hicap.events.egress import egress_subject
from hicap.events.v1 import egress_pb2
from tests.asserts import assert_eventually
from tests.fixtures.servers import NatsServer
from tests.integration.egress.harness import collect, openai_body

INSTANCE = "egress-app-test"


@pytest.fixture
async def egress_process(
    nats_server: NatsServer, bus: Bus, sim_url: str, tmp_path: Path
) -> AsyncIterator[None]:
    env = {
        **os.environ,
        "HICAP_NATS_URL": nats_server.url,
        "HICAP_DATA_DIR": str(tmp_path),
        "HICAP_INSTANCE_ID": INSTANCE,
        "HICAP_UPSTREAM_OVERRIDE_URL": sim_url,
        "HICAP_OPENAI_API_KEY": "sk-house-egress-test",
        "HICAP_LOG_FORMAT": "console",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hicap.provider_egress", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:

        async def ready() -> None:
            reports = {r.instance_id: r for r in await query_health(bus, wait_s=0.2)}
            report = reports.get(INSTANCE)
            assert report is not None and report.ready, report
            assert "in flight" in report.detail

        await assert_eventually(ready, timeout=30)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0


@pytest.mark.usefixtures("egress_process")
async def test_a_baseline_deployment_answers_through_the_process(bus: Bus) -> None:
    targets = [
        egress_pb2.EgressTarget(deployment=d, provider="openai", upstream_model="gpt-4.1")
        for d in ("openai-gpt-4.1", "openai-gpt-4.1-b")
    ]
    call = egress_pb2.EgressCall(
        request_id="req-app",
        org_id="org-app",
        surface=egress_pb2.Surface.SURFACE_OPENAI_CHAT,
        body=orjson.dumps(openai_body(stream=True)),
        model="gpt-4.1",
        targets=targets,
        deadline_s=10.0,
    )
    client = await StreamClient(bus).start()
    try:
        answer = await collect(client.stream(egress_subject("openai"), call.SerializeToString()))
    finally:
        await client.stop()
    assert answer.head.deployment == "openai-gpt-4.1"
    assert answer.events()[-1].data == b"[DONE]"
    assert answer.trailer is not None and answer.trailer.output_tokens > 0
