"""Identifiers: UUIDv7 (RFC 9562), time-ordered so event ids sort by creation.

Time and randomness come in as arguments, so the domain and workflows stay deterministic.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

IdFactory = Callable[[], str]


def uuid7(unix_ms: int | None = None, rand: bytes | None = None) -> str:
    """A UUIDv7: 48 bits of Unix milliseconds, version 7, 74 random bits, variant 10."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    tail = int.from_bytes(rand if rand is not None else os.urandom(10), "big") & ((1 << 74) - 1)
    rand_a, rand_b = tail >> 62, tail & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def uuid7_ms(event_id: str) -> int:
    """The Unix milliseconds a UUIDv7 was made at."""
    return uuid.UUID(event_id).int >> 80
