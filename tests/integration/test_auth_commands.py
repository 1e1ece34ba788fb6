"""Auth over the real bus: commands on `hicap.cmd.auth.*` answer once their events are
stored and folded; keys authenticate by hash; cross-org changes are refused; the AUTH stream
never holds a full key; a restarted auth rebuilds the same directory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest
from google.protobuf.message import Message

from hicap.auth import domain
from hicap.auth.app import AuthService, start_auth
from hicap.auth.domain import ADMIN, MEMBER
from hicap.bus import Bus, commands, stream_last_seq
from hicap.errors import Conflict, NotFound, PermissionDenied
from hicap.events import Stream
from hicap.events.v1 import auth_commands_pb2 as cmd
from tests.asserts import assert_eventually

SECRET = b"integration-secret"
Rep = TypeVar("Rep", bound=Message)


@pytest.fixture
async def auth(bus: Bus) -> AsyncIterator[AuthService]:
    service = await start_auth(bus, SECRET)
    await service.runner.wait_caught_up(10)
    yield service
    await service.stop()


async def call(bus: Bus, name: str, message: Message, reply: type[Rep]) -> Rep:
    return await commands.request(bus, commands.command_subject("auth", name), message, reply)


async def new_org(bus: Bus) -> cmd.CreateOrgReply:
    name = f"Acme {uuid.uuid4().hex[:6]}"
    return await call(bus, "create_org", cmd.CreateOrg(name=name), cmd.CreateOrgReply)


async def test_a_new_orgs_owner_key_authenticates_as_soon_as_the_reply_arrives(
    bus: Bus, auth: AuthService
) -> None:
    org = await new_org(bus)
    record = domain.authenticate(auth.directory, org.owner_key.key, SECRET)
    assert record is not None and record.org_id == org.org_id
    assert org.owner_key.display_prefix == org.owner_key.key[:12]


async def test_a_key_issued_for_a_team_and_app_and_then_revoked(
    bus: Bus, auth: AuthService
) -> None:
    org = await new_org(bus)
    actor = cmd.Actor(org_id=org.org_id, key_id=org.owner_key.key_id)
    team = await call(
        bus, "create_team", cmd.CreateTeam(actor=actor, name="ml"), cmd.CreateTeamReply
    )
    app = await call(
        bus,
        "create_app",
        cmd.CreateApp(actor=actor, team_id=team.team_id, name="chat"),
        cmd.CreateAppReply,
    )
    issue = cmd.IssueKey(
        actor=actor,
        team_id=team.team_id,
        app_id=app.app_id,
        role=MEMBER,
        allowed_models=["gpt-4.1"],
        name="app key",
    )
    issued = (await call(bus, "issue_key", issue, cmd.IssueKeyReply)).key
    record = domain.authenticate(auth.directory, issued.key, SECRET)
    assert record is not None and (record.team_id, record.app_id) == (team.team_id, app.app_id)
    listed = await call(bus, "list_keys", cmd.ListKeys(actor=actor), cmd.ListKeysReply)
    assert {k.key_id for k in listed.keys} == {org.owner_key.key_id, issued.key_id}
    assert all(k.display_prefix and issued.key not in str(k) for k in listed.keys)

    revoke = cmd.RevokeKey(actor=actor, key_id=issued.key_id, reason="test")
    await call(bus, "revoke_key", revoke, cmd.RevokeKeyReply)
    assert domain.authenticate(auth.directory, issued.key, SECRET) is None
    with pytest.raises(Conflict):
        await call(bus, "revoke_key", revoke, cmd.RevokeKeyReply)


async def test_one_org_cannot_revoke_or_list_another_orgs_keys(bus: Bus, auth: AuthService) -> None:
    a, b = await new_org(bus), await new_org(bus)
    b_actor = cmd.Actor(org_id=b.org_id, key_id=b.owner_key.key_id)
    with pytest.raises(NotFound):
        await call(
            bus,
            "revoke_key",
            cmd.RevokeKey(actor=b_actor, key_id=a.owner_key.key_id),
            cmd.RevokeKeyReply,
        )
    # B's key presented as if it acted for A.
    forged = cmd.Actor(org_id=a.org_id, key_id=b.owner_key.key_id)
    with pytest.raises(PermissionDenied):
        await call(bus, "list_keys", cmd.ListKeys(actor=forged), cmd.ListKeysReply)
    listed = await call(bus, "list_keys", cmd.ListKeys(actor=b_actor), cmd.ListKeysReply)
    assert [k.key_id for k in listed.keys] == [b.owner_key.key_id]
    assert domain.authenticate(auth.directory, a.owner_key.key, SECRET) is not None


async def test_the_auth_stream_holds_hashes_and_prefixes_never_a_full_key(
    bus: Bus, auth: AuthService
) -> None:
    first = await stream_last_seq(bus, Stream.AUTH) + 1
    org = await new_org(bus)
    actor = cmd.Actor(org_id=org.org_id)
    admin = await call(
        bus, "issue_key", cmd.IssueKey(actor=actor, role=ADMIN, name="ops"), cmd.IssueKeyReply
    )
    last = await stream_last_seq(bus, Stream.AUTH)
    stored = [(await bus.js.get_msg(Stream.AUTH.value, seq)) for seq in range(first, last + 1)]
    blobs = [m.data + repr(m.headers).encode() for m in stored]
    for key in (org.owner_key.key, admin.key.key):
        assert not any(key.encode() in blob for blob in blobs)
        # A truncated key is as bad: nothing past the display prefix is stored.
        assert not any(key[:20].encode() in blob for blob in blobs)
        assert any(key[:12].encode() in blob for blob in blobs)


async def test_a_restarted_auth_rebuilds_the_same_directory(bus: Bus, auth: AuthService) -> None:
    org = await new_org(bus)
    actor = cmd.Actor(org_id=org.org_id, key_id=org.owner_key.key_id)
    await call(bus, "create_team", cmd.CreateTeam(actor=actor, name="t"), cmd.CreateTeamReply)
    await auth.stop()
    restarted = await start_auth(bus, SECRET)
    try:
        await restarted.runner.wait_caught_up(10)
        await assert_eventually(
            lambda: restarted.runner.projection.applied_seq >= auth.runner.projection.applied_seq
        )
        assert restarted.directory == auth.directory
        with pytest.raises(Conflict):  # the restarted auth knows the team already exists
            await call(
                bus, "create_team", cmd.CreateTeam(actor=actor, name="t"), cmd.CreateTeamReply
            )
    finally:
        await restarted.stop()


async def test_concurrent_commands_are_decided_one_after_the_other(
    bus: Bus, auth: AuthService
) -> None:
    org = await new_org(bus)
    actor = cmd.Actor(org_id=org.org_id, key_id=org.owner_key.key_id)
    same = cmd.CreateTeam(actor=actor, name="twin")
    results = await asyncio.gather(
        *(call(bus, "create_team", same, cmd.CreateTeamReply) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, cmd.CreateTeamReply) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 4
