"""The trailer's hashes: an end user salted by org, a route by its system prompt; never
the values themselves."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from hicap.provider_egress.fingerprints import (
    end_user_hash,
    fingerprints_of,
    route_fingerprint,
    system_prompt,
)
from hicap.provider_egress.ir import ChatRequest, Message, TextPart


def chat(*messages: Message, user: str = "") -> ChatRequest:
    return ChatRequest(model="m", messages=messages, user=user)


def msg(role: str, *texts: str) -> Message:
    return Message(role=role, content=tuple(TextPart(t) for t in texts))  # type: ignore[arg-type]  # a Role literal


def test_the_end_user_hash_is_sha256_of_org_nul_user_cut_to_16_hex() -> None:
    expected = hashlib.sha256(b"org_1\0alice").hexdigest()[:16]
    assert end_user_hash("org_1", "alice") == expected


@given(st.text(min_size=1), st.text(), st.text())
def test_the_same_user_in_two_orgs_never_hashes_alike(user: str, org_a: str, org_b: str) -> None:
    if org_a != org_b:
        assert end_user_hash(org_a, user) != end_user_hash(org_b, user)


@given(st.text(), st.text(min_size=1))
def test_a_hash_never_contains_the_value(org: str, user: str) -> None:
    digest = end_user_hash(org, user)
    assert len(digest) == 16 and all(c in "0123456789abcdef" for c in digest)


def test_no_user_and_no_system_prompt_hash_to_empty() -> None:
    assert end_user_hash("org_1", "") == ""
    assert route_fingerprint("") == ""
    tags = fingerprints_of("org_1", chat(msg("user", "hi")))
    assert (tags.end_user_hash, tags.route_fingerprint) == ("", "")


def test_the_route_is_the_hash_of_every_system_text_concatenated_in_order() -> None:
    request = chat(
        msg("system", "You are ", "terse."),
        msg("user", "hi"),
        msg("system", " Answer in French."),
        user="u-42",
    )
    assert system_prompt(request) == "You are terse. Answer in French."
    tags = fingerprints_of("org_9", request)
    assert (
        tags.route_fingerprint
        == (hashlib.sha256(b"You are terse. Answer in French.").hexdigest()[:16])
    )
    assert tags.end_user_hash == end_user_hash("org_9", "u-42")


def test_user_messages_do_not_change_the_route() -> None:
    a = fingerprints_of("o", chat(msg("system", "S"), msg("user", "one")))
    b = fingerprints_of("o", chat(msg("system", "S"), msg("user", "two")))
    assert a.route_fingerprint == b.route_fingerprint != ""


def test_unpaired_surrogates_hash_without_raising() -> None:
    assert len(route_fingerprint("\ud800 odd")) == 16
