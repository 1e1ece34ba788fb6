"""provider-sim's HTTP application: the fake OpenAI, Anthropic and Gemini APIs, each on
the plain routes (deployment "default") and under `/d/{deployment}` (a deployment of
`SimConfig.deployments`, with its own limits and faults), plus `/healthz`.

`GET /v1/models` is shared by the three providers; the caller's auth header picks the
shape (`x-goog-api-key` or `?key=`: Gemini; `x-api-key` or `anthropic-version`:
Anthropic; otherwise OpenAI). Errors raised as `SimError` are rendered in the calling
provider's shape by one handler. The POST routes (the API calls) are served directly
(`hicap.runtime.direct`), past FastAPI's middleware stack: a simulator that spends a
millisecond of CPU per call on its framework would be measured as Hicap's cost when the
benchmark shares two cores between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hicap.provider_sim import anthropic_api, gemini_api, openai_api
from hicap.provider_sim.config import SimConfig
from hicap.provider_sim.context import Sim
from hicap.provider_sim.errors import SimError, render_error
from hicap.runtime.direct import DirectRoutesApp

__all__ = ["build_app"]


def build_app(
    config: SimConfig | None = None,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> DirectRoutesApp:
    sim = Sim(config or SimConfig(), monotonic=monotonic, wall_clock=wall_clock)
    app = DirectRoutesApp(title="provider-sim", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok\n", media_type="text/plain")

    @app.exception_handler(SimError)
    async def sim_error(_: Request, exc: SimError) -> Response:
        return render_error(exc)

    for prefix in ("", "/d/{deployment}"):
        for api in (
            openai_api.router(sim),
            anthropic_api.router(sim),
            gemini_api.router(sim),
            _models_router(sim),
        ):
            app.include_router(api, prefix=prefix)
            app.add_direct_routes(api.routes, prefix=prefix)
    return app


def _models_router(sim: Sim) -> APIRouter:
    api = APIRouter()

    @api.get("/v1/models")
    @api.get("/v1beta/models")
    async def models(request: Request) -> Response:
        headers, query = request.headers, request.query_params
        if "x-goog-api-key" in headers or "key" in query:
            return await gemini_api.models_list(sim, request)
        if "x-api-key" in headers or "anthropic-version" in headers:
            return await anthropic_api.models_list(sim, request)
        return await openai_api.models_list(sim, request)

    return api
