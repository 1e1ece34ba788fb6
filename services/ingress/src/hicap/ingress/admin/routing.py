"""The admin routes' error boundary: every `HicapError` a route (or its caller check)
raises, and FastAPI's own validation error, is answered by ingress's one error renderer in
the OpenAI format, so the router behaves the same in whichever app includes it. A
validation message names the field and the problem, never the value sent.
Imports fastapi and ingress's errors module only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from hicap.errors import HicapError, InvalidRequest
from hicap.ingress.errors import ApiSurface, error_response

MAX_PROBLEMS = 5


class AdminRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error_response(ApiSurface.OPENAI, InvalidRequest(describe(exc)))
            except HicapError as err:
                return error_response(ApiSurface.OPENAI, err)

        return answer


def describe(exc: RequestValidationError) -> str:
    """`body.name: String should have at least 1 character; ...` (the first few problems)."""
    problems = [
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()[:MAX_PROBLEMS]
    ]
    return "; ".join(problems) or "invalid request"
