"""Admission from memory: the lane of a call, what it charges to the reservation's window,
what settling gives back, the 429 past a reservation without overflow (Retry-After to the
next window), the estimate from the body, and what the lease client asks for."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hicap.catalog import Allocation, Reservation, Reservations
from hicap.catalog.reservations import ACTIVE, REQUESTED
from hicap.errors import RateLimited
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.ingress.admission import Admission, estimate_tokens
from hicap.ingress.body import parse_head
from hicap.ingress.lease_client import LeaseClient

WINDOW_S = 10.0
ORG, MODEL = "org-1", "gpt-5.4"
RESERVATION = Reservation(
    id="res-1",
    org_id=ORG,
    model=MODEL,
    tpm=10_000,
    months=1,
    auto_renew=True,
    overflow=True,
    allocations=(Allocation("gpt-reserved", 10_000),),
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    status=ACTIVE,
)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:  # window 100 starts at 1000 s
        self.now = now

    def __call__(self) -> float:
        return self.now


def admission(r: Reservation = RESERVATION, clock: Clock | None = None) -> Admission:
    state = Reservations({r.id: r})
    return Admission(
        lambda: state, window_s=WINDOW_S, allowance_tokens=1024, clock=clock or Clock()
    )


def lease(a: Admission, tokens: int, *, window: int = 100, remaining: int = 1) -> None:
    a.admit(ORG, MODEL, 0)  # the account exists once a call was seen
    a.apply(
        [cmd.LeaseGrant(reservation_id="res-1", window=window, tokens=tokens, remaining=remaining)]
    )


def test_a_call_with_its_own_provider_key_is_byok() -> None:
    ticket = admission().admit(ORG, MODEL, 100, byok=True)
    assert ticket is not None and ticket.lane == "byok"


def test_without_a_reservation_a_call_is_on_demand() -> None:
    ticket = admission().admit("another-org", MODEL, 100)
    assert ticket is not None and ticket.lane == "on-demand"


def test_a_reservation_not_yet_serving_admits_on_demand() -> None:
    ticket = admission(replace(RESERVATION, status=REQUESTED)).admit(ORG, MODEL, 100)
    assert ticket is not None and ticket.lane == "on-demand"


def test_a_call_within_the_leased_balance_is_reserved_and_charged() -> None:
    a = admission()
    lease(a, 1_000)
    ticket = a.admit(ORG, MODEL, 400)
    assert ticket is not None and ticket.lane == "reserved" and ticket.charged == 400
    assert a.balance("res-1") == 600


def test_settling_gives_back_what_the_estimate_overcharged() -> None:
    a = admission()
    lease(a, 1_000)
    ticket = a.admit(ORG, MODEL, 400)
    assert ticket is not None
    a.settle(ticket, 150, "reserved")
    assert a.balance("res-1") == 850


def test_settling_takes_what_the_estimate_undercharged() -> None:
    a = admission()
    lease(a, 1_000)
    ticket = a.admit(ORG, MODEL, 400)
    assert ticket is not None
    a.settle(ticket, 700, "reserved")
    assert a.balance("res-1") == 300


def test_a_reserved_call_served_on_demand_is_refunded_whole() -> None:
    a = admission()
    lease(a, 1_000)
    ticket = a.admit(ORG, MODEL, 400)
    assert ticket is not None
    a.settle(ticket, 390, "on-demand")
    assert a.balance("res-1") == 1_000


def test_past_the_balance_a_call_overflows_on_demand() -> None:
    a = admission()
    lease(a, 300)
    ticket = a.admit(ORG, MODEL, 400)
    assert ticket is not None and ticket.lane == "on-demand"
    assert a.refill.is_set()  # the lease client is asked for more, without awaiting


def test_a_new_window_starts_without_last_windows_balance() -> None:
    clock = Clock()
    a = admission(clock=clock)
    lease(a, 1_000)
    clock.now += WINDOW_S
    ticket = a.admit(ORG, MODEL, 400)
    assert ticket is not None and ticket.lane == "on-demand"


async def test_without_overflow_the_call_past_the_reservation_is_429_until_the_next_window() -> (
    None
):
    clock = Clock(1003.5)
    a = admission(replace(RESERVATION, overflow=False), clock)
    a.wait_s = 0.01
    lease(a, 300, remaining=0)  # the scheduler has nothing more this window
    assert a.admit(ORG, MODEL, 400) is None
    with pytest.raises(RateLimited) as refused:
        await a.wait_for_room(ORG, MODEL, 400)
    assert refused.value.retry_after_s == pytest.approx(6.5)


async def test_without_overflow_a_refill_within_the_wait_admits_the_call() -> None:
    a = admission(replace(RESERVATION, overflow=False))
    lease(a, 300)
    assert a.admit(ORG, MODEL, 400) is None
    waiting = asyncio.create_task(a.wait_for_room(ORG, MODEL, 400))
    await asyncio.sleep(0)
    a.apply([cmd.LeaseGrant(reservation_id="res-1", window=100, tokens=500, remaining=1)])
    ticket = await waiting
    assert ticket.lane == "reserved"
    assert a.balance("res-1") == 400


def test_the_estimate_is_the_body_over_four_bytes_plus_the_output_limit() -> None:
    assert estimate_tokens(401, 100, 1024) == 101 + 100
    assert estimate_tokens(400, None, 1024) == 100 + 1024


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        (b'{"model":"m","max_tokens":300}', 300),
        (b'{"model":"m","max_completion_tokens":200,"max_tokens":300}', 200),
        (b'{"model":"m"}', None),
        (b'{"model":"m","max_tokens":"lots"}', None),
        (b'{"model":"m","max_tokens":true}', None),
    ],
)
def test_the_output_limit_is_read_from_the_body(body: bytes, limit: int | None) -> None:
    assert parse_head(body).max_output_tokens == limit


def test_the_lease_client_asks_for_the_window_in_progress_and_near_its_end_the_next() -> None:
    clock = Clock(1001.0)
    a = admission(clock=clock)
    a.admit(ORG, MODEL, 500)  # spilled: demand without a lease
    wants = a.wants(clock.now, horizon_s=2.0, prefetch_s=1.0)
    assert [(w.window, w.used) for w in wants] == [(100, 500)]
    assert wants[0].tokens >= 500  # two seconds of this demand's pace, at least a chunk
    near_end = a.wants(1009.5, horizon_s=2.0, prefetch_s=1.0)
    assert [w.window for w in near_end] == [100, 101]


def test_a_window_the_scheduler_has_nothing_left_in_is_not_asked_again() -> None:
    a = admission()
    lease(a, 0, remaining=0)
    a.admit(ORG, MODEL, 500)
    assert a.wants(1001.0, horizon_s=2.0, prefetch_s=1.0) == []


async def test_a_lease_round_adds_the_grants_to_the_balance() -> None:
    clock = Clock(1001.0)
    a = admission(clock=clock)
    a.admit(ORG, MODEL, 500)
    asked: list[cmd.LeaseRequest] = []

    async def scheduler(req: cmd.LeaseRequest) -> cmd.LeaseReply:
        asked.append(req)
        return cmd.LeaseReply(
            grants=[
                cmd.LeaseGrant(reservation_id=w.reservation_id, window=w.window, tokens=w.tokens)
                for w in req.wants
            ]
        )

    client = LeaseClient(a, scheduler, replica="r1", interval_s=1.0, clock=clock)
    await client.round()
    assert asked[0].replica == "r1"
    assert a.balance("res-1") == asked[0].wants[0].tokens
    ticket = a.admit(ORG, MODEL, 500)
    assert ticket is not None and ticket.lane == "reserved"


async def test_a_window_the_scheduler_grants_nothing_of_yet_is_asked_again() -> None:
    """The scheduler's restart grace answers 0 tokens with what remains: the window is not
    used up, so the next round asks again and calls ride the reservation once granted (a
    grant with nothing remaining, by contrast, ends the asking for that window)."""
    clock = Clock(1001.0)
    a = admission(clock=clock)
    a.admit(ORG, MODEL, 500)  # demand, before any lease: it spills to on-demand
    in_grace = True

    async def scheduler(req: cmd.LeaseRequest) -> cmd.LeaseReply:
        return cmd.LeaseReply(
            grants=[
                cmd.LeaseGrant(
                    reservation_id=w.reservation_id,
                    window=w.window,
                    tokens=0 if in_grace else w.tokens,
                    remaining=10_000 if in_grace else 0,
                )
                for w in req.wants
            ]
        )

    client = LeaseClient(a, scheduler, replica="r1", interval_s=1.0, clock=clock)
    await client.round()
    assert a.balance("res-1") == 0
    ticket = a.admit(ORG, MODEL, 500)
    assert ticket is not None and ticket.lane == "on-demand"
    wanted = a.wants(clock(), horizon_s=2.0, prefetch_s=1.0)
    assert [w.window for w in wanted] == [100]  # still wanted: not taken for used up
    in_grace = False
    await client.round()
    assert a.balance("res-1") > 0
    ticket = a.admit(ORG, MODEL, 500)
    assert ticket is not None and ticket.lane == "reserved"
    a.settle(ticket, 500, "reserved")
    assert a.wants(clock(), horizon_s=2.0, prefetch_s=1.0) == []  # remaining 0: used up
