"""The deployments file at capacity-scheduler's start: each entry that differs from the
catalogue is declared (DeploymentDeclared, through the same rules as `hicap deployments
add`), an unchanged one is not declared again at the next start, and a malformed file
stops the service with a line naming it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from google.protobuf.message import Message

from hicap.bus import Bus
from hicap.capacity_scheduler.app import read_deployments, start_scheduler
from hicap.catalog import RESERVED
from hicap.errors import InvalidRequest
from hicap.events import catalog_pb2
from tests.fixtures.temporal import TemporalServer
from tests.integration.capacity.helpers import events_where, new_reserved_model


def entry(model: str, name: str, tpm: int) -> str:
    return f"""
[[deployments]]
model = "{model}"
name = "{name}"
base_url = "http://127.0.0.1:9/d/{name}/v1"
upstream_model = "gpt-x"
kind = "reserved"
tpm = {tpm}
hourly_cost = 1.5
"""


async def test_changed_deployments_are_declared_at_start_and_unchanged_ones_are_not(
    bus: Bus, temporal_server: TemporalServer, task_queue: str, tmp_path: Path
) -> None:
    first = await start_scheduler(bus, temporal_server.client, period_s=60, task_queue=task_queue)
    model = await new_reserved_model(bus)
    await first.stop()
    name = f"{model}-file"
    path = tmp_path / "deployments.toml"
    path.write_text(entry(model, name, 2_000))

    def declared(p: Message) -> bool:
        return isinstance(p, catalog_pb2.DeploymentDeclared) and p.deployment.name == name

    for tpm, times in ((2_000, 1), (2_000, 1), (3_000, 2)):
        path.write_text(entry(model, name, tpm))
        service = await start_scheduler(
            bus,
            temporal_server.client,
            period_s=60,
            task_queue=task_queue,
            deployments=read_deployments(path),
        )
        try:
            d = service.catalog.deployment(name)
            assert d is not None and (d.kind, d.tpm, d.provider) == (RESERVED, tpm, "openai")
            assert d.hourly_cost_micros == 1_500_000
        finally:
            await service.stop()
        assert len(await events_where(bus, declared)) == times


def test_a_malformed_deployments_file_stops_the_service_naming_it(tmp_path: Path) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.toml"
    path.write_text(entry("gpt-5.4", "x", 0))
    with pytest.raises(InvalidRequest, match=f"deployments file: {path}.*needs tpm"):
        read_deployments(path)
    with pytest.raises(InvalidRequest, match="deployments file:"):
        read_deployments(tmp_path / "missing.toml")
