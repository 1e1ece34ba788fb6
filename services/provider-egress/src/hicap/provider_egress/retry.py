"""When to try an upstream call again, and after how long: pure functions of the attempt
count, the error, the time left and a jitter draw.

A retry happens only for a retryable error (429, 5xx/529, connection errors, timeouts),
only while attempts remain, and only if its wait fits in the caller's deadline. A retry on
the same target waits the exponential backoff (doubling from `backoff_s`, scaled by a
jitter in [0.5, 1]) or the provider's Retry-After when it gave one; a failover to another
target goes at once. A Retry-After longer than the time left ends the retrying: the
caller gets the 429 itself. Imports only hicap.errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from hicap.errors import HicapError

__all__ = ["RetryPolicy", "backoff_s", "next_target", "retry_delay_s"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_s: float = 0.25
    max_backoff_s: float = 10.0


def backoff_s(policy: RetryPolicy, attempt: int, jitter: float) -> float:
    """The wait after failed attempt `attempt` (1-based); `jitter` is a draw in [0, 1)."""
    base = min(policy.max_backoff_s, policy.backoff_s * 2.0 ** max(0, attempt - 1))
    return base * (0.5 + jitter / 2)


def retry_delay_s(
    policy: RetryPolicy,
    attempt: int,
    err: HicapError,
    *,
    same_target: bool,
    remaining_s: float | None,
    jitter: float,
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`; None: stop and raise `err`.

    `remaining_s` is what is left of the caller's deadline (None: no deadline)."""
    if not err.retryable or attempt >= policy.max_attempts:
        return None
    if not same_target:
        delay = 0.0
    elif err.retry_after_s is not None:
        delay = max(0.0, err.retry_after_s)
    else:
        delay = backoff_s(policy, attempt, jitter)
    if remaining_s is not None and delay >= remaining_s:
        return None
    return delay


def next_target(attempt: int, targets: int) -> int:
    """Round robin: attempt 1 goes to target 0, attempt 2 to target 1, ..."""
    return (attempt - 1) % targets
