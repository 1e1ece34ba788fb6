"""The usage routes of the admin API: `GET /v1/admin/usage` (an org's usage grouped by one
dimension), `GET /v1/admin/usage/export` (its rows streamed as CSV or JSON lines), both for
the org of the caller's owner or admin key, and `DELETE /v1/admin/orgs/{org_id}/usage`
(owner key only). Ingress checks the caller and the window; metering answers over the bus
for exactly the org it is given. Imports fastapi, the bus and ingress's own modules; never
metering.
"""

# No `from __future__ import annotations` here: FastAPI reads the handlers' annotations at
# run time, and the caller dependencies below are local to add_usage_routes.

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from hicap.bus import Bus, BusTimeout, BusUnavailable, StreamClient, commands
from hicap.errors import DeadlineExceeded, InvalidRequest, PermissionDenied, Unavailable
from hicap.events import auth_pb2
from hicap.events.v1 import auth_commands_pb2 as cmd
from hicap.events.v1 import metering_commands_pb2 as metering
from hicap.ingress.admin.access import admin_actor
from hicap.ingress.admin.schemas import (
    ErrorBody,
    ExportFormat,
    GroupBy,
    UsageDeletion,
    UsageReport,
    UsageRow,
)
from hicap.ingress.keys import KeyRecord, KeyRing
from hicap.ingress.request_auth import presented_key

DEFAULT_SPAN = timedelta(days=30)
MAX_SPAN = timedelta(days=400)
# An aggregate over a year of rows, or a delete, can take longer than a directory command.
METERING_TIMEOUT_S = 30.0
MEDIA_TYPES: dict[str, str] = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
INSTANT_HELP = "an ISO 8601 date or datetime, e.g. 2026-11-24 or 2026-11-24T12:00:00Z"
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody, "description": why}
    for code, why in (
        (400, "A bad from, to, group_by or format"),
        (401, "No key, or not a live key"),
        (403, "Not an owner or admin key of the org (deleting usage: not the owner key)"),
        (503, "Metering is not running"),
        (504, "Metering did not answer in time"),
    )
}
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "No such org (or a key of another org)"}
}
OWNER_ONLY: dict[str, object] = {"x-hicap-roles": ["owner"]}  # read by the tests' OpenAPI walk
TAGS: list[str | Enum] = ["usage"]
QUERY = commands.command_subject("metering", "query_usage")
DELETE = commands.command_subject("metering", "delete_usage")
EXPORT = commands.command_subject("metering", "export_usage")

Clock = Callable[[], datetime]
FromParam = Annotated[
    str | None,
    Query(
        alias="from",
        description=f"Start, inclusive: {INSTANT_HELP} (UTC if no offset). Default: `to` - 30d.",
        examples=["2026-11-01"],
    ),
]
ToParam = Annotated[
    str | None,
    Query(
        alias="to",
        description=f"End, exclusive: {INSTANT_HELP}; a date includes that whole day. "
        "Default: now. At most 400 days after `from`.",
        examples=["2026-11-30"],
    ),
]


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def timestamps(self) -> tuple[Timestamp, Timestamp]:
        start, end = Timestamp(), Timestamp()
        start.FromDatetime(self.start)
        end.FromDatetime(self.end)
        return start, end


def parse_instant(name: str, text: str, *, day_end: bool) -> datetime:
    """An ISO 8601 date (its midnight UTC; the next one if `day_end`) or datetime (UTC if naive)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return midnight + timedelta(days=1) if day_end else midnight
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{name}: not {INSTANT_HELP}") from None
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def resolve_window(from_text: str | None, to_text: str | None, now: datetime) -> Window:
    try:
        return checked_window(from_text, to_text, now)
    except OverflowError:  # a date next to year 1 or 9999, and a day or 30 added or taken
        raise InvalidRequest("to: out of range") from None


def checked_window(from_text: str | None, to_text: str | None, now: datetime) -> Window:
    end = parse_instant("to", to_text, day_end=True) if to_text else now
    start = parse_instant("from", from_text, day_end=False) if from_text else end - DEFAULT_SPAN
    if end <= start:
        raise InvalidRequest("to: must be after from")
    if end - start > MAX_SPAN:
        raise InvalidRequest(f"to: at most {MAX_SPAN.days} days after from")
    return Window(start, end)


def caller_record(keys: KeyRing, request: Request) -> KeyRecord:
    return keys.authenticate(presented_key(request.headers, request.scope.get("query_string", b"")))


def org_manager(keys: KeyRing) -> Callable[[Request], Awaitable[KeyRecord]]:
    """A dependency: the caller's key, once it is an owner or admin key (of its own org)."""

    async def manager(request: Request) -> KeyRecord:
        record = caller_record(keys, request)
        admin_actor(record, record.org_id)
        return record

    return manager


