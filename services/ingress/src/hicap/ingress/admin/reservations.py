"""The reservation routes of the admin API, for the org of the caller's owner or admin key:

    POST   /v1/admin/reservations        {"model", "tpm", "months" = 1, "auto_renew" = true,
                                          "overflow" = true}  -> 201 the reservation
    GET    /v1/admin/reservations        the org's reservations, newest first
    GET    /v1/admin/reservations/{id}   one, with its utilisation (`utilization`)
    PATCH  /v1/admin/reservations/{id}   {"tpm"?, "overflow"?, "auto_renew"?}
    DELETE /v1/admin/reservations/{id}   cancel at the end of the paid term: answers the
                                          reservation, status `cancelling`

Bodies are in `reservation_schemas`. Each route asks capacity-scheduler one command over
the bus for exactly the caller's org; the scheduler decides and answers typed errors,
passed through the one renderer: 404 for another org's reservation (as for one that does
not exist), 409 naming the TPM free when a reservation would oversell, 400 naming the
field. A bad body is a 400 naming the field before anything is asked. Each PATCH carries a
new change id, so a retried command applies once. The GET of one reservation also asks
metering for the org's tokens of the model per capacity window (last hour and current
period); when metering does not answer within UTILIZATION_TIMEOUT_S (or refuses), the
reservation is still answered, with `"utilization": null` and `utilization_unavailable`
saying why: utilisation is a view, not a reason to hide the reservation. Imports fastapi,
the bus and ingress's own modules; never a service.
"""

# No `from __future__ import annotations` here: FastAPI reads the handlers' annotations at
# run time, and the caller dependency below is local to add_reservation_routes.

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, status
from google.protobuf.message import Message

from hicap.bus import Bus, BusTimeout, BusUnavailable, commands
from hicap.errors import DeadlineExceeded, HicapError, InvalidRequest, NotFound, Unavailable
from hicap.events.v1 import capacity_commands_pb2 as capacity
from hicap.events.v1 import metering_commands_pb2 as metering
from hicap.ingress.admin.reservation_schemas import (
    NewReservation,
    Reservation,
    ReservationChange,
    ReservationDetail,
    ReservationList,
    fields_of,
)
from hicap.ingress.admin.schemas import ErrorBody
from hicap.ingress.admin.usage import org_manager
from hicap.ingress.admin.utilization import (
    LAST_HOUR,
    Utilization,
    bucket_seconds,
    period_use,
    uses_of,
    window_use,
)
from hicap.ingress.keys import KeyRecord, KeyRing

RESERVATIONS = "/v1/admin/reservations"
ONE = RESERVATIONS + "/{reservation_id}"
SCHEDULER = "capacity-scheduler"
CAPACITY_TIMEOUT_S = 10.0  # an accepted reservation is appended and read back first
UTILIZATION_TIMEOUT_S = 3.0
SERIES = commands.command_subject("metering", "usage_series")
TAGS: list[str | Enum] = ["reservations"]
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody, "description": why}
    for code, why in (
        (400, "A bad field (named in the message), or an unknown model"),
        (401, "No key, or not a live key"),
        (403, "Not an owner or admin key of the org"),
        (404, "No such reservation of the caller's org"),
        (409, "Would oversell the model's reserved capacity (the message names what is free)"),
        (503, "capacity-scheduler is not running"),
        (504, "capacity-scheduler did not answer in time"),
    )
}
Rep = TypeVar("Rep", bound=Message)
Clock = Callable[[], datetime]


async def ask_scheduler(bus: Bus, name: str, message: Message, reply_type: type[Rep]) -> Rep:
    """One capacity-scheduler command; the bus's own errors said as the scheduler's."""
    subject = commands.command_subject(SCHEDULER, name)
    try:
        return await commands.request(
            bus, subject, message, reply_type, timeout_s=CAPACITY_TIMEOUT_S
        )
    except BusUnavailable:
        raise Unavailable(f"{SCHEDULER} is not running; try again once it is") from None
    except BusTimeout:
        raise DeadlineExceeded(
            f"{SCHEDULER} did not answer within {CAPACITY_TIMEOUT_S:g}s"
        ) from None


def owned(
    view: capacity.ReservationView, org_id: str, reservation_id: str
) -> capacity.ReservationView:
    """The view, if it is the caller's org's (the scheduler checks; this never lets another
    org's through should it not), with its org filled in if the scheduler left it out."""
    if view.org_id and view.org_id != org_id:
        raise NotFound(f"reservation {reservation_id} not found")
    view.org_id = org_id
    return view


