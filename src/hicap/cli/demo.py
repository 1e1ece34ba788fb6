"""The demo tenant `hicap up` creates on a fresh data dir: an org, a team, an app, an app
key and an org admin key, made through auth's commands as the platform operator.

The keys are kept for the demo only, in `<data dir>/demo-keys.json` (mode 0600), never in
an event or a log, so every later `hicap up` on the same data dir prints the same lines.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from hicap.bus import Bus, commands
from hicap.errors import NotFound
from hicap.events import auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd

FILE_NAME = "demo-keys.json"


@dataclass(frozen=True, slots=True)
class DemoTenant:
    org_id: str
    team_id: str
    app_id: str
    api_key: str
    admin_key: str

    def lines(self, api_url: str) -> list[str]:
        """What the banner prints, each on a line of its own (shell `export`-able)."""
        return [
            f"HICAP_BASE_URL={api_url}",
            f"HICAP_API_KEY={self.api_key}",
            f"HICAP_ADMIN_KEY={self.admin_key}",
        ]


def _subject(name: str) -> str:
    return commands.command_subject("auth", name)


async def ensure_demo_tenant(bus: Bus, data_dir: Path) -> DemoTenant:
    """The demo tenant of this data dir: read back if it still exists, else created."""
    path = data_dir / FILE_NAME
    if path.exists():
        tenant = DemoTenant(**orjson.loads(path.read_bytes()))
        if await _exists(bus, tenant):
            return tenant
        path.unlink()  # the streams were reset: make a new tenant
    tenant = await _create(bus)
    _write_private(path, orjson.dumps(asdict(tenant), option=orjson.OPT_INDENT_2))
    return tenant


async def _exists(bus: Bus, tenant: DemoTenant) -> bool:
    request = cmd.ListKeys(actor=cmd.Actor(org_id=tenant.org_id))
    try:
        await commands.request(bus, _subject("list_keys"), request, cmd.ListKeysReply)
    except NotFound:
        return False
    return True


async def _create(bus: Bus) -> DemoTenant:
    org = await commands.request(
        bus, _subject("create_org"), cmd.CreateOrg(name="demo"), cmd.CreateOrgReply
    )
    actor = cmd.Actor(org_id=org.org_id)
    team = await commands.request(
        bus, _subject("create_team"), cmd.CreateTeam(actor=actor, name="demo"), cmd.CreateTeamReply
    )
    app = await commands.request(
        bus,
        _subject("create_app"),
        cmd.CreateApp(actor=actor, team_id=team.team_id, name="demo-app"),
        cmd.CreateAppReply,
    )
    app_key = await _issue(bus, cmd.IssueKey(actor=actor, team_id=team.team_id, app_id=app.app_id,
                                              role=auth_pb2.ROLE_MEMBER, name="demo app key"))  # fmt: skip
    admin_key = await _issue(
        bus, cmd.IssueKey(actor=actor, role=auth_pb2.ROLE_ADMIN, name="demo admin key")
    )
    return DemoTenant(org.org_id, team.team_id, app.app_id, app_key, admin_key)


async def _issue(bus: Bus, request: cmd.IssueKey) -> str:
    reply = await commands.request(bus, _subject("issue_key"), request, cmd.IssueKeyReply)
    return str(reply.key.key)


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, created with that mode (never world-readable)."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)
