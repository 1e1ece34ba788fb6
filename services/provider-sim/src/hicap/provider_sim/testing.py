"""provider-sim in-process, for tests: `with running_sim(SimConfig(...)) as base_url:`
serves `build_app(config)` with uvicorn on a free 127.0.0.1 port in a background thread
and stops it on exit. Used by provider-sim's own tests and any suite that needs a fake
provider without a process (the provider-egress conformance suite)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import uvicorn

from hicap.provider_sim.config import SimConfig
from hicap.provider_sim.http import build_app

__all__ = ["running_sim"]

STARTUP_TIMEOUT_S = 10.0


@contextlib.contextmanager
def running_sim(
    config: SimConfig | None = None,
    *,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Yield the base URL (`http://127.0.0.1:<port>`) of a running provider-sim."""
    app = build_app(config, monotonic=monotonic)
    settings = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="critical",  # a deliberate `reset` fault would log a traceback
    )
    server = uvicorn.Server(settings)
    thread = threading.Thread(target=server.run, name="provider-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("provider-sim did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_S)
