"""The envelope, the event table and subject matching."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hicap.events import (
    CATALOG,
    EGRESS_SUBJECT_PREFIX,
    Event,
    MalformedEvent,
    Stream,
    auth_pb2,
    decode,
    encode,
    new_event,
    spec_for_type,
    subject_matches,
    subjects_overlap,
    to_json_dict,
    usage_pb2,
    uuid7,
    uuid7_ms,
)
from hicap.events.v1 import envelope_pb2

token = st.text(alphabet="abcdefgh_0123456789", min_size=1, max_size=6)
subject = st.lists(token, min_size=1, max_size=5).map(".".join)
pattern_token = st.one_of(token, st.just("*"))
pattern = st.tuples(st.lists(pattern_token, min_size=1, max_size=4), st.booleans()).map(
    lambda t: ".".join(t[0] + ([">"] if t[1] else []))
)

texts = st.text(max_size=40)
events = st.one_of(
    st.builds(auth_pb2.OrgCreated, org_id=texts, name=texts),
    st.builds(
        auth_pb2.KeyIssued,
        org_id=texts,
        key_id=texts,
        key_hash=st.binary(max_size=32),
        allowed_models=st.lists(texts, max_size=3),
    ),
    st.builds(
        usage_pb2.UsageRecorded,
        request_id=texts,
        input_tokens=st.integers(0, 2**40),
        total_cost_micros=st.integers(0, 2**50),
        lane=st.sampled_from([1, 2, 3, 4]),
    ),
)


@given(
    payload=events,
    org=texts,
    when=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
)
def test_an_event_survives_encoding(payload, org: str, when: datetime) -> None:  # type: ignore[no-untyped-def]
    event = Event(
        payload, uuid7(), when, org, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    )
    assert decode(encode(event)) == event


def test_json_form_carries_envelope_and_payload() -> None:
    event = new_event(
        auth_pb2.TeamCreated(org_id="org_1", team_id="team_1", name="ml"), org_id="org_1"
    )
    as_json = to_json_dict(event)
    assert as_json["type"] == "hicap.events.v1.TeamCreated"
    assert as_json["subject"] == "hicap.auth.team_created.v1"
    assert as_json["payload"] == {"org_id": "org_1", "team_id": "team_1", "name": "ml"}
    assert str(as_json["occurred_at"]).endswith("Z")


def test_bytes_that_are_not_an_event_are_refused_with_a_clear_error() -> None:
    with pytest.raises(MalformedEvent):
        decode(b"\xff\xff not protobuf")
    unknown = envelope_pb2.Envelope(event_id="x", type="hicap.events.v9.Nope").SerializeToString()
    with pytest.raises(MalformedEvent, match=r"v9\.Nope"):
        decode(unknown)


def test_uuid7_is_time_ordered_and_carries_its_millisecond() -> None:
    ids = [uuid7(unix_ms=1_700_000_000_000 + i) for i in range(50)]
    assert ids == sorted(ids)
    assert uuid7_ms(ids[3]) == 1_700_000_000_003
    assert ids[0][14] == "7"  # version nibble


def test_every_stored_event_is_captured_by_its_own_stream_only() -> None:
    for spec in CATALOG:
        capturing = [s for s in Stream if any(subject_matches(p, spec.subject) for p in s.subjects)]
        assert capturing == ([spec.stream] if spec.stream else []), spec.subject


def test_no_stream_captures_the_hot_path() -> None:
    hot = f"{EGRESS_SUBJECT_PREFIX}.>"
    assert [s for s in Stream if any(subjects_overlap(p, hot) for p in s.subjects)] == []


def test_type_names_are_unique_and_resolvable() -> None:
    assert len({s.type_name for s in CATALOG}) == len(CATALOG)
    for spec in CATALOG:
        assert spec_for_type(spec.type_name) is spec
        assert spec.subject.endswith(".v1")


@given(subject, subject)
def test_a_literal_pattern_matches_only_itself(a: str, b: str) -> None:
    assert subject_matches(a, b) == (a == b)


@given(pattern, subject)
def test_overlap_agrees_with_matching_for_concrete_subjects(p: str, s: str) -> None:
    assert subjects_overlap(p, s) == subject_matches(p, s)


@given(pattern, pattern, subject)
def test_two_patterns_matching_one_subject_overlap(a: str, b: str, s: str) -> None:
    if subject_matches(a, s) and subject_matches(b, s):
        assert subjects_overlap(a, b)
