"""`hicap usage --org ORG --by model --since 7d` against a real NATS and a fake metering: the
org's groups as a table with a total line, the window asked is the last `--since`, and a
bad flag is refused before any platform is looked for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hicap.bus import Bus
from tests.fixtures.cli import Ran, run_hicap, write_run_file
from tests.fixtures.servers import NatsServer
from tests.integration.admin.fake_metering import FakeMetering, Row, fake_metering

ORG = "org_0190a7c2d4e57f00a1b2c3d4e5f60718"


@pytest.fixture
def data_dir(tmp_path: Path, nats_server: NatsServer) -> Path:
    """A data dir whose run file points at the session's NATS (this process as supervisor)."""
    return write_run_file(tmp_path, nats_server.url)


@pytest.fixture
async def metering(bus: Bus) -> AsyncIterator[FakeMetering]:
    async with fake_metering(bus) as fake:
        yield fake


async def hicap_usage(data_dir: Path, *args: str) -> Ran:
    return await run_hicap("usage", *args, "--data-dir", str(data_dir))


async def test_usage_prints_the_orgs_groups_and_a_total(
    data_dir: Path, metering: FakeMetering
) -> None:
    metering.seed(
        Row(ORG, model="gpt-5.4", cost_micros=1_250_000, input_tokens=1_500),
        Row(ORG, model="claude-sonnet-4.5", cost_micros=250_000),
        Row("org_other", model="not-this-org"),
    )
    before = datetime.now(UTC)
    ran = await hicap_usage(data_dir, "--org", ORG, "--by", "model", "--since", "7d")
    assert ran.code == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].split()[:3] == ["model", "requests", "input"]
    assert lines[1].split()[:4] == ["gpt-5.4", "1", "1,500", "10"]
    assert "1.250000" in lines[1] and "0.250000" in lines[2]
    assert lines[-1].split()[:3] == ["total", "2", "1,600"] and "1.500000" in lines[-1]
    assert "not-this-org" not in ran.stdout
    [query] = metering.queries
    assert (query.org_id, query.group_by) == (ORG, "model")
    span = query.to.ToDatetime(UTC) - getattr(query, "from").ToDatetime(UTC)
    assert span == timedelta(days=7) and query.to.ToDatetime(UTC) >= before.replace(microsecond=0)


async def test_usage_of_an_org_without_rows_says_so(data_dir: Path, metering: FakeMetering) -> None:
    ran = await hicap_usage(data_dir, "--org", ORG, "--by", "day")
    assert ran.code == 0, ran.stderr
    assert "no usage" in ran.stdout
    assert metering.queries[0].group_by == "day"


@pytest.mark.parametrize(
    "args", [("--by", "colour"), ("--since", "a while"), ("--since", "500d"), ()]
)
async def test_a_bad_or_missing_flag_is_refused_without_asking_metering(
    args: tuple[str, ...], data_dir: Path, metering: FakeMetering
) -> None:
    org = () if not args else ("--org", ORG)  # no args at all: --org is missing
    ran = await hicap_usage(data_dir, *org, *args)
    assert ran.code == 2
    assert metering.commands_seen == 0
