"""Serving an ASGI app (FastAPI) inside a service's runtime, on uvicorn with uvloop and
httptools, stopped by the runtime rather than by uvicorn's own signal handling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn

from hicap.runtime.service import Runtime


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the runtime owns SIGTERM/SIGINT and stops us through should_exit


async def serve_http(
    rt: Runtime[Any], app: Any, *, host: str, port: int, public: bool = True
) -> str:
    """Start serving `app`; return its base URL once it listens. Stops with the runtime."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="none",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name=f"{rt.name}-http")
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start (port in use, ...)
        await asyncio.sleep(0.01)
    sock = server.servers[0].sockets[0]
    bound_host, bound_port = sock.getsockname()[:2]
    url = f"http://{bound_host}:{bound_port}"
    if public:
        rt.http_url = url

    async def stop() -> None:
        server.should_exit = True
        await task

    rt.on_stop(stop)
    rt.add_readiness_check(lambda: server.started and not task.done())
    return url
