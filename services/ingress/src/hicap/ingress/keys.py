"""Ingress's own view of the API keys: a pure fold over the AUTH stream into an index
`key_hash -> KeyRecord`, and `KeyRing.authenticate`, which turns a presented key into its
record or raises Unauthenticated. Ingress may not import auth, so the part of auth's fold
it needs is repeated here; the key format and hash come from `hicap.events.apikeys`.
A revoked key stays in the index, marked, so it is refused as soon as its event is folded.
Imports hicap.events, hicap.errors and hicap.bus only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from google.protobuf.message import Message

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot
from hicap.errors import Unauthenticated
from hicap.events import Event, Stream, auth_pb2
from hicap.events.apikeys import key_hash, parse_key

__all__ = ["KeyIndex", "KeyRecord", "KeyRing", "evolve", "key_projection"]

MALFORMED = "the API key is malformed (mistyped or truncated?)"
UNKNOWN = "invalid API key"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    org_id: str
    key_id: str
    team_id: str
    app_id: str
    role: int  # an auth_pb2.Role value
    allowed_models: tuple[str, ...]  # empty: every model
    revoked: bool = False

    def allows(self, model: str) -> bool:
        return not self.allowed_models or model in self.allowed_models


@dataclass(frozen=True, slots=True)
class KeyIndex:
    """Maps are never mutated: the fold builds new ones, so an old state stays valid."""

    by_hash: Mapping[bytes, KeyRecord] = field(default_factory=dict)
    hash_by_key_id: Mapping[str, bytes] = field(default_factory=dict)


def evolve(state: KeyIndex, event: Event[Message]) -> KeyIndex:
    p = event.payload
    if isinstance(p, auth_pb2.KeyIssued):
        return _issued(state, p)
    if isinstance(p, auth_pb2.KeyRevoked):
        return _changed(state, p.key_id, revoked=True)
    if isinstance(p, auth_pb2.KeyRestricted):
        return _changed(state, p.key_id, allowed_models=tuple(p.allowed_models))
    return state


def _issued(state: KeyIndex, p: auth_pb2.KeyIssued) -> KeyIndex:
    record = KeyRecord(
        org_id=p.org_id,
        key_id=p.key_id,
        team_id=p.team_id,
        app_id=p.app_id,
        role=p.role,
        allowed_models=tuple(p.allowed_models),
    )
    digest = bytes(p.key_hash)
    return KeyIndex(
        by_hash={**state.by_hash, digest: record},
        hash_by_key_id={**state.hash_by_key_id, p.key_id: digest},
    )


def _changed(state: KeyIndex, key_id: str, **changes: object) -> KeyIndex:
    digest = state.hash_by_key_id.get(key_id)
    record = None if digest is None else state.by_hash.get(digest)
    if digest is None or record is None or record.revoked:
        return state
    updated = replace(record, **changes)  # type: ignore[arg-type]  # field names checked by replace
    return replace(state, by_hash={**state.by_hash, digest: updated})


class KeyRing:
    """Authenticates presented keys against a live index (read fresh on every call)."""

    def __init__(self, index: Callable[[], KeyIndex], secret: bytes) -> None:
        self._index = index
        self._secret = secret

    def authenticate(self, raw_key: str) -> KeyRecord:
        """The key's record; Unauthenticated for a malformed, unknown or revoked key."""
        parsed = parse_key(raw_key)
        if parsed is None:
            raise Unauthenticated(MALFORMED)
        record = self._index().by_hash.get(key_hash(parsed.key, self._secret))
        if record is None or record.revoked:
            raise Unauthenticated(UNKNOWN)
        return record


def key_projection(bus: Bus, secret: bytes) -> tuple[ProjectionRunner[KeyIndex], KeyRing]:
    """The AUTH projection runner (not started) and the ring that reads it."""
    runner = ProjectionRunner(bus, Projection(Stream.AUTH, evolve, Snapshot(KeyIndex(), 0)))
    return runner, KeyRing(lambda: runner.state, secret)
