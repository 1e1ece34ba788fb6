"""Serving an ASGI app (FastAPI) inside a service's runtime, on uvicorn with uvloop and
httptools, stopped by the runtime rather than by uvicorn's own signal handling.

uvicorn writes a response's status line and headers in one send and its body in another:
two syscalls, and two wakeups of the client, per answer. Each connection's transport is
corked here instead: a write waits for the next one or the end of the event loop's turn,
whichever comes first, and the two leave in one send (a head with its body; a stream's
first chunk is not held back while the rest of the turn runs); a close sends what is
pending first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hicap.runtime.service import Runtime


class CorkedTransport:
    """A transport that holds a write until the next one or the end of the loop turn,
    whichever comes first, and sends the two together."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._pending:  # the second write of the turn: both leave now, together
            self._pending.append(bytes(data))
            self.flush()
            return
        self._pending.append(bytes(data))
        self._loop.call_soon(self.flush)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:  # everything else is the socket's transport
        return getattr(self._transport, name)


class _CorkedHttpTools(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        corked = CorkedTransport(transport, asyncio.get_running_loop())
        super().connection_made(corked)  # type: ignore[arg-type]  # a transport by duck typing


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
        http=_CorkedHttpTools,
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
