"""hicap.runtime.direct: hot POST routes served past FastAPI's stack, with the app's own
exception handlers, path parameters, and everything else left to the router."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from hicap.runtime.direct import DirectRoutesApp


class Refused(Exception):
    pass


class RefusedHard(Refused):
    pass


def build() -> tuple[DirectRoutesApp, list[str]]:
    seen: list[str] = []
    app = DirectRoutesApp()

    @app.middleware("http")
    async def mark(request: Request, call_next):  # type: ignore[no-untyped-def]
        seen.append(f"middleware {request.method} {request.url.path}")
        return await call_next(request)

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> Response:
        return JSONResponse({"refused": type(exc).__name__}, status_code=418)

    api = APIRouter()

    @api.post("/v1/echo")
    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    @api.get("/v1/echo")
    async def echo_get() -> Response:
        return Response(b"get")

    @api.post("/v1/items/{item}")
    async def item(request: Request) -> Response:
        if request.path_params["item"] == "no":
            raise RefusedHard()
        if request.path_params["item"] == "boom":
            raise RuntimeError("unhandled")
        return JSONResponse({"item": request.path_params["item"]})

    for prefix in ("", "/d/{deployment}"):
        app.include_router(api, prefix=prefix)
        app.add_direct_routes(api.routes, prefix=prefix)

    @api.post("/v1/later")
    async def later() -> Response:  # never handed to add_direct_routes
        return Response(b"later")

    app.include_router(api, prefix="/x")
    return app, seen


def test_post_routes_skip_the_middleware_stack_and_other_methods_do_not() -> None:
    app, seen = build()
    client = TestClient(app)
    assert client.post("/v1/echo", content=b"hello").content == b"hello"
    assert seen == []
    assert client.get("/v1/echo").content == b"get"
    assert seen == ["middleware GET /v1/echo"]
    assert client.post("/x/v1/later").content == b"later"  # not direct: through the stack
    assert seen[-1] == "middleware POST /x/v1/later"


def test_path_parameters_are_matched_and_converted() -> None:
    app, seen = build()
    client = TestClient(app)
    assert client.post("/v1/items/a1").json() == {"item": "a1"}
    assert client.post("/d/east/v1/items/b2").json() == {"item": "b2"}
    assert seen == []


def test_an_exception_is_answered_by_the_handler_of_its_nearest_type() -> None:
    app, _ = build()
    reply = TestClient(app).post("/d/east/v1/items/no")
    assert (reply.status_code, reply.json()) == (418, {"refused": "RefusedHard"})


def test_an_exception_without_a_handler_reaches_the_server() -> None:
    app, _ = build()
    with pytest.raises(RuntimeError, match="unhandled"):
        TestClient(app).post("/v1/items/boom")
    reply = TestClient(app, raise_server_exceptions=False).post("/v1/items/boom")
    assert reply.status_code == 500
