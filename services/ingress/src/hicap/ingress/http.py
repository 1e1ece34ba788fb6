"""The HTTP application of ingress. The skeleton answers every API route with an error in
OpenAI's format until the request-path issue fills them in."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


def build_app() -> FastAPI:
    app = FastAPI(title="Hicap", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok\n", media_type="text/plain")

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def not_found(path: str, request: Request) -> JSONResponse:
        error = {
            "message": f"no route {request.method} /{path}",
            "type": "invalid_request_error",
            "param": None,
            "code": "not_found",
        }
        return JSONResponse({"error": error}, status_code=404)

    return app
