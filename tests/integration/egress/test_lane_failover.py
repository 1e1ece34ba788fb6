"""Egress serves a call lane by lane: the targets of one lane fail over among themselves,
the next lane starts only when every target of the one before refused (429, 5xx), at
once (a reserved deployment's Retry-After is never waited out while on-demand follows),
never on another 4xx, and the head names the lane of the target that answered."""

from __future__ import annotations

import time

import pytest

from hicap.errors import UpstreamFailed
from hicap.events.v1 import egress_pb2
from hicap.provider_egress.http1 import HttpPool
from tests.integration.egress.conftest import wire_for
from tests.integration.egress.harness import PROFILES, Egress, openai_body


def laned(
    egress: Egress, lanes: list[tuple[str, str]], *, stream: bool = False
) -> egress_pb2.EgressCall:
    """A call whose targets are (role, lane) pairs, in this order."""
    call = egress.call([role for role, _ in lanes], openai_body(stream=stream))
    for target, (_, lane) in zip(call.targets, lanes, strict=True):
        target.lane = lane
    return call


@pytest.fixture
def egress(pool: HttpPool, sim_url: str) -> Egress:
    """One adapter is enough: the lane rules are the runtime's, not an adapter's."""
    profile = PROFILES[0]
    return Egress(pool, sim_url, profile, wire_for(profile))


async def test_a_reserved_deployment_answering_serves_the_reserved_lane(egress: Egress) -> None:
    answer = await egress.run(laned(egress, [("ok", "reserved"), ("ok2", "on-demand")]))
    assert (answer.head.deployment, answer.head.lane) == (egress.dep("ok"), "reserved")


async def test_a_429_on_the_reserved_lane_goes_on_demand_at_once(egress: Egress) -> None:
    await egress.run(laned(egress, [("limited-lane", "reserved")]))  # its one call a window
    started = time.monotonic()
    answer = await egress.run(
        laned(egress, [("limited-lane", "reserved"), ("ok2", "on-demand")], stream=True)
    )
    assert (answer.head.deployment, answer.head.lane) == (egress.dep("ok2"), "on-demand")
    assert answer.head.attempts == 2
    assert time.monotonic() - started < 1.0  # the 30 s Retry-After was not waited out


async def test_every_target_of_a_lane_is_tried_before_the_next_lane(egress: Egress) -> None:
    answer = await egress.run(
        laned(
            egress,
            [("faulty", "reserved"), ("overloaded", "reserved"), ("ok2", "on-demand")],
        )
    )
    assert (answer.head.deployment, answer.head.lane) == (egress.dep("ok2"), "on-demand")
    assert answer.head.attempts == 3


async def test_a_reserved_target_that_recovers_keeps_the_call_in_its_lane(egress: Egress) -> None:
    answer = await egress.run(
        laned(egress, [("faulty", "reserved"), ("ok", "reserved"), ("ok2", "on-demand")])
    )
    assert (answer.head.deployment, answer.head.lane) == (egress.dep("ok"), "reserved")


async def test_a_client_error_never_fails_over_to_the_next_lane(egress: Egress) -> None:
    with pytest.raises(UpstreamFailed):  # the deployment's key refused: the operator's to fix
        await egress.run(laned(egress, [("badkey", "reserved"), ("ok2", "on-demand")]))
