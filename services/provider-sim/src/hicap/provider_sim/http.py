"""provider-sim's HTTP application. The skeleton serves only `/healthz`; the request-path
issue adds the providers' endpoints in their real wire formats."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response


def build_app() -> FastAPI:
    app = FastAPI(title="provider-sim", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok\n", media_type="text/plain")

    return app
