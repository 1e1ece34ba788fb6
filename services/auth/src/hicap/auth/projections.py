"""The auth directory folded from the AUTH stream. Pure: no I/O, no clock, no validation."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from google.protobuf.message import Message

from hicap.events import Event, auth_pb2


@dataclass(frozen=True, slots=True)
class Directory:
    orgs: frozenset[str] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)
    apps: frozenset[str] = field(default_factory=frozenset)
    keys: frozenset[str] = field(default_factory=frozenset)
    revoked: frozenset[str] = field(default_factory=frozenset)


def evolve(state: Directory, event: Event[Message]) -> Directory:
    p = event.payload
    if isinstance(p, auth_pb2.OrgCreated):
        return replace(state, orgs=state.orgs | {p.org_id})
    if isinstance(p, auth_pb2.TeamCreated):
        return replace(state, teams=state.teams | {p.team_id})
    if isinstance(p, auth_pb2.AppCreated):
        return replace(state, apps=state.apps | {p.app_id})
    if isinstance(p, auth_pb2.KeyIssued):
        return replace(state, keys=state.keys | {p.key_id})
    if isinstance(p, auth_pb2.KeyRevoked):
        return replace(state, revoked=state.revoked | {p.key_id})
    return state
