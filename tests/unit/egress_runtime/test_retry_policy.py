"""When provider-egress retries an upstream call, and how long it waits first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hicap.errors import HicapError, InvalidRequest, RateLimited, Unauthenticated, UpstreamFailed
from hicap.provider_egress.retry import RetryPolicy, backoff_s, next_target, retry_delay_s

POLICY = RetryPolicy(max_attempts=4, backoff_s=0.25, max_backoff_s=2.0)


def delay(
    err: HicapError, attempt: int = 1, *, same: bool = True, left: float | None = None
) -> float | None:
    return retry_delay_s(POLICY, attempt, err, same_target=same, remaining_s=left, jitter=1.0)


def test_backoff_doubles_per_attempt_up_to_the_cap() -> None:
    waits = [backoff_s(POLICY, attempt, jitter=1.0) for attempt in range(1, 6)]
    assert waits == pytest.approx([0.25, 0.5, 1.0, 2.0, 2.0])


@given(st.integers(1, 20), st.floats(0, 1, exclude_max=True))
def test_jitter_keeps_backoff_between_half_and_full(attempt: int, jitter: float) -> None:
    full = backoff_s(POLICY, attempt, 1.0)
    assert full / 2 <= backoff_s(POLICY, attempt, jitter) <= full


def test_server_error_is_retried_after_backoff() -> None:
    assert delay(UpstreamFailed("boom")) == pytest.approx(0.25)


def test_retry_after_is_honoured_on_the_same_target() -> None:
    assert delay(RateLimited("slow down", retry_after_s=1.5)) == 1.5


def test_failover_to_another_target_goes_at_once() -> None:
    assert delay(RateLimited("slow down", retry_after_s=30), same=False) == 0.0


def test_retry_after_beyond_the_deadline_surfaces_the_429() -> None:
    assert delay(RateLimited("slow down", retry_after_s=5), left=2.0) is None


def test_backoff_beyond_the_deadline_ends_retrying() -> None:
    assert delay(UpstreamFailed("boom"), left=0.1) is None


@pytest.mark.parametrize("err", [InvalidRequest("bad"), Unauthenticated("who")])
def test_client_errors_are_never_retried(err: HicapError) -> None:
    assert delay(err) is None


def test_no_retry_once_attempts_are_used_up() -> None:
    assert delay(UpstreamFailed("boom"), attempt=4) is None
    assert delay(UpstreamFailed("boom"), attempt=3) is not None


def test_targets_are_tried_round_robin() -> None:
    assert [next_target(a, 2) for a in range(1, 6)] == [0, 1, 0, 1, 0]
    assert [next_target(a, 1) for a in range(1, 4)] == [0, 0, 0]
