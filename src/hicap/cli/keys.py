"""`hicap keys`: issue, list and revoke an org's API keys as the platform operator, through
auth's commands on the bus of the platform running on the data dir (found via the run
file, like `hicap status`). A team or app is named by its id or by its name. A new key is
the only thing written to stdout, so `KEY=$(hicap keys create ...)` works; everything else
goes to stderr. Never logs a key. Imports libs only, never a service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table

from hicap.bus import Bus
from hicap.cli.operator_bus import ask, on_bus
from hicap.errors import InvalidRequest, NotFound
from hicap.events import auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd

__all__ = ["KeySpec", "RoleName", "create_key", "list_keys", "render_keys", "revoke_key"]

Rep = TypeVar("Rep", bound=Message)
T = TypeVar("T")


class RoleName(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def role(self) -> auth_pb2.Role:
        return _ROLES[self]


_ROLES = {
    RoleName.OWNER: auth_pb2.ROLE_OWNER,
    RoleName.ADMIN: auth_pb2.ROLE_ADMIN,
    RoleName.MEMBER: auth_pb2.ROLE_MEMBER,
    RoleName.VIEWER: auth_pb2.ROLE_VIEWER,
}


@dataclass(frozen=True, slots=True)
class KeySpec:
    org_id: str
    team: str = ""  # id or name; empty: an org-level key (owner/admin)
    app: str = ""  # id or name, of `team`
    role: RoleName = RoleName.MEMBER
    models: tuple[str, ...] = ()  # empty: every model the org may use
    name: str = "cli"


async def create_key(nats_url: str, spec: KeySpec) -> cmd.IssueKeyReply:
    """Issue a key as the operator of `spec.org_id`; the reply holds the full key, once."""

    async def issue(bus: Bus) -> cmd.IssueKeyReply:
        actor = cmd.Actor(org_id=spec.org_id)
        team_id = await _team_id(bus, actor, spec.team) if spec.team else ""
        app_id = ""
        if spec.app:  # without --team, the app's own team
            team_id, app_id = await _app(bus, actor, team_id, spec.app)
        request = cmd.IssueKey(
            actor=actor,
            team_id=team_id,
            app_id=app_id,
            role=spec.role.role,
            allowed_models=spec.models,
            name=spec.name,
        )
        return await _ask(bus, "issue_key", request, cmd.IssueKeyReply)

    return await _on_bus(nats_url, issue)


async def list_keys(
    nats_url: str, org_id: str, *, include_revoked: bool = False
) -> list[cmd.KeySummary]:
    async def listing(bus: Bus) -> list[cmd.KeySummary]:
        request = cmd.ListKeys(actor=cmd.Actor(org_id=org_id), include_revoked=include_revoked)
        return list((await _ask(bus, "list_keys", request, cmd.ListKeysReply)).keys)

    return await _on_bus(nats_url, listing)


async def revoke_key(nats_url: str, org_id: str, key_id: str, reason: str = "") -> cmd.KeySummary:
    async def revoke(bus: Bus) -> cmd.KeySummary:
        request = cmd.RevokeKey(actor=cmd.Actor(org_id=org_id), key_id=key_id, reason=reason)
        return (await _ask(bus, "revoke_key", request, cmd.RevokeKeyReply)).key

    return await _on_bus(nats_url, revoke)


def describe_issued(reply: cmd.IssueKeyReply) -> str:
    """One line about a new key for stderr: never the key itself, only its prefix."""
    s = reply.summary
    models = ", ".join(s.allowed_models) or "every model"
    scope = f"team {s.team_id}, app {s.app_id or '-'}" if s.team_id else "the whole org"
    return f"issued {s.key_id} ({s.display_prefix}…), {_role_name(s.role)} of {scope}; {models}"


def render_keys(keys: Sequence[cmd.KeySummary], console: Console) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("key_id", "name", "prefix", "role", "team", "app", "models", "state"):
        table.add_column(column, overflow="fold")
    for k in keys:
        table.add_row(
            k.key_id,
            k.name,
            k.display_prefix,
            _role_name(k.role),
            k.team_id or "-",
            k.app_id or "-",
            ", ".join(k.allowed_models) or "all",
            "revoked" if k.revoked else "live",
        )
    console.print(table)


def _role_name(role: int) -> str:
    return auth_pb2.Role.Name(role).removeprefix("ROLE_").lower()


async def _team_id(bus: Bus, actor: cmd.Actor, team: str) -> str:
    teams = (await _ask(bus, "list_teams", cmd.ListTeams(actor=actor), cmd.ListTeamsReply)).teams
    found = [t.team_id for t in teams if team in (t.team_id, t.name)]
    if not found:
        raise NotFound(f"org {actor.org_id} has no team {team!r}")
    return found[0]


async def _app(bus: Bus, actor: cmd.Actor, team_id: str, app: str) -> tuple[str, str]:
    """(team_id, app_id) of the app named `app` (id or name), in `team_id` if one is given."""
    request = cmd.ListApps(actor=actor, team_id=team_id)
    apps = (await _ask(bus, "list_apps", request, cmd.ListAppsReply)).apps
    found = [(a.team_id, a.app_id) for a in apps if app in (a.app_id, a.name)]
    where = f"team {team_id}" if team_id else f"org {actor.org_id}"
    if not found:
        raise NotFound(f"{where} has no app {app!r}")
    if len(found) > 1:
        raise InvalidRequest(f"{where} has more than one app {app!r}; give --team to choose")
    return found[0]


async def _ask(bus: Bus, name: str, message: Message, reply_type: type[Rep]) -> Rep:
    return await ask(bus, "auth", name, message, reply_type)


async def _on_bus(nats_url: str, work: Callable[[Bus], Awaitable[T]]) -> T:
    return await on_bus(nats_url, "keys", work)
