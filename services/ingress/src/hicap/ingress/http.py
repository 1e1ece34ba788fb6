"""The HTTP application of ingress, built from its dependencies (so tests build it with a
fake egress): the OpenAI and Anthropic routes, the admin router when given, `/healthz`,
and a catch-all 404. Every error leaves in the caller's format (`errors.surface_of`):
ours (HicapError), Starlette's HTTPException (unknown route, wrong method) and FastAPI's
request validation (422 in its default shape, answered here as a 400). The edge
middleware adds the request id and lane to every response. The relayed API calls (the
hot path) skip FastAPI's middleware stack and router (`hicap.runtime.direct`): a POST to
their path goes straight to its handler behind the same edge middleware, which halves
what ingress adds to a call (measured with `make bench`); every other route is FastAPI's. Imports libs and
ingress modules only.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hicap.errors import HicapError, InvalidRequest, NotFound
from hicap.events import IdFactory, uuid7
from hicap.ingress.anthropic import routes as anthropic_routes
from hicap.ingress.edge import EdgeMiddleware
from hicap.ingress.errors import error_for_status, error_response, surface_of
from hicap.ingress.openai import routes as openai_routes
from hicap.ingress.relay import Relay
from hicap.runtime.direct import DirectRoutesApp

__all__ = ["IngressApp", "build_app"]


class IngressApp(DirectRoutesApp):
    """The ingress application: FastAPI, with the relayed API calls served directly."""


def build_app(
    relay: Relay, *, admin_router: APIRouter | None = None, ids: IdFactory = uuid7
) -> IngressApp:
    app = IngressApp(
        title="Hicap",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry={"logs": False},  # its log records carry validation inputs: request bodies
    )
    app.add_middleware(EdgeMiddleware, ids=ids)
    app.add_exception_handler(HicapError, _hicap_error)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response("ok\n", media_type="text/plain")

    api_routes = [*openai_routes.routes(relay), *anthropic_routes.routes(relay)]
    app.router.routes.extend(api_routes)
    app.add_direct_routes(api_routes, wrap=lambda route: EdgeMiddleware(route, ids=ids))
    if admin_router is not None:
        app.include_router(admin_router)

    @app.api_route(
        "/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    async def not_found(path: str, request: Request) -> Response:
        raise NotFound(f"no route {request.method} /{path}")

    return app


async def _hicap_error(request: Request, exc: HicapError) -> Response:
    return error_response(surface_of(request.url.path, request.headers), exc)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    return await _hicap_error(request, error_for_status(exc.status_code, str(exc.detail)))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = "; ".join(_describe(e) for e in exc.errors()[:5])
    return await _hicap_error(request, InvalidRequest(problems or "invalid request"))


def _describe(error: object) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", ""))
