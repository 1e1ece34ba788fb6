"""Targets come grouped by lane in failover order; egress fails over within a group and
moves to the next group only when the whole group refused."""

from __future__ import annotations

from collections.abc import Sequence

from hicap.provider_egress.targets import Route
from hicap.provider_egress.upstream import lane_groups
from hicap.provider_egress.wire.base import ProviderKind
from hicap.provider_egress.wire.registry import adapter_for

ADAPTER = adapter_for(ProviderKind.OPENAI)


def route(name: str, lane: str) -> Route:
    return Route(name, ADAPTER, "http://x", "m", "k", lane=lane)


def names(groups: Sequence[Sequence[Route]]) -> list[list[tuple[str, str]]]:
    return [[(r.deployment, r.lane) for r in g] for g in groups]


def test_consecutive_targets_of_a_lane_form_one_group_in_order() -> None:
    routes = [route("r1", "reserved"), route("r2", "reserved"), route("o1", "on-demand")]
    assert names(lane_groups(routes)) == [
        [("r1", "reserved"), ("r2", "reserved")],
        [("o1", "on-demand")],
    ]


def test_targets_without_a_lane_are_one_group_as_before() -> None:
    routes = [route("a", ""), route("b", "")]
    assert names(lane_groups(routes)) == [[("a", ""), ("b", "")]]
