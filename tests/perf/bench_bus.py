"""The bus on a real nats-server: JetStream publish-and-ack rate, command round trip, and
the hot path's request/stream-reply latency (first frame and whole stream)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import uvloop

from hicap.bus import (
    StreamClient,
    StreamRequest,
    StreamServer,
    commands,
    connect,
    ensure_streams,
    publish,
)
from hicap.events import auth_pb2, new_event
from tests.fixtures.servers import start_nats_server

N_PUBLISH = 3000
N_CALLS = 3000


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def report(name: str, samples_s: list[float]) -> None:
    ms = [s * 1000 for s in samples_s]
    print(
        f"{name:<36} p50 {statistics.median(ms):.3f} ms  p95 {pct(ms, 95):.3f} ms  "
        f"p99 {pct(ms, 99):.3f} ms  ({len(ms)} samples)"
    )


async def timed(n: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    out = []
    for _ in range(n):
        began = time.perf_counter()
        await call()
        out.append(time.perf_counter() - began)
    return out


async def run(url: str) -> None:
    bus = await connect(url, name="bench")
    await ensure_streams(bus)

    events = [
        new_event(auth_pb2.OrgCreated(org_id=f"o{i}"), org_id=f"o{i}") for i in range(N_PUBLISH)
    ]
    it = iter(events)
    report("publish + ack (sequential)", await timed(N_PUBLISH, lambda: publish(bus, next(it))))
    began = time.perf_counter()
    more = [
        new_event(auth_pb2.OrgCreated(org_id=f"p{i}"), org_id=f"p{i}") for i in range(N_PUBLISH)
    ]
    await asyncio.gather(*(publish(bus, e) for e in more))
    print(
        f"{'publish + ack (concurrent)':<36} {N_PUBLISH / (time.perf_counter() - began):,.0f} events/s"
    )

    async def echo(req: auth_pb2.OrgCreated) -> auth_pb2.OrgCreated:
        return req

    subject = commands.command_subject("bench", "echo")
    await commands.serve(bus, subject, auth_pb2.OrgCreated, echo, queue="bench")
    msg = auth_pb2.OrgCreated(org_id="o")
    report(
        "command round trip",
        await timed(N_CALLS, lambda: commands.request(bus, subject, msg, auth_pb2.OrgCreated)),
    )

    async def chunks(req: StreamRequest) -> AsyncIterator[bytes]:
        # Like egress relaying a provider's stream: each chunk after a wait for the next one.
        for _ in range(int(req.data)):
            yield b"x" * 64
            await asyncio.sleep(0)

    server = await StreamServer(bus, "hicap.egress.bench", chunks, queue="bench").start()
    client = await StreamClient(bus).start()
    first: list[float] = []
    whole: list[float] = []
    for _ in range(N_CALLS):
        began = time.perf_counter()
        stream = client.stream("hicap.egress.bench", b"20")
        await anext(stream)
        first.append(time.perf_counter() - began)
        async for _chunk in stream:
            pass
        whole.append(time.perf_counter() - began)
    report("stream: first frame", first)
    report("stream: 20 frames to end", whole)
    three: list[float] = []
    for _ in range(N_CALLS):  # a non-streamed answer: head, body, trailer, end
        began = time.perf_counter()
        async for _chunk in client.stream("hicap.egress.bench", b"3"):
            pass
        three.append(time.perf_counter() - began)
    report("stream: 3 frames to end", three)
    await client.stop()
    await server.stop()
    await bus.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hicap-bench-nats-") as tmp:
        server = start_nats_server(Path(tmp))
        try:
            uvloop.run(run(server.url))
        finally:
            server.stop()
