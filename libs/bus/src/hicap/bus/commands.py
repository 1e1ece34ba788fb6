"""Commands: request/reply over core NATS to the service that owns the state.

The owner validates, appends its events and answers with a `CommandReply`: either the
serialized reply message or a typed `CommandError`, which the caller raises again as the
same `HicapError` subclass. Subjects are `hicap.cmd.<service>.<command>`; a queue group
spreads them over the owner's replicas.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import DecodeError, Message
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from hicap.bus.connection import Bus
from hicap.bus.errors import BusTimeout, BusUnavailable
from hicap.errors import HicapError, Internal, InvalidRequest, error_from_code
from hicap.events import COMMAND_SUBJECT_PREFIX, command_pb2
from hicap.telemetry import extract_context, inject_headers, tracer

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=Message)
Rep = TypeVar("Rep", bound=Message)
CommandHandler = Callable[[Req], Awaitable[Message]]


def command_subject(service: str, command: str) -> str:
    return f"{COMMAND_SUBJECT_PREFIX}.{service}.{command}"


def error_reply(err: HicapError) -> bytes:
    retry_ms = int(err.retry_after_s * 1000) if err.retry_after_s else 0
    error = command_pb2.CommandError(
        code=err.code, message=err.message, retryable=err.retryable, retry_after_ms=retry_ms
    )
    return command_pb2.CommandReply(error=error).SerializeToString()


def raise_for_reply(data: bytes, reply_type: type[Rep]) -> Rep:
    reply = command_pb2.CommandReply()
    try:
        reply.ParseFromString(data)
    except DecodeError as exc:
        raise Internal(f"malformed command reply: {exc}") from exc
    if reply.WhichOneof("result") == "error":
        e = reply.error
        retry_after = e.retry_after_ms / 1000 if e.retry_after_ms else None
        raise error_from_code(e.code, e.message, retryable=e.retryable, retry_after_s=retry_after)
    out = reply_type()
    out.ParseFromString(reply.ok)
    return out


async def request(
    bus: Bus, subject: str, message: Message, reply_type: type[Rep], *, timeout_s: float = 5.0
) -> Rep:
    """Send a command and return its reply, or raise the owner's error as a HicapError."""
    with tracer(__name__).start_as_current_span(f"command {subject}"):
        try:
            msg = await bus.nc.request(
                subject, message.SerializeToString(), timeout=timeout_s, headers=inject_headers()
            )
        except NoRespondersError as exc:
            raise BusUnavailable(f"no service answers {subject}; is it running?") from exc
        except NatsTimeout as exc:
            raise BusTimeout(f"{subject} did not answer within {timeout_s:g}s") from exc
    return raise_for_reply(msg.data, reply_type)


async def serve(
    bus: Bus,
    subject: str,
    request_type: type[Req],
    handler: CommandHandler[Req],
    *,
    queue: str,
) -> Subscription:
    """Answer commands on `subject` with `handler`; its HicapErrors become typed replies."""

    async def on_msg(msg: Msg) -> None:
        with tracer(__name__).start_as_current_span(
            f"handle {subject}", context=extract_context(msg.headers)
        ):
            await msg.respond(await _handle(msg.data, request_type, handler, subject))

    return await bus.nc.subscribe(subject, queue=queue, cb=on_msg)


async def _handle(
    data: bytes, request_type: type[Req], handler: CommandHandler[Req], subject: str
) -> bytes:
    req = request_type()
    try:
        req.ParseFromString(data)
        result = await handler(req)
    except DecodeError:
        return error_reply(InvalidRequest(f"malformed {request_type.DESCRIPTOR.name}"))
    except HicapError as err:
        return error_reply(err)
    except asyncio.CancelledError:
        raise
    except Exception:
        # A bug in the handler: the caller gets a typed internal error, operators the trace.
        log.exception("command handler failed", extra={"subject": subject})
        return error_reply(Internal(f"{subject} failed; see the service's log"))
    return command_pb2.CommandReply(ok=result.SerializeToString()).SerializeToString()
