"""Reservation commands as an org's admin (through the admin API) sees them: a reservation
that would oversell Hicap's reserved deployments is refused naming the TPM free; an org
never sees nor touches another org's reservation (NotFound, as for an unknown id); a
second live reservation of the same model is refused naming the first; a deployment
cannot shrink below what reservations hold of it."""

from __future__ import annotations

import uuid

import pytest

from hicap.bus import Bus
from hicap.capacity_scheduler.app import SchedulerService
from hicap.catalog import deployment_to_proto
from hicap.errors import Conflict, InvalidRequest, NotFound
from hicap.events.v1 import capacity_commands_pb2 as cmd
from tests.integration.capacity.helpers import (
    call,
    cancel,
    create,
    get,
    new_reserved_model,
    reserved,
    scale,
)


async def test_a_reservation_that_would_oversell_is_refused_naming_what_is_free(
    bus: Bus, scheduler: SchedulerService, org_id: str
) -> None:
    model = await new_reserved_model(bus, 1_000, 200)
    await create(bus, org_id, model, 1_000)
    with pytest.raises(Conflict) as refused:
        await create(bus, f"org_{uuid.uuid4().hex}", model, 3_400)
    assert refused.value.message == f"{model} has 200 reserved TPM free; asked for 3,400"
    assert scheduler.reservations.allocated(f"{model}-r1") == 0


async def test_scaling_up_past_what_is_free_is_refused_and_changes_nothing(
    bus: Bus, scheduler: SchedulerService, org_id: str
) -> None:
    model = await new_reserved_model(bus, 1_000)
    rid = (await create(bus, org_id, model, 400)).id
    other = await create(bus, f"org_{uuid.uuid4().hex}", model, 500)
    with pytest.raises(Conflict, match=f"{model} has 500 reserved TPM free; asked for 900"):
        await scale(bus, org_id, rid, 900)
    assert (await get(bus, org_id, rid)).tpm == 400
    assert other.tpm == 500


async def test_another_orgs_reservation_is_not_found_and_not_listed(
    bus: Bus, scheduler: SchedulerService, org_id: str
) -> None:
    model = await new_reserved_model(bus, 1_000)
    rid = (await create(bus, org_id, model, 100)).id
    intruder = f"org_{uuid.uuid4().hex}"
    for attempt in (
        get(bus, intruder, rid),
        scale(bus, intruder, rid, 200),
        cancel(bus, intruder, rid),
    ):
        with pytest.raises(NotFound) as hidden:
            await attempt
        assert hidden.value.message == f"no reservation {rid!r}"
    with pytest.raises(NotFound) as never:
        await get(bus, intruder, "r-never")
    assert never.value.message == "no reservation 'r-never'"  # the same words as for an id
    listed = await call(
        bus, "list_reservations", cmd.ListReservations(org_id=intruder), cmd.ReservationList
    )
    assert list(listed.reservations) == []
    mine = await call(
        bus, "list_reservations", cmd.ListReservations(org_id=org_id), cmd.ReservationList
    )
    assert [r.id for r in mine.reservations] == [rid]
    assert (await get(bus, org_id, rid)).tpm == 100  # untouched
    assert (await get(bus, "", rid)).org_id == org_id  # the operator reads any


async def test_a_second_live_reservation_of_a_model_is_refused_naming_the_first(
    bus: Bus, scheduler: SchedulerService, org_id: str
) -> None:
    model = await new_reserved_model(bus, 1_000)
    first = await create(bus, org_id, model, 100)
    with pytest.raises(Conflict, match=first.id):
        await create(bus, org_id, model, 100)


async def test_an_invalid_reservation_is_refused_naming_the_field(
    bus: Bus, scheduler: SchedulerService, org_id: str
) -> None:
    model = await new_reserved_model(bus, 1_000)
    for tpm, months, field in ((100, 2, "months"), (0, 1, "tpm")):
        with pytest.raises(InvalidRequest, match=f"^{field}:"):
            await create(bus, org_id, model, tpm, months=months)
    with pytest.raises(InvalidRequest, match=r"^model:"):
        await create(bus, org_id, "gpt-4.1", 100)  # on-demand only


async def test_a_reserved_deployment_cannot_shrink_below_what_is_allocated_on_it(
    bus: Bus, scheduler: SchedulerService, org_id: str
) -> None:
    model = await new_reserved_model(bus, 1_000)
    await create(bus, org_id, model, 700)
    shrink = cmd.DeclareDeployment(
        model=model, deployment=deployment_to_proto(reserved(f"{model}-r0", 500))
    )
    with pytest.raises(InvalidRequest, match="reservations hold 700 TPM"):
        await call(bus, "declare_deployment", shrink, cmd.DeclareDeploymentReply)
    grow = cmd.DeclareDeployment(
        model=model, deployment=deployment_to_proto(reserved(f"{model}-r0", 2_000))
    )
    await call(bus, "declare_deployment", grow, cmd.DeclareDeploymentReply)
    assert scheduler.catalog.deployment(f"{model}-r0").tpm == 2_000  # type: ignore[union-attr]
