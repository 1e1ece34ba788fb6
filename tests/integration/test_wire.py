"""`Wire`, the hot path's NATS connection, against a real nats-server: what it sends and
receives interoperates with nats-py, and it rides out what a NATS connection meets
(restarts, limits, credentials, silence)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme

from hicap.bus import Bus, connect
from hicap.bus.errors import BusUnavailable
from hicap.bus.wire import Wire, WireMsg
from hicap.errors import PayloadTooLarge
from tests.asserts import assert_eventually
from tests.fixtures.servers import NatsServer


class Inbox:
    """What a subscription received, and a way to wait for the n-th message."""

    def __init__(self) -> None:
        self.messages: list[WireMsg] = []
        self._arrived = asyncio.Event()

    def __call__(self, msg: WireMsg) -> None:
        self.messages.append(msg)
        self._arrived.set()

    async def wait_for(self, n: int, timeout_s: float = 5.0) -> list[WireMsg]:
        async with asyncio.timeout(timeout_s):
            while len(self.messages) < n:
                self._arrived.clear()
                await self._arrived.wait()
        return self.messages


def configured(factory: Callable[..., NatsServer], tmp_path: Path, config: str) -> NatsServer:
    """A private nats-server started with this configuration file text."""
    path = tmp_path / "nats.conf"
    path.write_text(config)
    return factory(extra_args=["-c", str(path)])


@asynccontextmanager
async def opened(url: str, **options: Any) -> AsyncIterator[Wire]:
    wire = await Wire([url], name="t", **options).start()
    try:
        yield wire
    finally:
        await wire.close()


@pytest.fixture
async def wire(nats_server: NatsServer) -> AsyncIterator[Wire]:
    w = await Wire([nats_server.url], name="test-wire").start()
    yield w
    await w.close()


async def test_a_message_reaches_a_nats_py_subscriber_with_its_reply_and_headers(
    wire: Wire, bus: Bus, org_id: str
) -> None:
    got: asyncio.Queue[object] = asyncio.Queue()

    async def seen(msg: object) -> None:
        await got.put(msg)

    sub = await bus.nc.subscribe(f"wire.{org_id}", cb=seen)
    # nats-py's flush() can return before the server has the SUB (about 1 in 800 here):
    # a message of its own through the subscription proves it is in place.
    await bus.nc.publish(f"wire.{org_id}", b"probe")
    assert (await asyncio.wait_for(got.get(), 5)).data == b"probe"  # type: ignore[attr-defined]
    wire.publish(f"wire.{org_id}", b"plain", reply=f"back.{org_id}")
    wire.publish(f"wire.{org_id}", b"with headers", headers={"traceparent": "00-ab-cd-01"})
    first, second = await asyncio.wait_for(got.get(), 5), await asyncio.wait_for(got.get(), 5)
    await sub.unsubscribe()
    assert (first.data, first.reply, first.headers) == (b"plain", f"back.{org_id}", None)  # type: ignore[attr-defined]
    assert second.data == b"with headers"  # type: ignore[attr-defined]
    assert second.headers == {"traceparent": "00-ab-cd-01"}  # type: ignore[attr-defined]


async def test_a_nats_py_message_reaches_a_wire_subscriber_with_its_headers(
    wire: Wire, bus: Bus, org_id: str
) -> None:
    inbox = Inbox()
    wire.subscribe(f"wire.{org_id}.>", inbox)
    await wire.flush()
    await bus.nc.publish(f"wire.{org_id}.a", b"one", reply="r.1", headers={"K": "v 1"})
    await bus.nc.publish(f"wire.{org_id}.b", b"")
    await bus.nc.flush()
    a, b = await inbox.wait_for(2)
    assert (a.subject, a.reply, a.data, a.headers) == (
        f"wire.{org_id}.a",
        "r.1",
        b"one",
        {"K": "v 1"},
    )
    assert (b.subject, b.reply, b.data, b.headers) == (f"wire.{org_id}.b", "", b"", None)


async def test_a_queue_group_gives_each_message_to_one_member(
    nats_server: NatsServer, org_id: str
) -> None:
    a, b = Inbox(), Inbox()
    members = [await Wire([nats_server.url], name=f"m{i}").start() for i in range(2)]
    sender = await Wire([nats_server.url], name="sender").start()
    try:
        members[0].subscribe(f"q.{org_id}", a, queue="workers")
        members[1].subscribe(f"q.{org_id}", b, queue="workers")
        for m in members:
            await m.flush()
        for i in range(200):
            sender.publish(f"q.{org_id}", str(i).encode())
        await sender.flush()
        await assert_eventually(lambda: len(a.messages) + len(b.messages) == 200, timeout=5)
        got = sorted(int(m.data) for m in a.messages + b.messages)
        assert got == list(range(200)) and a.messages and b.messages
    finally:
        for w in (*members, sender):
            await w.close()


async def test_a_request_nobody_serves_is_answered_with_status_503(wire: Wire, org_id: str) -> None:
    inbox = Inbox()
    wire.subscribe(f"_INBOX.{org_id}.*", inbox)
    wire.publish(f"nobody.{org_id}", b"x", reply=f"_INBOX.{org_id}.1")
    [answer] = await inbox.wait_for(1)
    assert answer.headers is not None and answer.headers["Status"] == "503"


async def test_a_10_mib_message_arrives_whole(
    nats_server_factory: Callable[..., NatsServer], tmp_path: Path
) -> None:
    server = configured(nats_server_factory, tmp_path, "max_payload: 12MB\n")  # as `hicap up`
    async with opened(server.url) as wire:
        inbox = Inbox()
        wire.subscribe("big", inbox)
        body = bytes(range(256)) * (10 * 4096)  # 10 MiB, every byte value, many reads
        wire.publish("big", body, headers={"n": "1"})
        wire.publish("big", b"after")
        first, second = await inbox.wait_for(2, timeout_s=20)
    assert first.data == body and first.headers == {"n": "1"} and second.data == b"after"


async def test_a_message_over_max_payload_is_refused_and_the_connection_carries_on(
    nats_server_factory: Callable[..., NatsServer], tmp_path: Path
) -> None:
    server = configured(nats_server_factory, tmp_path, "max_payload: 1KB\n")
    async with opened(server.url) as wire:
        inbox = Inbox()
        wire.subscribe("small", inbox)
        assert wire.max_payload == 1024
        with pytest.raises(PayloadTooLarge, match="max_payload"):
            wire.publish("small", b"x" * 1025)
        with pytest.raises(PayloadTooLarge):
            wire.publish("small", b"x" * 1000, headers={"name": "y" * 100})
        wire.publish("small", b"fits")
        assert [m.data for m in await inbox.wait_for(1)] == [b"fits"]


async def test_after_nats_restarts_it_subscribes_again_and_sends_what_waited(
    nats_server_factory: Callable[..., NatsServer], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = nats_server_factory(tmp_path / "js")
    async with opened(server.url, reconnect_wait_s=0.05) as wire:
        inbox = Inbox()
        wire.subscribe("after.restart", inbox)
        wire.publish("after.restart", b"before")
        await inbox.wait_for(1)
        server.stop()
        await assert_eventually(lambda: not wire.connected, timeout=5)
        wire.publish("after.restart", b"while away")  # held until the connection is back
        server.restart()
        await assert_eventually(lambda: wire.connected, timeout=10)
        wire.publish("after.restart", b"after")
        got = await inbox.wait_for(3, timeout_s=10)
    assert [m.data for m in got] == [b"before", b"while away", b"after"]
    assert "reconnecting" in caplog.text


async def test_while_nats_is_away_publishing_past_the_buffer_is_refused(
    nats_server_factory: Callable[..., NatsServer], tmp_path: Path
) -> None:
    server = nats_server_factory(tmp_path / "js")
    async with opened(server.url, reconnect_buffer_bytes=1000) as wire:
        server.stop()
        await assert_eventually(lambda: not wire.connected, timeout=5)
        wire.publish("s", b"x" * 900)
        with pytest.raises(BusUnavailable, match="buffer is full"):
            wire.publish("s", b"x" * 200)
    with pytest.raises(BusUnavailable, match="closed"):
        wire.publish("s", b"x")


async def test_credentials_come_from_the_url_and_never_show_in_an_error(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory(extra_args=["--user", "hot", "--pass", "s3cret-pw"])
    good = f"nats://hot:s3cret-pw@127.0.0.1:{server.port}"
    async with opened(good) as wire:
        await wire.flush()
    bad = f"nats://hot:wrong-pw@127.0.0.1:{server.port}"
    with pytest.raises(BusUnavailable, match="Authorization Violation") as err:
        await Wire([bad], name="t").start(timeout_s=1.0)
    assert "wrong-pw" not in str(err.value) and f"127.0.0.1:{server.port}" in str(err.value)


async def test_the_bus_opens_one_hot_wire_to_its_servers_and_closes_it(
    nats_server: NatsServer,
) -> None:
    bus = await connect(nats_server.url, name="t")
    first, second = await asyncio.gather(bus.hot_wire(), bus.hot_wire())
    assert first is second and first.connected and bus.connected
    await first.close()
    assert not bus.connected  # a service whose hot path cannot reach NATS is not ready
    bus_again = await connect(nats_server.url, name="t")
    wire = await bus_again.hot_wire()
    await bus_again.close()
    assert not wire.connected and not bus_again.connected
    await bus.close()


async def test_server_pings_are_answered(
    nats_server_factory: Callable[..., NatsServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="hicap.bus.wire")
    server = configured(nats_server_factory, tmp_path, 'ping_interval: "100ms"\nping_max: 1\n')
    async with opened(server.url) as wire:
        inbox = Inbox()
        wire.subscribe("alive", inbox)
        await asyncio.sleep(1.0)  # ten server PINGs: unanswered, the server drops us at two
        wire.publish("alive", b"still here")
        await inbox.wait_for(1)
        assert wire.connected
    assert "lost" not in caplog.text  # the same connection throughout, never a reconnect


async def test_a_server_that_stops_answering_pings_is_left_for_another(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A half-open connection (the server's host vanished): no PONG comes back."""
    pongs = 0

    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal pongs
        writer.write(b'INFO {"max_payload":1048576}\r\n')
        while line := await reader.readline():
            if line == b"PING\r\n" and pongs == 0:  # the handshake's, then silence
                pongs += 1
                writer.write(b"PONG\r\n")

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    caplog.set_level(logging.WARNING, logger="hicap.bus.wire")
    async with opened(f"nats://127.0.0.1:{port}", ping_interval_s=0.05) as wire:
        await assert_eventually(lambda: not wire.connected, timeout=5)
    server.close()
    assert "answered no PING" in caplog.text


async def test_a_server_that_requires_tls_is_spoken_to_over_tls(
    nats_server_factory: Callable[..., NatsServer], tmp_path: Path
) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(tmp_path / "cert.pem")
    cert.private_key_pem.write_to_path(tmp_path / "key.pem")
    tls = f'tls {{\n cert_file: "{tmp_path}/cert.pem"\n key_file: "{tmp_path}/key.pem"\n}}\n'
    server = configured(nats_server_factory, tmp_path, tls)
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    async with opened(server.url, tls_context=trusted) as wire:
        inbox = Inbox()
        wire.subscribe("over.tls", inbox)
        wire.publish("over.tls", b"sealed", headers={"k": "v"})
        [msg] = await inbox.wait_for(1)
    assert (msg.data, msg.headers) == (b"sealed", {"k": "v"})
    with pytest.raises(BusUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        await Wire([server.url], name="t").start(timeout_s=1.0)  # a CA we do not trust
