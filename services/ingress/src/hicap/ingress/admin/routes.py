"""The admin routes: `build_admin_router(keys, bus)`, the org's directory routes below, the
usage routes (`usage`) and the reservation routes (`reservations`). Each route is thin: the caller check
(`access`) turns the path's org and the presented key into an Actor, one auth command over
the bus does the work, and the reply becomes a response body (`schemas`). Imports fastapi,
the bus and ingress's own modules; never auth.
"""

# No `from __future__ import annotations` here: FastAPI reads the handlers' annotations at
# run time, and `Caller` below is local to build_admin_router, where a string could not be
# resolved.

from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, status
from google.protobuf.message import Message

from hicap.bus import Bus, commands
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.ingress.admin.access import caller_check
from hicap.ingress.admin.reservations import add_reservation_routes
from hicap.ingress.admin.routing import AdminRoute
from hicap.ingress.admin.schemas import (
    ROLE_BY_NAME,
    App,
    AppList,
    ErrorBody,
    IssuedKey,
    Key,
    KeyList,
    KeyRestriction,
    KeyRevocation,
    NewApp,
    NewKey,
    NewTeam,
    Org,
    Team,
    TeamList,
)
from hicap.ingress.admin.usage import add_usage_routes
from hicap.ingress.keys import KeyRing

PREFIX = "/v1/admin/orgs/{org_id}"
Rep = TypeVar("Rep", bound=Message)
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody, "description": why}
    for code, why in (
        (400, "Invalid request"),
        (401, "No key, or not a live key"),
        (403, "A key of this org without the owner or admin role"),
        (404, "No such org (or a key of another org), team, app or key"),
        (409, "Conflicts with the directory (a duplicate name, a revoked key)"),
    )
}


class AuthCommands:
    """Auth's commands as the admin API asks them."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def __call__(self, name: str, message: Message, reply_type: type[Rep]) -> Rep:
        subject = commands.command_subject("auth", name)
        return await commands.request(self.bus, subject, message, reply_type)


def build_admin_router(keys: KeyRing, bus: Bus, *, capacity_window_s: float = 60.0) -> APIRouter:
    """Every admin route, on one flat router: the org's directory (auth, below), its usage
    (metering, `usage`) and its reservations (capacity-scheduler, `reservations`; utilisation
    counted per `capacity_window_s`). Flat, because an included router's routes stay hidden
    behind it (FastAPI >= 0.120), and every route must be an APIRoute of this router."""
    router = APIRouter(tags=["admin"], route_class=AdminRoute)
    add_org_routes(router, keys, bus)
    add_usage_routes(router, keys, bus)
    add_reservation_routes(router, keys, bus, capacity_window_s=capacity_window_s)
    return router


def add_org_routes(router: APIRouter, keys: KeyRing, bus: Bus) -> None:
    caller = Annotated[cmd.Actor, Depends(caller_check(keys))]
    ask = AuthCommands(bus)

    @router.get(PREFIX, responses=ERRORS, summary="The org")
    async def get_org(actor: caller) -> Org:
        return Org.of((await ask("get_org", cmd.GetOrg(actor=actor), cmd.GetOrgReply)).org)

    @router.get(PREFIX + "/teams", responses=ERRORS, summary="The org's teams")
    async def list_teams(actor: caller) -> TeamList:
        reply = await ask("list_teams", cmd.ListTeams(actor=actor), cmd.ListTeamsReply)
        return TeamList(data=[Team.of(t) for t in reply.teams])

    @router.post(
        PREFIX + "/teams",
        responses=ERRORS,
        status_code=status.HTTP_201_CREATED,
        summary="Create a team",
    )
    async def create_team(actor: caller, body: NewTeam) -> Team:
        request = cmd.CreateTeam(actor=actor, name=body.name)
        return Team.of((await ask("create_team", request, cmd.CreateTeamReply)).team)

    @router.get(PREFIX + "/teams/{team_id}", responses=ERRORS, summary="One team")
    async def get_team(actor: caller, team_id: str) -> Team:
        request = cmd.GetTeam(actor=actor, team_id=team_id)
        return Team.of((await ask("get_team", request, cmd.GetTeamReply)).team)

    @router.get(PREFIX + "/teams/{team_id}/apps", responses=ERRORS, summary="The team's apps")
    async def list_apps(actor: caller, team_id: str) -> AppList:
        reply = await ask(
            "list_apps", cmd.ListApps(actor=actor, team_id=team_id), cmd.ListAppsReply
        )
        return AppList(data=[App.of(a) for a in reply.apps])

    @router.post(
        PREFIX + "/teams/{team_id}/apps",
        responses=ERRORS,
        status_code=status.HTTP_201_CREATED,
        summary="Create an app",
    )
    async def create_app(actor: caller, team_id: str, body: NewApp) -> App:
        request = cmd.CreateApp(actor=actor, team_id=team_id, name=body.name)
        return App.of((await ask("create_app", request, cmd.CreateAppReply)).app)

    @router.get(
        PREFIX + "/keys", responses=ERRORS, summary="The org's keys (never a key or its hash)"
    )
    async def list_keys(
        actor: caller, team_id: str = "", app_id: str = "", include_revoked: bool = False
    ) -> KeyList:
        request = cmd.ListKeys(
            actor=actor, team_id=team_id, app_id=app_id, include_revoked=include_revoked
        )
        reply = await ask("list_keys", request, cmd.ListKeysReply)
        return KeyList(data=[Key.of(k) for k in reply.keys])

    @router.post(
        PREFIX + "/keys",
        responses=ERRORS,
        status_code=status.HTTP_201_CREATED,
        summary="Issue a key",
    )
    async def issue_key(actor: caller, body: NewKey) -> IssuedKey:
        request = cmd.IssueKey(
            actor=actor,
            team_id=body.team_id or "",
            app_id=body.app_id or "",
            role=ROLE_BY_NAME[body.role],
            allowed_models=body.allowed_models,
            name=body.name,
        )
        return IssuedKey.issued(await ask("issue_key", request, cmd.IssueKeyReply))

    @router.get(
        PREFIX + "/keys/{key_id}", responses=ERRORS, summary="One key (never the key or its hash)"
    )
    async def get_key(actor: caller, key_id: str) -> Key:
        request = cmd.GetKey(actor=actor, key_id=key_id)
        return Key.of((await ask("get_key", request, cmd.GetKeyReply)).key)

    @router.post(
        PREFIX + "/keys/{key_id}/revoke",
        responses=ERRORS,
        summary="Revoke a key (refused within a second)",
    )
    async def revoke_key(actor: caller, key_id: str, body: KeyRevocation | None = None) -> Key:
        reason = body.reason if body is not None else ""
        request = cmd.RevokeKey(actor=actor, key_id=key_id, reason=reason)
        return Key.of((await ask("revoke_key", request, cmd.RevokeKeyReply)).key)

    @router.patch(PREFIX + "/keys/{key_id}", responses=ERRORS, summary="Restrict a key to models")
    async def restrict_key(actor: caller, key_id: str, body: KeyRestriction) -> Key:
        request = cmd.RestrictKey(actor=actor, key_id=key_id, allowed_models=body.allowed_models)
        return Key.of((await ask("restrict_key", request, cmd.RestrictKeyReply)).key)
