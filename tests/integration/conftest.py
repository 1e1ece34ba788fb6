"""Integration fixtures on top of the session servers: a connected bus with its streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hicap.bus import Bus, connect, ensure_streams
from tests.fixtures.servers import NatsServer


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    """A bus connection to the session's nats-server, with every stream declared."""
    connection = await connect(nats_server.url, name="hicap-test")
    await ensure_streams(connection)
    yield connection
    await connection.close()
