"""`hicap keys create | list | revoke` against a real NATS and auth: the new key is the only
thing on stdout (so `KEY=$(hicap keys create ...)` works), a team and app are found by name,
and a refusal is one line on stderr with exit code 1."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hicap.auth import domain
from hicap.auth.app import AuthService
from hicap.bus import Bus
from hicap.cli.paths import DataDir
from hicap.cli.runfile import PlatformInfo
from tests.fixtures.servers import NatsServer
from tests.integration.admin.tenants import SECRET, Tenant, new_tenant

CLI_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Ran:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def data_dir(tmp_path: Path, nats_server: NatsServer) -> Path:
    """A data dir whose run file points at the session's NATS (this process as supervisor)."""
    info = PlatformInfo(
        data_dir=str(tmp_path), supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC).isoformat(), nats_url=nats_server.url,
        nats_monitor_url="", temporal_address="", temporal_ui_url="", api_url="",
    )  # fmt: skip
    info.save(DataDir.at(tmp_path))
    return tmp_path


async def hicap(data_dir: Path, *args: str) -> Ran:
    # A subprocess, so auth keeps answering on this test's event loop meanwhile.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from hicap.cli.main import main; main()",
        "keys", *args, "--data-dir", str(data_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT_S)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


@pytest.fixture
async def tenant(bus: Bus, auth: AuthService) -> Tenant:
    return await new_tenant(bus)


async def test_keys_create_prints_only_the_key_and_it_authenticates(
    data_dir: Path, tenant: Tenant, auth: AuthService
) -> None:
    ran = await hicap(data_dir, "create", "--org", tenant.org_id, "--team", "ml",
                      "--app", "chat", "--model", "gpt-4.1", "--model", "o3", "--name", "ci")  # fmt: skip
    assert ran.code == 0, ran.stderr
    key = ran.stdout.strip()
    assert ran.stdout == key + "\n"
    record = domain.authenticate(auth.directory, key, SECRET)
    assert record is not None
    assert (record.team_id, record.app_id, record.allowed_models, record.name) == (
        tenant.team_id, tenant.app_id, ("gpt-4.1", "o3"), "ci",
    )  # fmt: skip
    assert record.key_id in ran.stderr and key not in ran.stderr


async def test_keys_list_and_revoke(data_dir: Path, tenant: Tenant, auth: AuthService) -> None:
    listed = await hicap(data_dir, "list", "--org", tenant.org_id)
    assert listed.code == 0, listed.stderr
    assert tenant.member.key_id in listed.stdout and tenant.member.key not in listed.stdout
    revoked = await hicap(data_dir, "revoke", "--org", tenant.org_id, tenant.member.key_id)
    assert revoked.code == 0, revoked.stderr
    assert domain.authenticate(auth.directory, tenant.member.key, SECRET) is None
    after = await hicap(data_dir, "list", "--org", tenant.org_id)
    assert tenant.member.key_id not in after.stdout


async def test_keys_create_for_an_unknown_team_or_org_fails_with_one_line(
    data_dir: Path, tenant: Tenant
) -> None:
    no_team = await hicap(data_dir, "create", "--org", tenant.org_id, "--team", "nope")
    assert no_team.code == 1 and no_team.stdout == ""
    assert "no team 'nope'" in no_team.stderr
    no_org = await hicap(data_dir, "create", "--org", "org_missing", "--role", "admin")
    assert no_org.code == 1 and "org_missing not found" in no_org.stderr
