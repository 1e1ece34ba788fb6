"""Composition root of auth: the directory projection over AUTH and the command handlers on
`hicap.cmd.auth.<command>` (queue group "auth"). `start_auth` wires the same parts on a
bus of the caller's (the integration tests use it); `setup` hands them to the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message

from hicap.auth.domain import Directory
from hicap.auth.handlers import AuthHandlers, KeyFactory
from hicap.auth.projections import evolve
from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, Subscription, commands
from hicap.bus.commands import CommandHandler
from hicap.events import Clock, IdFactory, Stream, utc_now, uuid7
from hicap.events.apikeys import generate_key
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.runtime import Runtime, run_service
from hicap.settings import AuthSettings

SERVICE = "auth"
QUEUE = "auth"
Req = TypeVar("Req", bound=Message)


@dataclass(slots=True)
class AuthService:
    handlers: AuthHandlers
    runner: ProjectionRunner[Directory]
    subscriptions: list[Subscription]

    @property
    def directory(self) -> Directory:
        return self.runner.state

    async def stop(self) -> None:
        for sub in self.subscriptions:
            await sub.unsubscribe()
        self.subscriptions.clear()
        await self.runner.stop()


def build_auth(
    bus: Bus,
    secret: bytes,
    *,
    ids: IdFactory = uuid7,
    keys: KeyFactory = generate_key,
    clock: Clock = utc_now,
) -> AuthHandlers:
    """The handlers over a not-yet-started projection runner (`handlers.runner`)."""
    projection = Projection(Stream.AUTH, evolve, Snapshot(Directory(), 0))
    runner = ProjectionRunner(bus, projection)
    return AuthHandlers(bus, runner, secret, ids=ids, keys=keys, clock=clock)


async def serve_commands(bus: Bus, h: AuthHandlers) -> list[Subscription]:
    async def serve(
        name: str, request_type: type[Req], handler: CommandHandler[Req]
    ) -> Subscription:
        subject = commands.command_subject(SERVICE, name)
        return await commands.serve(bus, subject, request_type, handler, queue=QUEUE)

    return [
        await serve("create_org", cmd.CreateOrg, h.create_org),
        await serve("create_team", cmd.CreateTeam, h.create_team),
        await serve("create_app", cmd.CreateApp, h.create_app),
        await serve("issue_key", cmd.IssueKey, h.issue_key),
        await serve("revoke_key", cmd.RevokeKey, h.revoke_key),
        await serve("restrict_key", cmd.RestrictKey, h.restrict_key),
        await serve("list_keys", cmd.ListKeys, h.list_keys),
        await serve("get_key", cmd.GetKey, h.get_key),
        await serve("get_org", cmd.GetOrg, h.get_org),
        await serve("list_teams", cmd.ListTeams, h.list_teams),
        await serve("get_team", cmd.GetTeam, h.get_team),
        await serve("list_apps", cmd.ListApps, h.list_apps),
    ]


async def start_auth(
    bus: Bus,
    secret: bytes,
    *,
    ids: IdFactory = uuid7,
    keys: KeyFactory = generate_key,
    clock: Clock = utc_now,
) -> AuthService:
    """Auth on `bus`: replay the directory, then answer commands."""
    handlers = build_auth(bus, secret, ids=ids, keys=keys, clock=clock)
    await handlers.runner.start()
    subscriptions = await serve_commands(bus, handlers)
    return AuthService(handlers, handlers.runner, subscriptions)


async def setup(rt: Runtime[AuthSettings]) -> None:
    secret = rt.settings.key_hash_secret.get_secret_value().encode()
    handlers = build_auth(rt.bus, secret)
    rt.add_projection(handlers.runner)  # the runtime starts it; commands wait for catch-up
    subscriptions = await serve_commands(rt.bus, handlers)

    async def unsubscribe() -> None:
        for sub in subscriptions:
            await sub.unsubscribe()

    rt.on_stop(unsubscribe)


def main() -> None:
    run_service(SERVICE, AuthSettings, setup)
