"""The targets of a call by its lane: reserved -> the reservation's deployments, then the
on-demand ones when it allows overflow; on-demand and BYOK -> on-demand deployments only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hicap.catalog import Allocation, Catalog, Deployment, Model, Reservation
from hicap.catalog.model import RESERVED
from hicap.catalog.reservations import ACTIVE
from hicap.errors import Unavailable
from hicap.ingress.admission import Ticket
from hicap.ingress.lanes import targets_for

R1 = Deployment("m-reserved-1", "openai", "https://x/v1", "gpt", "openai", kind=RESERVED)
R2 = Deployment("m-reserved-2", "openai", "https://x/v1", "gpt", "openai", kind=RESERVED)
OD = Deployment("m-on-demand", "openai", "https://x/v1", "gpt", "openai")
MODEL = Model("m", "openai", 1000, (R1, OD, R2), ())
CATALOG = Catalog.of([MODEL])
RESERVATION = Reservation(
    "res-1",
    "org-1",
    "m",
    1000,
    1,
    True,
    True,
    (Allocation("m-reserved-2", 600), Allocation("m-reserved-1", 400)),
    datetime(2026, 1, 1, tzinfo=UTC),
    status=ACTIVE,
)


def lanes_of(ticket: Ticket) -> list[tuple[str, str]]:
    return [(t.deployment, t.lane) for t in targets_for(CATALOG, MODEL, ticket)]


def test_reserved_goes_to_the_allocated_deployments_then_on_demand() -> None:
    assert lanes_of(Ticket("reserved", RESERVATION)) == [
        ("m-reserved-2", "reserved"),
        ("m-reserved-1", "reserved"),
        ("m-on-demand", "on-demand"),
    ]


def test_reserved_without_overflow_never_goes_on_demand() -> None:
    ticket = Ticket("reserved", replace(RESERVATION, overflow=False))
    assert lanes_of(ticket) == [("m-reserved-2", "reserved"), ("m-reserved-1", "reserved")]


@pytest.mark.parametrize("lane", ["on-demand", "byok"])
def test_on_demand_and_byok_use_on_demand_deployments_only_and_keep_their_lane(lane: str) -> None:
    assert lanes_of(Ticket(lane)) == [("m-on-demand", lane)]


def test_a_model_without_an_on_demand_deployment_is_unavailable_on_demand() -> None:
    only_reserved = Model("m", "openai", 1000, (R1,), ())
    with pytest.raises(Unavailable):
        targets_for(Catalog.of([only_reserved]), only_reserved, Ticket("on-demand"))
