"""The API key format: new keys parse, a mistyped key is refused by its checksum before any
lookup, and no input whatsoever makes the parser raise."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from hicap.events.apikeys import (
    ALPHABET,
    BODY_CHARS,
    CHECKSUM_CHARS,
    PREFIX,
    display_prefix,
    generate_key,
    key_hash,
    parse_key,
)

seeds = st.integers(0, 2**64)


def key_from(seed: int) -> str:
    return generate_key(random.Random(seed).randbytes)


@given(seeds)
def test_a_generated_key_parses_and_has_the_documented_shape(seed: int) -> None:
    key = key_from(seed)
    assert key.startswith(PREFIX)
    assert len(key) == len(PREFIX) + BODY_CHARS + CHECKSUM_CHARS
    assert set(key[len(PREFIX) :]) <= set(ALPHABET)
    parsed = parse_key(key)
    assert parsed is not None and parsed.key == key


@given(seeds, st.data())
def test_any_single_character_change_is_refused(seed: int, data: st.DataObject) -> None:
    key = key_from(seed)
    i = data.draw(st.integers(0, len(key) - 1))
    chars = st.one_of(st.sampled_from(ALPHABET), st.characters())
    replacement = data.draw(chars.filter(lambda c: c != key[i]))
    assert parse_key(key[:i] + replacement + key[i + 1 :]) is None


@given(seeds, st.data())
def test_a_dropped_or_added_character_is_refused(seed: int, data: st.DataObject) -> None:
    key = key_from(seed)
    i = data.draw(st.integers(0, len(key) - 1))
    assert parse_key(key[:i] + key[i + 1 :]) is None
    assert parse_key(key[:i] + data.draw(st.sampled_from(ALPHABET)) + key[i:]) is None


@given(st.one_of(st.text(), st.binary(), st.integers(), st.none()))
def test_arbitrary_input_never_raises(value: object) -> None:
    assert parse_key(value) is None or isinstance(value, str)


def test_huge_and_non_ascii_inputs_are_refused() -> None:
    key = key_from(1)
    assert parse_key(key * 100_000) is None
    assert parse_key(PREFIX + "é" * (len(key) - len(PREFIX))) is None
    assert parse_key(key[:-1] + "\ud800") is None  # a lone surrogate
    assert parse_key(key.replace("hk_live_", "hk_test_")) is None
    assert parse_key(" " + key) is None


def test_the_hash_is_keyed_and_the_prefix_shows_only_the_start() -> None:
    key = key_from(2)
    assert key_hash(key, b"a") == key_hash(key, b"a")
    assert key_hash(key, b"a") != key_hash(key, b"b")
    assert len(key_hash(key, b"a")) == 32
    assert display_prefix(key) == key[:12] and key not in repr(parse_key(key))


def test_generation_uses_every_character_uniformly_enough() -> None:
    rng = random.Random(7)
    counts = {c: 0 for c in ALPHABET}
    for _ in range(2000):
        for c in generate_key(rng.randbytes)[len(PREFIX) : -CHECKSUM_CHARS]:
            counts[c] += 1
    expected = 2000 * BODY_CHARS / len(ALPHABET)
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values())
