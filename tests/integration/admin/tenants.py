"""Test tenants for the admin API: an org with a team, an app and one key of every kind,
made through auth's commands as the operator, and a way to wait until ingress's key
projection has folded them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message

from hicap.auth.domain import Directory
from hicap.bus import Bus, ProjectionRunner, commands, stream_last_seq
from hicap.events import Stream, auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.ingress.keys import KeyIndex

SECRET = b"admin-integration-secret"
Rep = TypeVar("Rep", bound=Message)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass(frozen=True, slots=True)
class Tenant:
    org_id: str
    team_id: str
    app_id: str
    owner: IssuedKey
    admin: IssuedKey
    member: IssuedKey  # bound to the team and app: an app's key
    viewer: IssuedKey  # of the team

    @property
    def actor(self) -> cmd.Actor:
        return cmd.Actor(org_id=self.org_id)


async def call(bus: Bus, name: str, message: Message, reply: type[Rep]) -> Rep:
    return await commands.request(bus, commands.command_subject("auth", name), message, reply)


async def issue(bus: Bus, request: cmd.IssueKey) -> IssuedKey:
    reply = await call(bus, "issue_key", request, cmd.IssueKeyReply)
    return IssuedKey(reply.key.key_id, reply.key.key)


async def new_tenant(bus: Bus) -> Tenant:
    name = f"Acme {uuid.uuid4().hex[:6]}"
    org = await call(bus, "create_org", cmd.CreateOrg(name=name), cmd.CreateOrgReply)
    actor = cmd.Actor(org_id=org.org_id)
    team = await call(
        bus, "create_team", cmd.CreateTeam(actor=actor, name="ml"), cmd.CreateTeamReply
    )
    app = await call(
        bus, "create_app", cmd.CreateApp(actor=actor, team_id=team.team_id, name="chat"),
        cmd.CreateAppReply,
    )  # fmt: skip
    admin = await issue(bus, cmd.IssueKey(actor=actor, role=auth_pb2.ROLE_ADMIN, name="ops"))
    member = await issue(
        bus, cmd.IssueKey(actor=actor, role=auth_pb2.ROLE_MEMBER, name="app key",
                          team_id=team.team_id, app_id=app.app_id),
    )  # fmt: skip
    viewer = await issue(
        bus, cmd.IssueKey(actor=actor, role=auth_pb2.ROLE_VIEWER, name="viewer",
                          team_id=team.team_id),
    )  # fmt: skip
    owner = IssuedKey(org.owner_key.key_id, org.owner_key.key)
    return Tenant(org.org_id, team.team_id, app.app_id, owner, admin, member, viewer)


async def settled(bus: Bus, runner: ProjectionRunner[KeyIndex]) -> None:
    """Until ingress's key projection has folded every AUTH event stored so far."""
    await runner.wait_applied(await stream_last_seq(bus, Stream.AUTH), 5.0)


def org_view(directory: Directory, org_id: str) -> tuple[object, ...]:
    """Everything auth holds about one org, to compare before and after."""
    return (
        directory.orgs.get(org_id),
        sorted((t for t in directory.teams.values() if t.org_id == org_id), key=repr),
        sorted((a for a in directory.apps.values() if a.org_id == org_id), key=repr),
        sorted((k for k in directory.keys.values() if k.org_id == org_id), key=repr),
    )
