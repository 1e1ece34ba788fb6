"""The outermost layer of every request (a plain ASGI middleware, cheap on the hot path):
it gives the request its id and first lane (`byok` with `x-provider-key`, else
`on-demand`), puts `x-request-id` (ours, a UUIDv7; the caller's own id comes back as
`x-client-request-id`), `request-id` (what the Anthropic SDK reads) and `x-hicap-lane` on
EVERY response, errors included, and turns an exception nothing else handled into a 500
in the caller's error format. The lane header is the request's final lane, read when the
response starts: the relay moves it (`set_lane`) to the lane admission chose (`reserved`
on a 429 past a reservation) and then to the lane egress served it on. Reads header
names, never logs a value. Imports hicap.errors, hicap.events and starlette only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hicap.errors import Internal
from hicap.events import IdFactory, uuid7
from hicap.ingress.errors import error_response, surface_of

__all__ = [
    "BYOK",
    "ON_DEMAND",
    "RESERVED",
    "EdgeMiddleware",
    "RequestContext",
    "context_of",
    "set_lane",
]

log = logging.getLogger(__name__)

RESERVED, ON_DEMAND, BYOK = "reserved", "on-demand", "byok"
_SCOPE_KEY = "hicap.context"
_LANE_KEY = "hicap.lane"
_SANE_CLIENT_ID = re.compile(rb"[\x21-\x7e]{1,128}")


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    lane: str
    response_headers: tuple[tuple[bytes, bytes], ...]


def context_of(request: Request) -> RequestContext:
    context: RequestContext = request.scope[_SCOPE_KEY]
    return context


def set_lane(scope: Scope, lane: str) -> None:
    """The lane `x-hicap-lane` will say (the last one set before the response starts)."""
    scope[_LANE_KEY] = lane


def _context(scope: Scope, ids: IdFactory) -> RequestContext:
    request_id, lane, client_id = ids(), ON_DEMAND, b""
    for name, value in scope["headers"]:
        if name == b"x-provider-key" and value.strip():
            lane = BYOK
        elif name == b"x-request-id" and _SANE_CLIENT_ID.fullmatch(value):
            client_id = value
    rid = request_id.encode()
    headers = [(b"x-request-id", rid), (b"request-id", rid)]
    if client_id:
        headers.append((b"x-client-request-id", client_id))
    return RequestContext(request_id, lane, tuple(headers))


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, ids: IdFactory = uuid7) -> None:
        self.app = app
        self.ids = ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = scope[_SCOPE_KEY] = _context(scope, self.ids)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                lane = scope.get(_LANE_KEY, context.lane).encode()
                message["headers"] = [
                    *message.get("headers", ()),
                    *context.response_headers,
                    (b"x-hicap-lane", lane),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise  # mid-stream: the relay already ended the stream with an error event
            log.exception("request failed", extra={"request_id": context.request_id})
            surface = surface_of(scope["path"], Headers(scope=scope))
            response = error_response(surface, Internal("internal error; see ingress's log"))
            await response(scope, receive, send_with_headers)
