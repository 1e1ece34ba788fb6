"""The auth directory folded from the AUTH stream: `evolve(directory, event) -> directory`.

Pure: no I/O, no clock, no validation (that is `domain`'s job before an event exists); an
event about something unknown is folded as it stands or ignored, never refused. Each branch
builds new maps and leaves the old state untouched, so a snapshot stays valid.
"""

from __future__ import annotations

from dataclasses import replace

from google.protobuf.message import Message

from hicap.auth.domain import App, Directory, KeyRecord, Org, Team
from hicap.events import Event, auth_pb2

__all__ = ["Directory", "evolve"]


def evolve(state: Directory, event: Event[Message]) -> Directory:
    p = event.payload
    if isinstance(p, auth_pb2.OrgCreated):
        return replace(state, orgs={**state.orgs, p.org_id: Org(p.org_id, p.name)})
    if isinstance(p, auth_pb2.TeamCreated):
        return replace(state, teams={**state.teams, p.team_id: Team(p.org_id, p.team_id, p.name)})
    if isinstance(p, auth_pb2.AppCreated):
        app = App(p.org_id, p.team_id, p.app_id, p.name)
        return replace(state, apps={**state.apps, p.app_id: app})
    if isinstance(p, auth_pb2.KeyIssued):
        return _key_issued(state, p)
    if isinstance(p, auth_pb2.KeyRevoked):
        return _key_revoked(state, p)
    if isinstance(p, auth_pb2.KeyRestricted):
        return _key_restricted(state, p)
    return state


def _key_issued(state: Directory, p: auth_pb2.KeyIssued) -> Directory:
    record = KeyRecord(
        org_id=p.org_id,
        key_id=p.key_id,
        team_id=p.team_id,
        app_id=p.app_id,
        role=p.role,
        key_hash=bytes(p.key_hash),
        display_prefix=p.display_prefix,
        allowed_models=tuple(p.allowed_models),
        name=p.name,
    )
    return replace(
        state,
        keys={**state.keys, p.key_id: record},
        key_ids_by_hash={**state.key_ids_by_hash, record.key_hash: p.key_id},
    )


def _key_revoked(state: Directory, p: auth_pb2.KeyRevoked) -> Directory:
    key = state.keys.get(p.key_id)
    if key is None or key.revoked:
        return state
    return replace(state, keys={**state.keys, p.key_id: replace(key, revoked=True)})


def _key_restricted(state: Directory, p: auth_pb2.KeyRestricted) -> Directory:
    key = state.keys.get(p.key_id)
    if key is None:
        return state
    restricted = replace(key, allowed_models=tuple(p.allowed_models))
    return replace(state, keys={**state.keys, p.key_id: restricted})
