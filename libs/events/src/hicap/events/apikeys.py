"""The API key format shared by auth, which issues keys, and ingress, which checks them.

A key is `hk_live_` + 32 random base62 characters + a 6-character base62 CRC-32 of what
precedes it, so a mistyped key (any one character changed) is refused by `parse_key`
before any lookup. Only `key_hash` (HMAC-SHA256 under the platform's secret) and
`display_prefix` are ever stored; the full key is shown once. Pure, stdlib only: imports
nothing of Hicap.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

PREFIX = "hk_live_"
BODY_CHARS = 32
"""Random characters a new key carries (62^32 is about 190 bits)."""
MIN_BODY_CHARS, MAX_BODY_CHARS = 30, 64
"""What `parse_key` accepts, so a later change of `BODY_CHARS` keeps old keys valid."""
CHECKSUM_CHARS = 6  # 62^6 > 2^32: a CRC-32 always fits
DISPLAY_PREFIX_CHARS = 12
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MIN_KEY_CHARS = len(PREFIX) + MIN_BODY_CHARS + CHECKSUM_CHARS
MAX_KEY_CHARS = len(PREFIX) + MAX_BODY_CHARS + CHECKSUM_CHARS
# Bytes >= 248 are rejected so `b % 62` stays uniform (248 = 4 * 62).
_UNIFORM_LIMIT = 256 - 256 % len(ALPHABET)


@dataclass(frozen=True, slots=True)
class ParsedKey:
    """A presented key that has the right format and checksum (not yet found to exist)."""

    key: str = field(repr=False)  # a secret: never in a repr, a log or an error

    @property
    def display_prefix(self) -> str:
        return display_prefix(self.key)

    def hash(self, secret: bytes) -> bytes:
        return key_hash(self.key, secret)


def generate_key(rand: Callable[[int], bytes] = os.urandom) -> str:
    """A new key from `rand` (n -> n random bytes), uniform over base62."""
    chars: list[str] = []
    while len(chars) < BODY_CHARS:
        for byte in rand(BODY_CHARS):
            if byte < _UNIFORM_LIMIT and len(chars) < BODY_CHARS:
                chars.append(ALPHABET[byte % len(ALPHABET)])
    head = PREFIX + "".join(chars)
    return head + _checksum(head)


def parse_key(presented: object) -> ParsedKey | None:
    """The key if `presented` has a key's format and a correct checksum, else None.

    Never raises, whatever it is given; the length is checked first, so a huge value costs
    nothing, and the checksum is compared in constant time.
    """
    if not isinstance(presented, str):
        return None
    if not MIN_KEY_CHARS <= len(presented) <= MAX_KEY_CHARS:
        return None
    if not presented.startswith(PREFIX):
        return None
    rest = presented[len(PREFIX) :]
    # isascii() and isalnum() together are exactly [0-9A-Za-z].
    if not (rest.isascii() and rest.isalnum()):
        return None
    head, check = presented[:-CHECKSUM_CHARS], presented[-CHECKSUM_CHARS:]
    if not hmac.compare_digest(_checksum(head), check):
        return None
    return ParsedKey(presented)


def key_hash(key: str, secret: bytes) -> bytes:
    """HMAC-SHA256 of the key under the platform's key-hash secret: what is stored."""
    return hmac.new(secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def display_prefix(key: str) -> str:
    """The part of a key that is safe to show, e.g. `hk_live_3fA9`."""
    return key[:DISPLAY_PREFIX_CHARS]


def _checksum(head: str) -> str:
    value = zlib.crc32(head.encode("ascii"))
    out = []
    for _ in range(CHECKSUM_CHARS):
        value, digit = divmod(value, len(ALPHABET))
        out.append(ALPHABET[digit])
    return "".join(reversed(out))
