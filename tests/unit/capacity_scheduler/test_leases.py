"""The lease book: what ingress replicas may admit of a reservation per window, in total
never more than its TPM, shared by demand, forgotten with the window, and nothing for the
window in progress after a restart."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hicap.capacity_scheduler.leases import MIN_CHUNK_TOKENS, LeaseBook, Want, window_of

R = "res-1"
TPM = 10_000


def book(started_window: int = 0) -> LeaseBook:
    return LeaseBook(started_window=started_window)


def ask(b: LeaseBook, replica: str, tokens: int, *, window: int = 5, used: int = 0) -> int:
    return b.grant(replica, Want(R, window, tokens, used), TPM, window).tokens


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.integers(0, 4_000),
            st.integers(0, 20_000),
            st.integers(5, 7),
        ),
        max_size=80,
    )
)
@settings(max_examples=300)
def test_grants_over_every_replica_never_exceed_the_tpm_of_a_window(
    asks: list[tuple[str, int, int, int]],
) -> None:
    b = book()
    given_out: dict[int, int] = {}
    now = 5
    for replica, tokens, used, window in asks:
        now = max(now, window - 1)  # time only moves on; a replica may prefetch the next
        grant = b.grant(replica, Want(R, window, tokens, used), TPM, now)
        given_out[window] = given_out.get(window, 0) + grant.tokens
        assert grant.tokens >= 0
        assert grant.remaining >= 0
    assert all(total <= TPM for total in given_out.values())


def test_a_lone_replica_gets_what_it_wants_up_to_the_tpm() -> None:
    b = book()
    assert ask(b, "a", 6_000) == 6_000
    assert ask(b, "a", 6_000) == 4_000
    assert ask(b, "a", 1) == 0


def test_a_grant_is_for_its_window_only() -> None:
    b = book()
    assert ask(b, "a", TPM, window=5) == TPM
    assert ask(b, "a", TPM, window=6) == TPM  # a new window, a new TPM
    assert b.grant("a", Want(R, 5, 100, 0), TPM, 7).tokens == 0  # the past is not granted
    assert b.grant("a", Want(R, 9, 100, 0), TPM, 7).tokens == 0  # nor the far future


def test_shares_split_by_demand_when_both_want_more_than_is_left() -> None:
    b = book()
    ask(b, "a", 300, window=4, used=7_500)  # last window: a admitted 3x what b did
    ask(b, "b", 300, window=4, used=2_500)
    a = ask(b, "a", TPM, used=0)
    bb = ask(b, "b", TPM, used=0)
    assert a + bb == TPM
    assert a == 7_500
    assert bb == 2_500


def test_a_replica_that_has_used_nothing_still_gets_a_chunk() -> None:
    b = book()
    ask(b, "a", 300, window=4, used=TPM)
    ask(b, "b", 0, window=4, used=0)  # b asked last window and has admitted nothing
    held_back = TPM * MIN_CHUNK_TOKENS // (TPM + MIN_CHUNK_TOKENS)
    assert ask(b, "a", TPM, used=TPM) == TPM - held_back
    assert ask(b, "b", 5_000) == held_back


def test_a_newcomer_gets_a_chunk_while_anything_is_left() -> None:
    b = book()
    ask(b, "a", 300, window=4, used=TPM)
    assert ask(b, "a", TPM - 100, used=TPM) == TPM - 100
    assert ask(b, "b", 5_000) == 100


def test_a_silent_replica_loses_its_share_at_the_end_of_the_window() -> None:
    b = book()
    ask(b, "a", 300, window=4, used=5_000)
    ask(b, "b", 300, window=4, used=5_000)
    assert ask(b, "a", TPM, window=5, used=5_000) == TPM // 2  # b's half held back in 5
    # b says nothing in window 5; in 6 its share is a's.
    assert ask(b, "a", TPM, window=6, used=5_000) == TPM


def test_a_reservation_that_is_not_serving_grants_nothing() -> None:
    b = book()
    assert b.grant("a", Want(R, 5, 100, 0), 0, 5).tokens == 0


def test_after_a_restart_the_window_in_progress_waits_out_the_grace_then_grants_what_is_not_held() -> (
    None
):
    started_s = 5 * 60.0 + 30
    restarted = LeaseBook(started_window=window_of(started_s, 60.0), grace_until_s=started_s + 3)
    # During the grace: nothing of the window in progress; the replicas report their holdings.
    during = restarted.grant("a", Want(R, 5, 1_000, 4_000, held=4_000), TPM, 5, started_s)
    assert during.tokens == 0
    assert during.remaining == TPM - 4_000  # not used up: the replica is to ask again
    assert (
        restarted.grant("b", Want(R, 5, 1_000, 3_000, held=3_000), TPM, 5, started_s + 1).tokens
        == 0
    )
    # The next window (a prefetch) is answered at once.
    assert restarted.grant("a", Want(R, 6, 1_000, 0), TPM, 5, started_s + 1).tokens == 1_000
    # After the grace: what the replicas held before the restart is not granted again.
    a = restarted.grant("a", Want(R, 5, TPM, 4_000, held=4_000), TPM, 5, started_s + 3)
    b = restarted.grant("b", Want(R, 5, TPM, 3_000, held=3_000), TPM, 5, started_s + 3)
    assert a.tokens > 0 and b.tokens > 0  # shared by demand, as ever
    assert a.tokens + b.tokens == TPM - 7_000 and b.remaining == 0
    assert restarted.granted(R, 5) == TPM


def test_a_book_without_a_grace_never_grants_the_window_it_started_in() -> None:
    restarted = book(started_window=window_of(5 * 60.0 + 30, 60.0))  # in window 5
    assert restarted.grant("a", Want(R, 5, 1_000, 0), TPM, 5).tokens == 0
    assert restarted.grant("a", Want(R, 6, 1_000, 0), TPM, 5).tokens == 1_000  # prefetch
    assert restarted.grant("a", Want(R, 6, 1_000, 0), TPM, 6).tokens == 1_000


def test_windows_before_the_previous_one_are_forgotten() -> None:
    b = book()
    ask(b, "a", 1_000, window=5)
    b.grant("a", Want(R, 8, 1, 0), TPM, 8)
    assert b.granted(R, 5) == 0
    assert b.granted(R, 8) == 1
