"""`hicap keys create | list | revoke` against a real NATS and auth: the new key is the only
thing on stdout (so `KEY=$(hicap keys create ...)` works), a team and app are found by name,
and a refusal is one line on stderr with exit code 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from hicap.auth import domain
from hicap.auth.app import AuthService
from hicap.bus import Bus
from tests.fixtures.cli import Ran, run_hicap, write_run_file
from tests.fixtures.servers import NatsServer
from tests.integration.admin.tenants import SECRET, Tenant, new_tenant


@pytest.fixture
def data_dir(tmp_path: Path, nats_server: NatsServer) -> Path:
    """A data dir whose run file points at the session's NATS (this process as supervisor)."""
    return write_run_file(tmp_path, nats_server.url)


async def hicap(data_dir: Path, *args: str) -> Ran:
    return await run_hicap("keys", *args, "--data-dir", str(data_dir))


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
