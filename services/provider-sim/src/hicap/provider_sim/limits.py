"""Per-deployment RPM/TPM limits over a sliding window, with an injected clock.

`RateLimiter.admit(name, deployment, tokens)` either records the request and returns the
remaining quota, or refuses it with the seconds until enough of the window has passed.
Tokens are the request's input plus output tokens (the sim knows its answer up front).
Pure apart from its own in-memory window; imports no web code.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from hicap.provider_sim.config import Deployment

__all__ = ["LimitKind", "Quota", "RateLimited", "RateLimiter"]


class LimitKind(StrEnum):
    REQUESTS = "requests"
    TOKENS = "tokens"


@dataclass(frozen=True)
class Quota:
    """What is left after a request; limits of 0 are unlimited and not reported."""

    rpm: int
    tpm: int
    requests_remaining: int
    tokens_remaining: int
    requests_reset_s: float
    tokens_reset_s: float


class RateLimited(Exception):
    def __init__(self, kind: LimitKind, retry_after_s: float, quota: Quota) -> None:
        super().__init__(f"rate limit reached for {kind.value}")
        self.kind, self.retry_after_s, self.quota = kind, retry_after_s, quota

    @property
    def retry_after_whole_s(self) -> int:
        return max(1, math.ceil(self.retry_after_s))


@dataclass
class _Window:
    entries: deque[tuple[float, int]] = field(default_factory=deque)  # (at_s, tokens)
    tokens: int = 0  # the sum of the entries' tokens, kept as they come and go

    def prune(self, now_s: float, window_s: float) -> None:
        while self.entries and self.entries[0][0] <= now_s - window_s:
            self.tokens -= self.entries.popleft()[1]

    def add(self, at_s: float, tokens: int) -> None:
        self.entries.append((at_s, tokens))
        self.tokens += tokens


class RateLimiter:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def admit(self, name: str, deployment: Deployment, tokens: int) -> Quota | None:
        """Record the request and return the quota left, or raise RateLimited.
        Returns None for a deployment without limits."""
        if not deployment.rpm and not deployment.tpm:
            return None
        now = self._clock()
        window = self._windows.setdefault(name, _Window())
        window.prune(now, deployment.window_s)
        if deployment.rpm and len(window.entries) >= deployment.rpm:
            wait = window.entries[0][0] + deployment.window_s - now
            raise RateLimited(LimitKind.REQUESTS, wait, self._quota(window, deployment, now))
        if deployment.tpm and window.tokens + tokens > deployment.tpm:
            wait = self._token_wait(window, deployment, tokens, now)
            raise RateLimited(LimitKind.TOKENS, wait, self._quota(window, deployment, now))
        window.add(now, tokens)
        return self._quota(window, deployment, now)

    @staticmethod
    def _token_wait(window: _Window, deployment: Deployment, tokens: int, now: float) -> float:
        """Seconds until the window has room for `tokens` (a full window if it never will)."""
        used = window.tokens
        for at_s, spent in window.entries:
            used -= spent
            if used + tokens <= deployment.tpm:
                return at_s + deployment.window_s - now
        return deployment.window_s

    @staticmethod
    def _quota(window: _Window, deployment: Deployment, now: float) -> Quota:
        reset = window.entries[0][0] + deployment.window_s - now if window.entries else 0.0
        return Quota(
            rpm=deployment.rpm,
            tpm=deployment.tpm,
            requests_remaining=max(0, deployment.rpm - len(window.entries)),
            tokens_remaining=max(0, deployment.tpm - window.tokens),
            requests_reset_s=max(0.0, reset),
            tokens_reset_s=max(0.0, reset),
        )
