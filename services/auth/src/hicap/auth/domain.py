"""The auth directory and its rules: orgs, teams, apps, API keys and roles.

State is the `Directory` (frozen, folded from AUTH events by `projections.evolve`). Each
decide function takes the directory, the acting org and the command's arguments and
returns the events to append, or raises a HicapError. Ids and key material come in as
arguments, so everything here is deterministic. A full key never reaches this module: only
its hash and display prefix (`MintedKey`). One org never sees another's objects: an id of
another org is answered exactly as an id that does not exist (NotFound). Imports no nats,
no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from google.protobuf.message import Message

from hicap.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from hicap.events import auth_pb2
from hicap.events.apikeys import key_hash, parse_key

OWNER, ADMIN, MEMBER, VIEWER = (
    auth_pb2.ROLE_OWNER,
    auth_pb2.ROLE_ADMIN,
    auth_pb2.ROLE_MEMBER,
    auth_pb2.ROLE_VIEWER,
)
ROLES = frozenset({OWNER, ADMIN, MEMBER, VIEWER})
MANAGERS = frozenset({OWNER, ADMIN})
"""Roles that may change the directory of their org."""
MAX_NAME_CHARS = 200
MAX_ALLOWED_MODELS = 256


@dataclass(frozen=True, slots=True)
class Org:
    org_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Team:
    org_id: str
    team_id: str
    name: str


@dataclass(frozen=True, slots=True)
class App:
    org_id: str
    team_id: str
    app_id: str
    name: str


@dataclass(frozen=True, slots=True)
class KeyRecord:
    org_id: str
    key_id: str
    team_id: str
    app_id: str
    role: auth_pb2.Role
    key_hash: bytes = field(repr=False)
    display_prefix: str
    allowed_models: tuple[str, ...]
    name: str
    revoked: bool = False

    def allows(self, model: str) -> bool:
        return not self.allowed_models or model in self.allowed_models


@dataclass(frozen=True, slots=True)
class Directory:
    """Everything auth knows. Maps are never mutated: the fold builds new ones."""

    orgs: Mapping[str, Org] = field(default_factory=dict)
    teams: Mapping[str, Team] = field(default_factory=dict)
    apps: Mapping[str, App] = field(default_factory=dict)
    keys: Mapping[str, KeyRecord] = field(default_factory=dict)
    key_ids_by_hash: Mapping[bytes, str] = field(default_factory=dict)

    def key_by_hash(self, digest: bytes) -> KeyRecord | None:
        key_id = self.key_ids_by_hash.get(digest)
        return None if key_id is None else self.keys.get(key_id)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, in which org. `key_id` empty: the platform operator, scoped to `org_id`."""

    org_id: str
    key_id: str = ""


@dataclass(frozen=True, slots=True)
class MintedKey:
    """A new key as the domain sees it: its id, hash and display prefix, never the key."""

    key_id: str
    key_hash: bytes = field(repr=False)
    display_prefix: str


# -- reads ---------------------------------------------------------------------------


def authenticate(state: Directory, presented: str, secret: bytes) -> KeyRecord | None:
    """The live key record for a presented key; None for a malformed, unknown or revoked key."""
    parsed = parse_key(presented)
    if parsed is None:
        return None
    record = state.key_by_hash(key_hash(parsed.key, secret))
    return None if record is None or record.revoked else record


def list_keys(
    state: Directory, actor: Actor, *, team_id: str = "", app_id: str = "", revoked: bool = False
) -> list[KeyRecord]:
    """The keys of the actor's org, optionally of one team / app, in issue order."""
    authorize(state, actor)
    if team_id:
        _team(state, actor, team_id)
    if app_id:
        _app(state, actor, team_id, app_id)
    return [
        k
        for k in state.keys.values()
        if k.org_id == actor.org_id
        and (not team_id or k.team_id == team_id)
        and (not app_id or k.app_id == app_id)
        and (revoked or not k.revoked)
    ]


def get_org(state: Directory, actor: Actor) -> Org:
    """The actor's own org."""
    authorize(state, actor)
    return state.orgs[actor.org_id]


