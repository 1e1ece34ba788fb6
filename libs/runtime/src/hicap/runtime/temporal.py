"""Connecting a service to Temporal, retrying while the server starts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError

from hicap.errors import Unavailable
from hicap.runtime.service import Runtime

log = logging.getLogger(__name__)


async def connect_temporal(
    rt: Runtime[Any], address: str, namespace: str, *, timeout_s: float = 30.0
) -> Client:
    """A Temporal client; raises Unavailable naming the address if it cannot connect in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            client = await Client.connect(address, namespace=namespace)
        except (RPCError, RuntimeError, OSError) as exc:
            if loop.time() > deadline:
                raise Unavailable(f"cannot reach Temporal at {address}: {exc}") from exc
            rt.detail = f"waiting for Temporal at {address}"
            await asyncio.sleep(0.5)
            continue
        rt.detail = ""
        log.info("connected to Temporal", extra={"temporal": address, "namespace": namespace})
        return client
