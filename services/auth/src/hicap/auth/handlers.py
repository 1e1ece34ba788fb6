"""Auth's command handlers: decode -> read the directory -> decide -> append -> reply.

Commands are handled one at a time in this process (an asyncio.Lock), and each answers only
once its events are acknowledged by JetStream and folded into the local directory, so a
caller that creates something and then reads it sees it. Auth therefore runs as ONE replica:
two replicas in the "auth" queue group could each decide against a directory that lacks the
other's latest event. The full key exists only here, on its way into the reply; it is never
logged and never put in an event. Imports no nats (the bus does that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

from hicap.auth import domain
from hicap.auth.domain import Actor, App, Directory, KeyRecord, MintedKey, Team
from hicap.bus import Bus, ProjectionRunner, append, caught_up
from hicap.events import Clock, IdFactory, new_event, utc_now, uuid7
from hicap.events.apikeys import display_prefix, generate_key, key_hash
from hicap.events.v1 import auth_commands_pb2 as cmd

KeyFactory = Callable[[], str]


@dataclass(frozen=True, slots=True)
class Minted:
    """A fresh key: what the domain sees, and the full key for the reply only."""

    domain: MintedKey
    key: str

    def reply(self) -> cmd.IssuedKey:
        return cmd.IssuedKey(
            key_id=self.domain.key_id, key=self.key, display_prefix=self.domain.display_prefix
        )


class AuthHandlers:
    def __init__(
        self,
        bus: Bus,
        runner: ProjectionRunner[Directory],
        secret: bytes,
        *,
        ids: IdFactory = uuid7,
        keys: KeyFactory = generate_key,
        clock: Clock = utc_now,
    ) -> None:
        self.bus, self.runner, self.secret = bus, runner, secret
        self.ids, self.keys, self.clock = ids, keys, clock
        self._lock = asyncio.Lock()

    @property
    def state(self) -> Directory:
        return self.runner.projection.state

    async def create_org(self, req: cmd.CreateOrg) -> cmd.CreateOrgReply:
        async with self._lock:
            await self._caught_up()
            org_id, owner = f"org_{self.ids()}", self._mint()
            events = domain.create_org(
                self.state,
                org_id=org_id,
                name=req.name,
                owner_key=owner.domain,
                owner_key_name=req.owner_key_name,
            )
            await self._append(org_id, events)
        return cmd.CreateOrgReply(org_id=org_id, owner_key=owner.reply())

    async def create_team(self, req: cmd.CreateTeam) -> cmd.CreateTeamReply:
        async with self._lock:
            await self._caught_up()
            actor, team_id = _actor(req.actor), f"team_{self.ids()}"
            events = domain.create_team(self.state, actor, team_id=team_id, name=req.name)
            await self._append(actor.org_id, events)
            team = domain.get_team(self.state, actor, team_id)
        return cmd.CreateTeamReply(team_id=team_id, team=_team(team))

    async def create_app(self, req: cmd.CreateApp) -> cmd.CreateAppReply:
        async with self._lock:
            await self._caught_up()
            actor, app_id = _actor(req.actor), f"app_{self.ids()}"
            events = domain.create_app(
                self.state, actor, team_id=req.team_id, app_id=app_id, name=req.name
            )
            await self._append(actor.org_id, events)
            app = self.state.apps[app_id]
        return cmd.CreateAppReply(app_id=app_id, app=_app(app))

    async def issue_key(self, req: cmd.IssueKey) -> cmd.IssueKeyReply:
        async with self._lock:
            await self._caught_up()
            actor, minted = _actor(req.actor), self._mint()
            events = domain.issue_key(
                self.state,
                actor,
                minted=minted.domain,
                role=req.role,
                name=req.name,
                team_id=req.team_id,
                app_id=req.app_id,
                allowed_models=req.allowed_models,
            )
            await self._append(actor.org_id, events)
            summary = _summary(domain.get_key(self.state, actor, minted.domain.key_id))
        return cmd.IssueKeyReply(key=minted.reply(), summary=summary)

    async def revoke_key(self, req: cmd.RevokeKey) -> cmd.RevokeKeyReply:
        async with self._lock:
            await self._caught_up()
            actor = _actor(req.actor)
            events = domain.revoke_key(self.state, actor, key_id=req.key_id, reason=req.reason)
            await self._append(actor.org_id, events)
            key = domain.get_key(self.state, actor, req.key_id)
        return cmd.RevokeKeyReply(key_id=req.key_id, key=_summary(key))

    async def restrict_key(self, req: cmd.RestrictKey) -> cmd.RestrictKeyReply:
        async with self._lock:
            await self._caught_up()
            actor = _actor(req.actor)
            events = domain.restrict_key(
                self.state, actor, key_id=req.key_id, allowed_models=req.allowed_models
            )
            await self._append(actor.org_id, events)
            key = domain.get_key(self.state, actor, req.key_id)
        return cmd.RestrictKeyReply(key=_summary(key))

    async def list_keys(self, req: cmd.ListKeys) -> cmd.ListKeysReply:
        # Under the lock too: a read waits for the writes before it to be folded.
        async with self._lock:
            await self._caught_up()
            found = domain.list_keys(
                self.state,
                _actor(req.actor),
                team_id=req.team_id,
                app_id=req.app_id,
                revoked=req.include_revoked,
            )
        return cmd.ListKeysReply(keys=[_summary(k) for k in found])

    async def get_key(self, req: cmd.GetKey) -> cmd.GetKeyReply:
        async with self._lock:
            await self._caught_up()
            key = domain.get_key(self.state, _actor(req.actor), req.key_id)
        return cmd.GetKeyReply(key=_summary(key))

    async def get_org(self, req: cmd.GetOrg) -> cmd.GetOrgReply:
        async with self._lock:
            await self._caught_up()
            org = domain.get_org(self.state, _actor(req.actor))
        return cmd.GetOrgReply(org=cmd.OrgSummary(org_id=org.org_id, name=org.name))

    async def list_teams(self, req: cmd.ListTeams) -> cmd.ListTeamsReply:
        async with self._lock:
            await self._caught_up()
            teams = domain.list_teams(self.state, _actor(req.actor))
        return cmd.ListTeamsReply(teams=[_team(t) for t in teams])

    async def get_team(self, req: cmd.GetTeam) -> cmd.GetTeamReply:
        async with self._lock:
            await self._caught_up()
            team = domain.get_team(self.state, _actor(req.actor), req.team_id)
        return cmd.GetTeamReply(team=_team(team))

    async def list_apps(self, req: cmd.ListApps) -> cmd.ListAppsReply:
        async with self._lock:
            await self._caught_up()
            apps = domain.list_apps(self.state, _actor(req.actor), team_id=req.team_id)
        return cmd.ListAppsReply(apps=[_app(a) for a in apps])

    def _mint(self) -> Minted:
        key = self.keys()
        minted = MintedKey(f"key_{self.ids()}", key_hash(key, self.secret), display_prefix(key))
        return Minted(minted, key)

    async def _append(self, org_id: str, payloads: Sequence[Message]) -> None:
        events = (new_event(p, org_id=org_id, clock=self.clock, ids=uuid7) for p in payloads)
        await append(self.bus, self.runner, events)

    async def _caught_up(self) -> None:
        await caught_up(self.runner)


def _actor(actor: cmd.Actor) -> Actor:
    return Actor(org_id=actor.org_id, key_id=actor.key_id)


def _summary(key: KeyRecord) -> cmd.KeySummary:
    return cmd.KeySummary(
        key_id=key.key_id,
        name=key.name,
        display_prefix=key.display_prefix,
        role=key.role,
        team_id=key.team_id,
        app_id=key.app_id,
        allowed_models=key.allowed_models,
        revoked=key.revoked,
    )


def _team(team: Team) -> cmd.TeamSummary:
    return cmd.TeamSummary(team_id=team.team_id, name=team.name)


def _app(app: App) -> cmd.AppSummary:
    return cmd.AppSummary(app_id=app.app_id, team_id=app.team_id, name=app.name)
