"""A reservation's life on the real bus and Temporal, its period shortened to 2.5 s: it is
activated, renewed each period, scaled up at once and down from the next period, and a
cancelled one ends at its term's end; every event is on CAPACITY exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hicap.bus import Bus
from hicap.capacity_scheduler.app import SchedulerService, start_scheduler
from hicap.capacity_scheduler.workflows import workflow_id
from tests.asserts import assert_eventually
from tests.integration.capacity.helpers import (
    cancel,
    counts,
    create,
    events_of,
    get,
    new_reserved_model,
    scale,
)

if TYPE_CHECKING:
    from tests.fixtures.temporal import TemporalServer


async def test_a_reservation_activates_renews_scales_and_ends_at_term_end_each_event_once(
    bus: Bus, scheduler: SchedulerService, org_id: str
) -> None:
    model = await new_reserved_model(bus, 1_000, 1_000)
    created = await create(bus, org_id, model, 600)
    rid = created.id
    assert created.status in ("requested", "active")
    assert created.fee_micros_per_period > 0

    async def in_period(n: int) -> None:
        view = await get(bus, org_id, rid)
        assert view.status == "active" and view.period >= n, view

    await assert_eventually(lambda: in_period(3), timeout=15)  # activated, renewed twice

    up = await scale(bus, org_id, rid, 1_500)  # more than one deployment holds
    assert up.tpm == 1_500 and up.pending_tpm == 0
    assert sum(a.tpm for a in up.allocations) == 1_500
    down = await scale(bus, org_id, rid, 300)
    assert down.tpm == 1_500 and down.pending_tpm == 300  # from the next period on
    period = down.period

    async def scaled_down() -> None:
        view = await get(bus, org_id, rid)
        assert view.period > period and view.tpm == 300 and view.pending_tpm == 0, view
        assert [(a.deployment, a.tpm) for a in view.allocations] == [(f"{model}-r0", 300)]

    await assert_eventually(scaled_down, timeout=10)

    cancelling = await cancel(bus, org_id, rid)
    assert cancelling.status == "cancelling"
    assert (await cancel(bus, org_id, rid)).status == "cancelling"  # asking twice is fine

    async def cancelled() -> None:
        assert (await get(bus, org_id, rid)).status == "cancelled"

    await assert_eventually(cancelled, timeout=10)
    assert scheduler.reservations.allocated(f"{model}-r0") == 0  # its capacity is free again

    seen = counts(await events_of(bus, rid))
    assert all(n == 1 for n in seen.values()), seen
    kinds = {k.split("/")[0] for k in seen}
    assert kinds == {
        "ReservationRequested",
        "ReservationActivated",
        "ReservationRenewed",
        "ReservationScaled",
        "ReservationCancelRequested",
        "ReservationCancelled",
    }
    renewed = sorted(int(k.split("/")[1]) for k in seen if k.startswith("ReservationRenewed"))
    assert renewed == list(range(2, renewed[-1] + 1)) and len(renewed) >= 3
    assert sum(k.startswith("ReservationScaled") for k in seen) == 2


async def test_a_long_lived_reservation_continues_as_new_without_repeating_an_event(
    bus: Bus, temporal_server: TemporalServer, task_queue: str, org_id: str
) -> None:
    service = await start_scheduler(
        bus, temporal_server.client, period_s=1.0, task_queue=task_queue, continue_as_new_after=2
    )
    try:
        model = await new_reserved_model(bus, 1_000)
        rid = (await create(bus, org_id, model, 100)).id

        async def in_period_six() -> None:
            assert (await get(bus, org_id, rid)).period >= 6

        await assert_eventually(in_period_six, timeout=20)

        async def runs() -> None:
            query = f"WorkflowId = '{workflow_id(rid)}'"
            found = [w async for w in temporal_server.client.list_workflows(query)]
            assert len(found) >= 2, found  # history bounded: several runs of one workflow

        await assert_eventually(runs, timeout=10)
        await cancel(bus, org_id, rid)

        async def cancelled() -> None:
            assert (await get(bus, org_id, rid)).status == "cancelled"

        await assert_eventually(cancelled, timeout=10)
    finally:
        await service.stop()
    seen = counts(await events_of(bus, rid))
    assert all(n == 1 for n in seen.values()), seen
    renewed = sorted(int(k.split("/")[1]) for k in seen if k.startswith("ReservationRenewed"))
    assert renewed == list(range(2, renewed[-1] + 1))
