"""Durations typed on the command line (`--since 1h30m`) and shown in `hicap status`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hicap.cli.durations import InvalidDuration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 10M ", timedelta(minutes=10)),
        ("0s", timedelta(0)),
        ("90m", timedelta(minutes=90)),
    ],
)
def test_parses_durations_operators_type(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "10", "m", "10x", "-5m", "1.5h", "30m1h", "1h1h", "1 0m", "10 minutes"]
)
def test_refuses_what_is_not_a_duration_and_says_what_is(text: str) -> None:
    with pytest.raises(InvalidDuration, match=r"e\.g\.|use whole numbers"):
        parse_duration(text)


def test_refuses_a_duration_too_long_to_represent() -> None:
    with pytest.raises(InvalidDuration, match="too long"):
        parse_duration("99999999999999d")


@given(
    days=st.integers(0, 10_000),
    hours=st.integers(0, 1_000),
    minutes=st.integers(0, 1_000),
    seconds=st.integers(0, 1_000),
)
def test_every_unit_combination_adds_up(days: int, hours: int, minutes: int, seconds: int) -> None:
    text = f"{days}d{hours}h{minutes}m{seconds}s"
    assert parse_duration(text) == timedelta(
        days=days, hours=hours, minutes=minutes, seconds=seconds
    )


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (0.7, "0s"),
        (-3, "0s"),
        (42, "42s"),
        (65, "1m 5s"),
        (3_600, "1h"),
        (5_400, "1h 30m"),
        (5_405, "1h 30m"),
        (86_400 * 3 + 3_600 * 4 + 59, "3d 4h"),
        (86_400 * 2 + 60, "2d"),
    ],
)
def test_formats_uptimes_with_their_two_largest_units(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


@given(st.integers(0, 10**9))
def test_a_formatted_duration_parses_back_to_at_most_what_it_was(seconds: int) -> None:
    shown = parse_duration(format_duration(seconds))
    assert shown <= timedelta(seconds=seconds)
    assert timedelta(seconds=seconds) - shown < timedelta(seconds=max(1, seconds // 20 + 1))