def list_teams(state: Directory, actor: Actor) -> list[Team]:
    authorize(state, actor)
    return [t for t in state.teams.values() if t.org_id == actor.org_id]


def get_team(state: Directory, actor: Actor, team_id: str) -> Team:
    authorize(state, actor)
    return _team(state, actor, team_id)


def list_apps(state: Directory, actor: Actor, *, team_id: str = "") -> list[App]:
    """The apps of the actor's org, or of one of its teams (NotFound for another org's team)."""
    authorize(state, actor)
    if team_id:
        _team(state, actor, team_id)
    return [
        a
        for a in state.apps.values()
        if a.org_id == actor.org_id and (not team_id or a.team_id == team_id)
    ]


def get_key(state: Directory, actor: Actor, key_id: str) -> KeyRecord:
    authorize(state, actor)
    return _key(state, actor, key_id)


# -- decisions -----------------------------------------------------------------------


def create_org(
    state: Directory, *, org_id: str, name: str, owner_key: MintedKey, owner_key_name: str = ""
) -> list[Message]:
    """A new org and its first owner key."""
    if org_id in state.orgs:
        raise Conflict(f"org {org_id} already exists")
    org_name = _name(name, "name")
    key_name = _name(owner_key_name or "owner", "owner_key_name")
    _check_new_key(state, owner_key)
    return [
        auth_pb2.OrgCreated(org_id=org_id, name=org_name),
        _key_issued(org_id, "", "", OWNER, (), key_name, owner_key),
    ]


def create_team(state: Directory, actor: Actor, *, team_id: str, name: str) -> list[Message]:
    authorize(state, actor)
    team_name = _name(name, "name")
    if team_id in state.teams:
        raise Conflict(f"team id {team_id} already exists")
    if any(t.org_id == actor.org_id and t.name == team_name for t in state.teams.values()):
        raise Conflict(f"the org already has a team named {team_name!r}")
    return [auth_pb2.TeamCreated(org_id=actor.org_id, team_id=team_id, name=team_name)]


def create_app(
    state: Directory, actor: Actor, *, team_id: str, app_id: str, name: str
) -> list[Message]:
    authorize(state, actor)
    team = _team(state, actor, team_id)
    app_name = _name(name, "name")
    if app_id in state.apps:
        raise Conflict(f"app id {app_id} already exists")
    if any(a.team_id == team.team_id and a.name == app_name for a in state.apps.values()):
        raise Conflict(f"team {team_id} already has an app named {app_name!r}")
    return [auth_pb2.AppCreated(org_id=actor.org_id, team_id=team_id, app_id=app_id, name=app_name)]


def issue_key(
    state: Directory,
    actor: Actor,
    *,
    minted: MintedKey,
    role: auth_pb2.Role,
    name: str,
    team_id: str = "",
    app_id: str = "",
    allowed_models: Iterable[str] = (),
) -> list[Message]:
    """A new key of the actor's org: org-level (owner/admin), or bound to a team and app."""
    acting = authorize(state, actor)
    if role not in ROLES:
        raise InvalidRequest("role must be one of owner, admin, member, viewer")
    if role == OWNER and acting is not None and acting.role != OWNER:
        raise PermissionDenied("only an owner key may issue an owner key")
    if role in MANAGERS and (team_id or app_id):
        raise InvalidRequest("owner and admin keys belong to the org, not to a team or app")
    if app_id and not team_id:
        raise InvalidRequest("team_id is required with app_id")
    if team_id:
        _team(state, actor, team_id)
    if app_id:
        _app(state, actor, team_id, app_id)
    models = _models(allowed_models)
    _check_new_key(state, minted)
    key_name = _name(name, "name")
    return [_key_issued(actor.org_id, team_id, app_id, role, models, key_name, minted)]


