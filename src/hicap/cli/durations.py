"""Durations as operators type and read them: "30s", "10m", "2h", "7d", "1h30m".

`parse_duration` turns a flag value (`hicap events tail --since 10m`) into a timedelta;
`format_duration` turns seconds (an uptime) into the same notation, rounded to its two
largest units. Pure: imports only the standard library.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["InvalidDuration", "format_duration", "parse_duration"]

_UNITS_S = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
# Units in descending order, each at most once, optionally separated by spaces.
_PATTERN = re.compile(r"\s*".join(rf"(?:(?P<{unit}>\d+){unit})?" for unit, _ in _UNITS_S))
_HELP = "use whole numbers with units d, h, m, s, largest first: 30s, 10m, 2h, 7d, 1h30m"


class InvalidDuration(ValueError):
    """Text that is not a duration; the message says what would be."""


def parse_duration(text: str) -> timedelta:
    """`"1h30m"` -> `timedelta(hours=1, minutes=30)`; raises InvalidDuration."""
    match = _PATTERN.fullmatch(text.strip().lower())
    if match is None or not any(match.groupdict().values()):
        raise InvalidDuration(f"invalid duration {text!r}: {_HELP}")
    seconds = sum(int(match[unit] or 0) * size for unit, size in _UNITS_S)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise InvalidDuration(f"duration {text!r} is too long") from None


def format_duration(seconds: float) -> str:
    """`5400` -> `"1h 30m"`; the two largest non-zero units, truncated to whole seconds."""
    remaining = max(0, int(seconds))
    parts: list[str] = []
    for unit, size in _UNITS_S:
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if not part.startswith("0")) or "0s"
