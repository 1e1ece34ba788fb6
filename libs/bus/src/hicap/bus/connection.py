"""The connection to NATS and JetStream. The only module that calls `nats.connect`.

Reconnects forever once connected (a service rides out a NATS restart); at start it
tries for a bounded time and then fails with a clear error naming the URL (without its
credentials). The hot path's request/stream-reply rides a second, lean connection of its
own (`Bus.hot_wire()`, a `Wire`), opened to the same servers the first time it is asked
for; JetStream, commands and projections stay on nats-py's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client
from nats.errors import NoServersError
from nats.js import JetStreamContext

from hicap.bus.errors import BusUnavailable
from hicap.bus.wire import Wire

log = logging.getLogger(__name__)

# Large enough for a 10 MiB request body plus its envelope (nats-server is started with a
# matching max_payload).
MAX_PAYLOAD_BYTES = 12 * 1024 * 1024


@dataclass(slots=True)
class Bus:
    """A live connection: core NATS (`nc`) and JetStream (`js`)."""

    nc: Client
    js: JetStreamContext
    name: str
    servers: tuple[str, ...] = ()
    _wire: asyncio.Task[Wire] | None = field(default=None, init=False, repr=False)

    @property
    def connected(self) -> bool:
        """nats-py's connection is up, and the hot path's too once it was asked for."""
        wire = self._wire
        hot = wire is None or (wire.done() and not _failed(wire) and wire.result().connected)
        return bool(self.nc.is_connected) and hot

    async def hot_wire(self, timeout_s: float = 5.0) -> Wire:
        """The hot path's connection: opened on first use, then shared by the process."""
        if self._wire is None or _failed(self._wire):
            wire = Wire(self.servers, name=f"{self.name}-hot")
            self._wire = asyncio.get_running_loop().create_task(wire.start(timeout_s))
        return await asyncio.shield(self._wire)

    async def close(self) -> None:
        task, self._wire = self._wire, None
        if task is not None:
            if task.done() and not _failed(task):
                await task.result().close()
            else:
                task.cancel()  # still connecting: it aborts its connection
        if not self.nc.is_closed:
            try:
                await self.nc.drain()
            except (TimeoutError, nats.errors.ConnectionClosedError):
                await self.nc.close()


async def connect(url: str, *, name: str, timeout_s: float = 5.0) -> Bus:
    """Connect to NATS, retrying for up to `timeout_s`, then raise `BusUnavailable`."""
    servers = [u.strip() for u in url.split(",") if u.strip()]

    holder: list[Client] = []

    async def on_disconnect() -> None:
        if holder and (holder[0].is_closed or holder[0].is_draining):
            return  # our own shutdown
        log.warning("disconnected from NATS; reconnecting", extra={"nats": servers})

    async def on_reconnect() -> None:
        log.info("reconnected to NATS", extra={"nats": servers})

    async def on_error(exc: Exception) -> None:
        if holder:  # before the first connection the caller gets one clear error instead
            log.warning("NATS connection error: %s", exc)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: Exception | None = None
    while (remaining := deadline - loop.time()) > 0:
        try:
            # nats-py retries an initial connect as long as reconnects are allowed, i.e.
            # forever here: the deadline bounds it.
            nc = await asyncio.wait_for(
                nats.connect(
                    servers=servers,
                    name=name,
                    connect_timeout=min(2.0, timeout_s),
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    disconnected_cb=on_disconnect,
                    reconnected_cb=on_reconnect,
                    error_cb=on_error,
                ),
                remaining,
            )
            holder.append(nc)
            return Bus(nc=nc, js=nc.jetstream(), name=name, servers=tuple(servers))
        except (TimeoutError, NoServersError, OSError) as exc:
            last = exc
            await asyncio.sleep(0.2)
    shown = ", ".join(_without_credentials(s) for s in servers)
    raise BusUnavailable(
        f"cannot reach NATS at {shown} within {timeout_s:g}s ({last or type(last).__name__}); "
        "is nats-server running? (`hicap up` starts one; HICAP_NATS_URL points elsewhere)"
    )


def _without_credentials(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _failed(task: asyncio.Task[Wire]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)
