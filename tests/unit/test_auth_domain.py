"""Auth's rules and fold, pure: what each command decides, what it refuses, that one org
never touches another's objects, and that the directory folded live, replayed, or resumed
from a snapshot is the same."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime
from functools import reduce

import pytest
from google.protobuf.message import Message
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hicap.auth import domain
from hicap.auth.domain import ADMIN, MEMBER, OWNER, VIEWER, Actor, Directory, MintedKey
from hicap.auth.projections import evolve
from hicap.errors import Conflict, HicapError, InvalidRequest, NotFound, PermissionDenied
from hicap.events import Event, auth_pb2
from hicap.events.apikeys import display_prefix, generate_key, key_hash

SECRET = b"test-secret"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class World:
    """A directory plus deterministic ids and keys; applies what the domain decides."""

    def __init__(self, seed: int = 0) -> None:
        self.state = Directory()
        self.events: list[Event[Message]] = []
        self._rng = random.Random(seed)
        self._n = itertools.count()
        self.keys: dict[str, str] = {}  # key_id -> full key, the test's own record

    def id(self, kind: str) -> str:
        return f"{kind}_{next(self._n)}"

    def mint(self) -> MintedKey:
        key = generate_key(self._rng.randbytes)
        minted = MintedKey(self.id("key"), key_hash(key, SECRET), display_prefix(key))
        self.keys[minted.key_id] = key
        return minted

    def apply(self, payloads: list[Message]) -> None:
        for p in payloads:
            event = Event(p, f"ev_{len(self.events)}", T0, getattr(p, "org_id", ""))
            self.events.append(event)
            self.state = evolve(self.state, event)

    def org(self) -> tuple[str, str]:
        """A new org; returns (org_id, owner key_id)."""
        org_id, owner = self.id("org"), self.mint()
        self.apply(domain.create_org(self.state, org_id=org_id, name="Acme", owner_key=owner))
        return org_id, owner.key_id

    def team(self, actor: Actor, name: str = "Team") -> str:
        team_id = self.id("team")
        self.apply(domain.create_team(self.state, actor, team_id=team_id, name=name))
        return team_id

    def app(self, actor: Actor, team_id: str, name: str = "App") -> str:
        app_id = self.id("app")
        self.apply(domain.create_app(self.state, actor, team_id=team_id, app_id=app_id, name=name))
        return app_id

    def issue(self, actor: Actor, role: int = MEMBER, **kw: object) -> str:
        minted = self.mint()
        kw.setdefault("name", "k")
        self.apply(domain.issue_key(self.state, actor, minted=minted, role=role, **kw))  # type: ignore[arg-type]  # kwargs pass-through
        return minted.key_id


def test_a_new_org_has_an_owner_key_that_authenticates() -> None:
    w = World()
    org_id, owner_id = w.org()
    record = domain.authenticate(w.state, w.keys[owner_id], SECRET)
    assert record is not None
    assert (record.org_id, record.role, record.team_id) == (org_id, OWNER, "")
    assert w.state.orgs[org_id].name == "Acme"


def test_the_issued_event_holds_the_hash_and_prefix_never_the_key() -> None:
    w = World()
    _, owner_id = w.org()
    issued = w.events[-1].payload
    assert isinstance(issued, auth_pb2.KeyIssued)
    key = w.keys[owner_id]
    assert issued.key_hash == key_hash(key, SECRET)
    assert issued.display_prefix == key[:12]
    assert key.encode() not in issued.SerializeToString()


def test_an_app_key_is_bound_to_its_team_and_app_and_models() -> None:
    w = World()
    org_id, owner = w.org()
    actor = Actor(org_id, owner)
    team = w.team(actor)
    app = w.app(actor, team)
    key_id = w.issue(actor, team_id=team, app_id=app, allowed_models=["gpt-4.1", "gpt-4.1"])
    record = domain.authenticate(w.state, w.keys[key_id], SECRET)
    assert record is not None
    assert (record.team_id, record.app_id, record.allowed_models) == (team, app, ("gpt-4.1",))
    assert record.allows("gpt-4.1") and not record.allows("claude-opus-4.6")


def test_a_revoked_key_no_longer_authenticates_and_cannot_be_revoked_twice() -> None:
    w = World()
    org_id, owner = w.org()
    actor = Actor(org_id, owner)
    key_id = w.issue(actor)
    w.apply(domain.revoke_key(w.state, actor, key_id=key_id))
    assert domain.authenticate(w.state, w.keys[key_id], SECRET) is None
    with pytest.raises(Conflict):
        domain.revoke_key(w.state, actor, key_id=key_id)
    assert [k.key_id for k in domain.list_keys(w.state, actor)] == [owner]
    assert len(domain.list_keys(w.state, actor, revoked=True)) == 2


def test_a_mistyped_or_unknown_key_does_not_authenticate() -> None:
    w = World()
    _, owner = w.org()
    key = w.keys[owner]
    assert domain.authenticate(w.state, key[:-1] + ("a" if key[-1] != "a" else "b"), SECRET) is None
    assert domain.authenticate(w.state, generate_key(), SECRET) is None
    assert domain.authenticate(w.state, key, b"another secret") is None


Refusal = tuple[str, Callable[[World, Actor, str, str], object], type[HicapError]]


def _refusals() -> list[Refusal]:
    def issue(**kw: object) -> Callable[[World, Actor, str, str], object]:
        return lambda w, a, team, app: domain.issue_key(
            w.state,
            a,
            minted=w.mint(),
            **{"role": MEMBER, "name": "k", **kw},  # type: ignore[arg-type]  # kwargs pass-through
        )

    return [
        (
            "empty team name",
            lambda w, a, t, p: domain.create_team(w.state, a, team_id="x", name=" "),
            InvalidRequest,
        ),
        (
            "duplicate team name",
            lambda w, a, t, p: domain.create_team(w.state, a, team_id="x", name="Team"),
            Conflict,
        ),
        (
            "app of unknown team",
            lambda w, a, t, p: domain.create_app(w.state, a, team_id="nope", app_id="x", name="A"),
            NotFound,
        ),
        ("unspecified role", issue(role=auth_pb2.ROLE_UNSPECIFIED), InvalidRequest),
        (
            "admin key bound to a team",
            lambda w, a, t, p: issue(role=ADMIN, team_id=t)(w, a, t, p),
            InvalidRequest,
        ),
        ("app without team", lambda w, a, t, p: issue(app_id=p)(w, a, t, p), InvalidRequest),
        ("empty model name", issue(allowed_models=["gpt-4.1", " "]), InvalidRequest),
        ("empty key name", issue(name=""), InvalidRequest),
        (
            "unknown key revoked",
            lambda w, a, t, p: domain.revoke_key(w.state, a, key_id="nope"),
            NotFound,
        ),
    ]


@pytest.mark.parametrize(("case", "command", "error"), _refusals(), ids=[r[0] for r in _refusals()])
def test_invalid_commands_are_refused_with_their_error(
    case: str, command: Callable[[World, Actor, str, str], object], error: type[HicapError]
) -> None:
    w = World()
    org_id, owner = w.org()
    actor = Actor(org_id, owner)
    team = w.team(actor)
    app = w.app(actor, team)
    with pytest.raises(error):
        command(w, actor, team, app)


MANAGING: list[Callable[[Directory, Actor, str, str], object]] = [
    lambda s, a, key, team: domain.list_keys(s, a),
    lambda s, a, key, team: domain.get_key(s, a, key),
    lambda s, a, key, team: domain.get_org(s, a),
    lambda s, a, key, team: domain.list_teams(s, a),
    lambda s, a, key, team: domain.get_team(s, a, team),
    lambda s, a, key, team: domain.list_apps(s, a),
    lambda s, a, key, team: domain.create_team(s, a, team_id="t", name="T"),
    lambda s, a, key, team: domain.restrict_key(s, a, key_id=key, allowed_models=["m"]),
]


@pytest.mark.parametrize("role", [MEMBER, VIEWER])
def test_member_and_viewer_keys_can_neither_read_nor_change_the_directory(role: int) -> None:
    w = World()
    org_id, owner = w.org()
    manager = Actor(org_id, owner)
    team = w.team(manager)
    weak = Actor(org_id, w.issue(manager, role=role))
    for command in MANAGING:
        with pytest.raises(PermissionDenied):
            command(w.state, weak, owner, team)
        command(w.state, manager, owner, team)  # the owner may
    assert domain.authorize(w.state, weak, manage=False) is not None


def test_the_directory_reads_show_the_actors_org_teams_apps_and_keys() -> None:
    w = World()
    org_id, owner = w.org()
    actor = Actor(org_id, owner)
    ml, web = w.team(actor, "ml"), w.team(actor, "web")
    chat = w.app(actor, ml, "chat")
    w.app(actor, web, "site")
    assert domain.get_org(w.state, actor).name == "Acme"
    assert [t.name for t in domain.list_teams(w.state, actor)] == ["ml", "web"]
    assert domain.get_team(w.state, actor, web).name == "web"
    assert [a.name for a in domain.list_apps(w.state, actor)] == ["chat", "site"]
    assert [a.app_id for a in domain.list_apps(w.state, actor, team_id=ml)] == [chat]
    assert domain.get_key(w.state, actor, owner).role == OWNER


def test_a_restricted_key_allows_only_its_new_models_and_an_empty_list_lifts_it() -> None:
    w = World()
    org_id, owner = w.org()
    actor = Actor(org_id, owner)
    key_id = w.issue(actor, allowed_models=["gpt-4.1"])
    w.apply(domain.restrict_key(w.state, actor, key_id=key_id, allowed_models=["o3", "o3", "o4"]))
    event = w.events[-1].payload
    assert isinstance(event, auth_pb2.KeyRestricted)
    assert list(event.allowed_models) == ["o3", "o4"]
    record = domain.authenticate(w.state, w.keys[key_id], SECRET)
    assert record is not None and record.allows("o4") and not record.allows("gpt-4.1")
    assert domain.restrict_key(w.state, actor, key_id=key_id, allowed_models=["o3", "o4"]) == []
    w.apply(domain.restrict_key(w.state, actor, key_id=key_id, allowed_models=[]))
    assert w.state.keys[key_id].allows("anything")


def test_a_revoked_key_cannot_be_restricted_and_an_admin_cannot_restrict_an_owner() -> None:
    w = World()
    org_id, owner = w.org()
    actor = Actor(org_id, owner)
    admin = Actor(org_id, w.issue(actor, role=ADMIN))
    with pytest.raises(PermissionDenied):
        domain.restrict_key(w.state, admin, key_id=owner, allowed_models=["m"])
    key_id = w.issue(actor)
    w.apply(domain.revoke_key(w.state, actor, key_id=key_id))
    with pytest.raises(Conflict):
        domain.restrict_key(w.state, actor, key_id=key_id, allowed_models=["m"])


def test_an_admin_key_cannot_issue_or_revoke_an_owner_key() -> None:
    w = World()
    org_id, owner = w.org()
    admin = Actor(org_id, w.issue(Actor(org_id, owner), role=ADMIN))
    with pytest.raises(PermissionDenied):
        w.issue(admin, role=OWNER)
    with pytest.raises(PermissionDenied):
        domain.revoke_key(w.state, admin, key_id=owner)
    w.issue(Actor(org_id, owner), role=OWNER)  # an owner may


def test_a_revoked_admin_key_can_no_longer_act() -> None:
    w = World()
    org_id, owner = w.org()
    admin = Actor(org_id, w.issue(Actor(org_id, owner), role=ADMIN))
    w.apply(domain.revoke_key(w.state, Actor(org_id, owner), key_id=admin.key_id))
    with pytest.raises(PermissionDenied):
        w.team(admin)


def test_one_org_can_neither_read_nor_change_another_orgs_objects() -> None:
    w = World()
    a_org, a_owner = w.org()
    b_org, b_owner = w.org()
    a = Actor(a_org, a_owner)
    a_team = w.team(a)
    a_app = w.app(a, a_team)
    a_key = w.issue(a, team_id=a_team, app_id=a_app)
    b = Actor(b_org, b_owner)
    before = w.state
    with pytest.raises(NotFound):
        domain.revoke_key(w.state, b, key_id=a_key)
    with pytest.raises(NotFound):
        domain.create_app(w.state, b, team_id=a_team, app_id="x", name="X")
    with pytest.raises(NotFound):
        w.issue(b, team_id=a_team)
    # B's own team cannot host A's app, nor can B act with A's key.
    with pytest.raises(NotFound):
        w.issue(b, team_id=w.team(b), app_id=a_app)
    with pytest.raises(PermissionDenied):
        domain.create_team(w.state, Actor(b_org, a_owner), team_id="y", name="Y")
    with pytest.raises(NotFound):
        domain.restrict_key(w.state, b, key_id=a_key, allowed_models=["m"])
    for read in (
        lambda: domain.get_key(w.state, b, a_key),
        lambda: domain.get_team(w.state, b, a_team),
        lambda: domain.list_apps(w.state, b, team_id=a_team),
    ):
        with pytest.raises(NotFound):
            read()
    assert {k.org_id for k in domain.list_keys(w.state, b)} == {b_org}
    assert {t.org_id for t in domain.list_teams(w.state, b)} == {b_org}
    assert {a.org_id for a in domain.list_apps(w.state, b)} <= {b_org}
    assert domain.get_org(w.state, b).org_id == b_org
    assert w.state.keys[a_key] == before.keys[a_key]


def test_an_unknown_org_is_not_found() -> None:
    with pytest.raises(NotFound):
        domain.create_team(Directory(), Actor("org_nope"), team_id="t", name="T")


# -- the fold ------------------------------------------------------------------------

Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["org", "team", "app", "key", "revoke", "restrict"]),
        st.integers(0, 9),
        st.integers(0, 9),
    ),
    max_size=40,
)


def run(script: list[Step]) -> World:
    """Play a random script of commands; refused ones leave no event."""
    w = World()
    orgs: list[tuple[str, str]] = []
    for kind, i, j in script:
        try:
            if kind == "org" or not orgs:
                orgs.append(w.org())
                continue
            org_id, owner = orgs[i % len(orgs)]
            actor = Actor(org_id, owner)
            teams = sorted(t for t, v in w.state.teams.items() if v.org_id == org_id)
            if kind == "team":
                w.team(actor, name=f"t{j}")
            elif kind == "app" and teams:
                w.app(actor, teams[j % len(teams)], name=f"a{i}")
            elif kind == "key":
                w.issue(actor, role=[OWNER, ADMIN, MEMBER, VIEWER][j % 4])
            elif kind == "revoke":
                keys = sorted(w.state.keys)
                w.apply(domain.revoke_key(w.state, actor, key_id=keys[j % len(keys)]))
            elif kind == "restrict":
                keys = sorted(w.state.keys)
                models = [f"m{n}" for n in range(j % 3)]
                w.apply(
                    domain.restrict_key(
                        w.state, actor, key_id=keys[i % len(keys)], allowed_models=models
                    )
                )
        except HicapError:
            pass
    return w


RESTRICTING: list[Step] = [("org", 0, 0), ("key", 0, 2), ("restrict", 0, 1), ("restrict", 1, 2)]


def test_the_scripts_reach_the_key_restricted_event() -> None:
    kinds = [type(e.payload) for e in run(RESTRICTING).events]
    assert kinds.count(auth_pb2.KeyRestricted) == 2


@settings(max_examples=150)
@given(steps, st.floats(0, 1))
@example(RESTRICTING, 0.5)
def test_replay_equals_live_and_a_snapshot_resumes_to_the_same_directory(
    script: list[Step], cut: float
) -> None:
    w = run(script)
    replayed = reduce(evolve, w.events, Directory())
    assert replayed == w.state
    k = int(cut * len(w.events))
    snapshot = reduce(evolve, w.events[:k], Directory())
    frozen_copy = Directory(
        **{f: dict(getattr(snapshot, f)) for f in snapshot.__dataclass_fields__}
    )
    resumed = reduce(evolve, w.events[k:], snapshot)
    assert resumed == w.state
    assert snapshot == frozen_copy  # folding on never changed the snapshot it started from


@settings(max_examples=100)
@given(steps)
def test_every_event_belongs_to_the_org_whose_command_made_it(script: list[Step]) -> None:
    w = run(script)
    for event in w.events:
        p = event.payload
        assert event.org_id == p.org_id
        if isinstance(p, auth_pb2.AppCreated):
            assert w.state.teams[p.team_id].org_id == p.org_id
        if isinstance(p, auth_pb2.KeyIssued) and p.team_id:
            assert w.state.teams[p.team_id].org_id == p.org_id
