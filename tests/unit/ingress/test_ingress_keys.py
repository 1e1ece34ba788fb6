"""Ingress's key index folds AUTH events: an issued key authenticates by hash, a revoked
key is refused, a restricted key changes its models; a mistyped key is refused before any
lookup; the messages never carry the key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf.message import Message

from hicap.errors import Unauthenticated
from hicap.events import Event, auth_pb2
from hicap.events.apikeys import display_prefix, generate_key, key_hash
from hicap.ingress.keys import KeyIndex, KeyRing, evolve

SECRET = b"unit-secret"


def event(payload: Message) -> Event[Message]:
    return Event(payload, "0190-0000", datetime(2026, 1, 1, tzinfo=UTC), org_id="org-1")


def issued(key: str, key_id: str = "k1", models: tuple[str, ...] = ()) -> Event[Message]:
    return event(
        auth_pb2.KeyIssued(
            org_id="org-1",
            key_id=key_id,
            role=auth_pb2.ROLE_MEMBER,
            key_hash=key_hash(key, SECRET),
            display_prefix=display_prefix(key),
            allowed_models=list(models),
        )
    )


def fold(*events: Event[Message]) -> KeyIndex:
    state = KeyIndex()
    for e in events:
        state = evolve(state, e)
    return state


def ring(state: KeyIndex) -> KeyRing:
    return KeyRing(lambda: state, SECRET)


def test_an_issued_key_authenticates_to_its_record() -> None:
    key = generate_key()
    record = ring(fold(issued(key, models=("gpt-4.1",)))).authenticate(key)
    assert (record.org_id, record.key_id, record.allowed_models) == ("org-1", "k1", ("gpt-4.1",))
    assert record.allows("gpt-4.1") and not record.allows("claude-opus-4.6")


def test_a_revoked_key_is_refused_and_others_still_work() -> None:
    key, other = generate_key(), generate_key()
    state = fold(
        issued(key),
        issued(other, "k2"),
        event(auth_pb2.KeyRevoked(org_id="org-1", key_id="k1")),
    )
    with pytest.raises(Unauthenticated) as caught:
        ring(state).authenticate(key)
    assert key not in caught.value.message
    assert ring(state).authenticate(other).key_id == "k2"


def test_restricting_a_key_changes_its_models() -> None:
    key = generate_key()
    state = fold(
        issued(key),
        event(auth_pb2.KeyRestricted(org_id="org-1", key_id="k1", allowed_models=["m"])),
    )
    assert ring(state).authenticate(key).allowed_models == ("m",)


def test_a_mistyped_key_is_refused_before_any_lookup() -> None:
    key = generate_key()
    typo = key[:-1] + ("A" if key[-1] != "A" else "B")
    looked_up = []

    def index() -> KeyIndex:
        looked_up.append(1)
        return fold(issued(key))

    with pytest.raises(Unauthenticated, match="malformed"):
        KeyRing(index, SECRET).authenticate(typo)
    assert looked_up == []


def test_an_unknown_well_formed_key_is_refused() -> None:
    with pytest.raises(Unauthenticated, match="invalid API key"):
        ring(fold(issued(generate_key()))).authenticate(generate_key())


def test_events_about_unknown_keys_and_other_events_change_nothing() -> None:
    state = fold(issued(generate_key()))
    assert evolve(state, event(auth_pb2.KeyRevoked(org_id="org-1", key_id="nope"))) is state
    assert evolve(state, event(auth_pb2.OrgCreated(org_id="o", name="n"))) is state