def add_reservation_routes(
    router: APIRouter,
    keys: KeyRing,
    bus: Bus,
    *,
    capacity_window_s: float = 60.0,
    clock: Clock | None = None,
) -> None:
    """The reservation routes, on `router` (of AdminRoute); `clock` is now, in UTC."""
    manager = Annotated[KeyRecord, Depends(org_manager(keys))]
    now = clock or (lambda: datetime.now(UTC))
    bucket_s = bucket_seconds(capacity_window_s)

    @router.post(
        RESERVATIONS,
        summary="Reserve TPM of a model",
        tags=TAGS,
        responses=ERRORS,
        status_code=status.HTTP_201_CREATED,
    )
    async def create_reservation(record: manager, body: NewReservation) -> Reservation:
        request = capacity.CreateReservation(
            org_id=record.org_id,
            model=body.model,
            tpm=body.tpm,
            months=body.months,
            auto_renew=body.auto_renew,
            overflow=body.overflow,
            requested_by=record.key_id,
        )
        reply = await ask_scheduler(bus, "create_reservation", request, capacity.ReservationReply)
        return Reservation.of(reply.reservation)

    @router.get(RESERVATIONS, summary="The org's reservations", tags=TAGS, responses=ERRORS)
    async def list_reservations(record: manager) -> ReservationList:
        request = capacity.ListReservations(org_id=record.org_id)
        reply = await ask_scheduler(bus, "list_reservations", request, capacity.ReservationList)
        mine = [v for v in reply.reservations if v.org_id in ("", record.org_id)]
        return ReservationList(data=[Reservation.of(owned(v, record.org_id, v.id)) for v in mine])

    @router.get(ONE, summary="One reservation, with its utilisation", tags=TAGS, responses=ERRORS)
    async def get_reservation(record: manager, reservation_id: str) -> ReservationDetail:
        request = capacity.GetReservation(org_id=record.org_id, reservation_id=reservation_id)
        reply = await ask_scheduler(bus, "get_reservation", request, capacity.ReservationReply)
        view = owned(reply.reservation, record.org_id, reservation_id)
        return await with_utilization(bus, view, bucket_s, now())

    @router.patch(ONE, summary="Scale a reservation or change its options", tags=TAGS,
                  responses=ERRORS)  # fmt: skip
    async def update_reservation(
        record: manager, reservation_id: str, body: ReservationChange
    ) -> Reservation:
        if body.empty:
            raise InvalidRequest("body: give at least one of tpm, overflow, auto_renew")
        request = capacity.UpdateReservation(
            org_id=record.org_id,
            reservation_id=reservation_id,
            tpm=body.tpm or 0,
            overflow=body.overflow,
            auto_renew=body.auto_renew,
            change_id=uuid.uuid4().hex,
        )
        reply = await ask_scheduler(bus, "update_reservation", request, capacity.ReservationReply)
        return Reservation.of(owned(reply.reservation, record.org_id, reservation_id))

    @router.delete(ONE, summary="Cancel at the end of the paid term", tags=TAGS, responses=ERRORS)
    async def cancel_reservation(record: manager, reservation_id: str) -> Reservation:
        request = capacity.CancelReservation(org_id=record.org_id, reservation_id=reservation_id)
        reply = await ask_scheduler(bus, "cancel_reservation", request, capacity.ReservationReply)
        return Reservation.of(owned(reply.reservation, record.org_id, reservation_id))


async def with_utilization(
    bus: Bus, view: capacity.ReservationView, bucket_s: int, now: datetime
) -> ReservationDetail:
    detail: dict[str, object] = fields_of(view)
    try:
        detail["utilization"] = await measure(bus, view, bucket_s, now)
    except HicapError as err:
        detail |= {"utilization": None, "utilization_unavailable": unavailable(err)}
    return ReservationDetail.model_validate(detail)


def unavailable(err: HicapError) -> str:
    if isinstance(err, BusUnavailable):
        return "metering is not running"
    if isinstance(err, BusTimeout):
        return f"metering did not answer within {UTILIZATION_TIMEOUT_S:g}s"
    return f"metering could not answer: {err.message}"


async def measure(
    bus: Bus, view: capacity.ReservationView, bucket_s: int, now: datetime
) -> Utilization:
    """The last hour and the current period (if active), asked of metering together."""
    asks = [series(bus, view, now - LAST_HOUR, now, bucket_s)]
    span = period_span(view, now)
    if span is not None:
        asks.append(series(bus, view, *span, bucket_s))
    replies = await asyncio.gather(*asks)
    last_hour = [window_use(u, view.tpm) for u in uses_of(replies[0])]
    period = None
    if span is not None:
        period = period_use(uses_of(replies[1]), view.tpm, *span, bucket_s)
    return Utilization(window_s=bucket_s, last_hour=last_hour, period=period)


def period_span(view: capacity.ReservationView, now: datetime) -> tuple[datetime, datetime] | None:
    """[period start, now or the period's end if earlier); None before activation."""
    if view.period <= 0 or not view.period_start.seconds:
        return None
    start = view.period_start.ToDatetime(tzinfo=UTC)
    end = min(now, view.period_end.ToDatetime(tzinfo=UTC)) if view.period_end.seconds else now
    return (start, end) if end > start else None


async def series(
    bus: Bus, view: capacity.ReservationView, start: datetime, end: datetime, bucket_s: int
) -> metering.UsageSeriesReply:
    query = metering.UsageSeriesQuery(org_id=view.org_id, model=view.model, bucket_s=bucket_s)
    getattr(query, "from").FromDatetime(start)  # `from` is a Python keyword
    query.to.FromDatetime(end)
    return await commands.request(
        bus, SERIES, query, metering.UsageSeriesReply, timeout_s=UTILIZATION_TIMEOUT_S
    )
