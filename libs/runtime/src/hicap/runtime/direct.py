"""Direct routes: a FastAPI app whose hot POST routes skip its middleware stack and router.

FastAPI's per-request machinery (the middleware stack with its telemetry layer, the
router's linear match, dependency solving) costs more CPU than a relayed call's own work:
about two thirds of provider-sim's samples and half of what ingress added, measured with
`make bench ARGS="request-path --profile"`. `DirectRoutesApp` keeps every route in its
router (for the docs, the tests, other methods) and serves the POST routes handed to
`add_direct_routes` (under a prefix, as `include_router` gives one) straight from their
endpoint, called with the `Request` alone: an exact path is one dict lookup; a path with
parameters is matched by its compiled pattern and converters (`request.path_params`), in
the order given. An exception is answered by the
app's own exception handler for its type, as FastAPI would; one without a handler
propagates to uvicorn (a 500, or mid-body a closed connection), as it would from FastAPI's
outermost middleware. `wrap` puts an ASGI middleware of the caller's around each route
(ingress's edge middleware). Imports FastAPI/Starlette only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI
from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["DirectRoutesApp"]

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]


def _as_is(app: ASGIApp) -> ASGIApp:
    return app


class DirectRoutesApp(FastAPI):
    """FastAPI, with a short way in for its hot POST routes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._exact: dict[str, ASGIApp] = {}
        self._patterned: list[tuple[re.Pattern[str], dict[str, Convertor[Any]], ASGIApp]] = []

    def add_direct_routes(
        self,
        routes: Iterable[BaseRoute],
        *,
        prefix: str = "",
        wrap: Callable[[ASGIApp], ASGIApp] = _as_is,
    ) -> None:
        """Serve these routes' POSTs directly, under `prefix` (the router's `include_router`
        prefix, when they are also included with one); routes without POST are skipped."""
        for route in routes:
            if not isinstance(route, Route) or "POST" not in (route.methods or ()):
                continue
            app = wrap(self._direct(route.endpoint))
            regex, _, convertors = compile_path(prefix + route.path)
            if convertors:
                self._patterned.append((regex, convertors, app))
            else:
                self._exact[prefix + route.path] = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            app = self._exact.get(path)
            if app is not None:
                await app(scope, receive, send)
                return
            for regex, convertors, app in self._patterned:
                match = regex.match(path)
                if match is not None:
                    scope["path_params"] = {
                        name: convertors[name].convert(value)
                        for name, value in match.groupdict().items()
                    }
                    await app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)

    def _direct(self, endpoint: Endpoint) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive, send)
            try:
                response = await endpoint(request)
            except Exception as exc:
                handler = self._handler_for(exc)
                if handler is None:
                    raise
                response = await handler(request, exc)
            await response(scope, receive, send)

        return app

    def _handler_for(self, exc: Exception) -> Handler | None:
        for kind in type(exc).__mro__:
            handler = self.exception_handlers.get(kind)
            if handler is not None:
                return handler  # type: ignore[return-value]  # Starlette types handlers loosely
        return None