def org_owner(keys: KeyRing) -> Callable[[str, Request], Awaitable[cmd.Actor]]:
    """A dependency: the path's org and the caller's key -> the Actor, for the owner key only.
    Another org's key is answered 404 first, exactly as for a missing org."""

    async def owner(org_id: str, request: Request) -> cmd.Actor:
        record = caller_record(keys, request)
        actor = admin_actor(record, org_id)
        if record.role != auth_pb2.ROLE_OWNER:
            raise PermissionDenied("deleting an org's usage needs the org's owner key")
        return actor

    return owner


R = TypeVar("R", bound=Message)


async def ask_metering(bus: Bus, subject: str, message: Message, reply_type: type[R]) -> R:
    async with metering_errors():
        return await commands.request(
            bus, subject, message, reply_type, timeout_s=METERING_TIMEOUT_S
        )


@asynccontextmanager
async def metering_errors() -> AsyncIterator[None]:
    """The bus's own errors, said as metering's: ingress's error table knows the base codes
    (unavailable, deadline_exceeded) and not the bus's (bus_unavailable, bus_timeout)."""
    try:
        yield
    except BusUnavailable:
        raise Unavailable("metering is not running; try again once it is") from None
    except BusTimeout:
        raise DeadlineExceeded(f"metering did not answer within {METERING_TIMEOUT_S:g}s") from None


async def export_chunks(bus: Bus, export: metering.UsageExport) -> AsyncIterator[bytes]:
    """Metering's export frames, as they come. A client of its own per export: an export is
    rare, and its inbox then lives exactly as long as the stream."""
    client = await StreamClient(bus).start()
    try:
        data = export.SerializeToString()
        async with metering_errors():
            async for chunk in client.stream(EXPORT, data, first_timeout_s=METERING_TIMEOUT_S):
                yield chunk
    finally:
        await client.stop()


async def after(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


def add_usage_routes(
    router: APIRouter, keys: KeyRing, bus: Bus, clock: Clock | None = None
) -> None:
    """The usage routes, on `router` (of AdminRoute); `clock` is now, in UTC."""
    manager = Annotated[KeyRecord, Depends(org_manager(keys))]
    owner = Annotated[cmd.Actor, Depends(org_owner(keys))]
    now = clock or (lambda: datetime.now(UTC))

    @router.get(
        "/v1/admin/usage",
        summary="Usage of the key's org, grouped",
        tags=TAGS,
        responses=ERRORS,
        response_model_exclude_none=True,
    )
    async def get_usage(
        record: manager, start: FromParam = None, end: ToParam = None, group_by: GroupBy = "model"
    ) -> UsageReport:
        since, until = resolve_window(start, end, now()).timestamps()
        query = metering.UsageQuery(org_id=record.org_id, to=until, group_by=group_by)
        query_from(query).CopyFrom(since)
        reply = await ask_metering(bus, QUERY, query, metering.UsageQueryReply)
        return UsageReport(data=[UsageRow.of(group_by, g) for g in reply.groups])

    @router.get(
        "/v1/admin/usage/export",
        summary="Usage rows of the key's org, streamed as CSV (header first) or JSON lines",
        tags=TAGS,
        response_class=StreamingResponse,
        responses={**ERRORS, 200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
    )
    async def export_usage(
        record: manager, start: FromParam = None, end: ToParam = None, format: ExportFormat = "csv"
    ) -> StreamingResponse:
        since, until = resolve_window(start, end, now()).timestamps()
        export = metering.UsageExport(org_id=record.org_id, to=until, format=format)
        query_from(export).CopyFrom(since)
        chunks = export_chunks(bus, export)
        first = await anext(chunks, b"")  # metering's refusal is still an HTTP error here
        name = f"usage-{record.org_id}.{format}"
        return StreamingResponse(
            after(first, chunks),
            media_type=MEDIA_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.delete(
        "/v1/admin/orgs/{org_id}/usage",
        summary="Delete the org's usage (owner key); answers once it is applied",
        tags=TAGS,
        responses={**ERRORS, **NOT_FOUND},
        openapi_extra=OWNER_ONLY,
    )
    async def delete_usage(actor: owner) -> UsageDeletion:
        request = metering.DeleteUsage(org_id=actor.org_id, key_id=actor.key_id)
        reply = await ask_metering(bus, DELETE, request, metering.DeleteUsageReply)
        return UsageDeletion(org_id=reply.org_id or actor.org_id, deleted=True)


def query_from(message: metering.UsageQuery | metering.UsageExport) -> Timestamp:
    """The message's `from` field, which Python cannot name as an attribute."""
    field: Timestamp = getattr(message, "from")
    return field