def revoke_key(state: Directory, actor: Actor, *, key_id: str, reason: str = "") -> list[Message]:
    acting = authorize(state, actor)
    key = _key(state, actor, key_id)
    if key.role == OWNER and acting is not None and acting.role != OWNER:
        raise PermissionDenied("only an owner key may revoke an owner key")
    if key.revoked:
        raise Conflict(f"key {key_id} is already revoked")
    return [auth_pb2.KeyRevoked(org_id=actor.org_id, key_id=key_id, reason=reason[:500])]


def restrict_key(
    state: Directory, actor: Actor, *, key_id: str, allowed_models: Iterable[str]
) -> list[Message]:
    """Replace a live key's model allow-list (empty: every model the org may use)."""
    acting = authorize(state, actor)
    key = _key(state, actor, key_id)
    if key.role == OWNER and acting is not None and acting.role != OWNER:
        raise PermissionDenied("only an owner key may restrict an owner key")
    if key.revoked:
        raise Conflict(f"key {key_id} is revoked")
    models = _models(allowed_models)
    if models == key.allowed_models:
        return []  # already so: nothing happened, so nothing to record
    return [auth_pb2.KeyRestricted(org_id=actor.org_id, key_id=key_id, allowed_models=models)]


# -- rules ---------------------------------------------------------------------------


def authorize(state: Directory, actor: Actor, *, manage: bool = True) -> KeyRecord | None:
    """The acting key (None for the operator), once the actor may act in its org.

    Reading the directory (keys, teams, apps) is managing it too: an app's member key must
    not enumerate its org. `manage=False` admits any live key of the org.
    """
    if actor.org_id not in state.orgs:
        raise NotFound(f"org {actor.org_id} not found")
    if not actor.key_id:
        return None
    key = state.keys.get(actor.key_id)
    if key is None or key.org_id != actor.org_id or key.revoked:
        raise PermissionDenied("the acting key is not a live key of this org")
    if manage and key.role not in MANAGERS:
        raise PermissionDenied("this needs an owner or admin key")
    return key


def _team(state: Directory, actor: Actor, team_id: str) -> Team:
    team = state.teams.get(team_id)
    if team is None or team.org_id != actor.org_id:
        raise NotFound(f"team {team_id} not found")
    return team


def _key(state: Directory, actor: Actor, key_id: str) -> KeyRecord:
    key = state.keys.get(key_id)
    if key is None or key.org_id != actor.org_id:
        raise NotFound(f"key {key_id} not found")
    return key


def _app(state: Directory, actor: Actor, team_id: str, app_id: str) -> App:
    """The actor's app `app_id`, which must be of `team_id` when that is given."""
    app = state.apps.get(app_id)
    if app is None or app.org_id != actor.org_id:
        raise NotFound(f"app {app_id} not found")
    if team_id and app.team_id != team_id:
        raise InvalidRequest(f"app {app_id} does not belong to team {team_id}")
    return app


def _name(value: str, what: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidRequest(f"{what} must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidRequest(f"{what} is longer than {MAX_NAME_CHARS} characters")
    return name


def _models(allowed: Iterable[str]) -> tuple[str, ...]:
    models = tuple(dict.fromkeys(m.strip() for m in allowed))
    if any(not m for m in models):
        raise InvalidRequest("allowed_models must not contain an empty name")
    if len(models) > MAX_ALLOWED_MODELS:
        raise InvalidRequest(f"allowed_models holds more than {MAX_ALLOWED_MODELS} models")
    return models


def _check_new_key(state: Directory, minted: MintedKey) -> None:
    if minted.key_id in state.keys or minted.key_hash in state.key_ids_by_hash:
        raise Conflict("key id or key already exists; retry")


def _key_issued(
    org_id: str,
    team_id: str,
    app_id: str,
    role: auth_pb2.Role,
    models: tuple[str, ...],
    name: str,
    minted: MintedKey,
) -> auth_pb2.KeyIssued:
    return auth_pb2.KeyIssued(
        org_id=org_id,
        key_id=minted.key_id,
        team_id=team_id,
        app_id=app_id,
        role=role,
        key_hash=minted.key_hash,
        display_prefix=minted.display_prefix,
        allowed_models=models,
        name=name,
    )
