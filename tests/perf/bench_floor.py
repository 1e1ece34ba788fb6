"""`make bench ARGS=floor`: the latency Hicap's shape costs before any of Hicap's work.

The same hops as the request path (client -> an HTTP edge -> NATS request/reply -> an
egress process -> HTTP to provider-sim, and back), each hop the leanest Python there is: an
httptools server that forwards the raw body, a nats-py responder that posts it with
egress's own `http1` client and answers with the raw body. No auth, parsing, translation,
admission or metering. What this adds over calling provider-sim directly is the floor of
the request-path bench's "added by hicap" on this machine: the targets cannot be met below
it without changing the shape. Loopback only; bounded in calls; stops by itself.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any, cast

import httptools
import nats
import uvloop

from hicap.provider_egress.http1 import HttpPool
from tests.fixtures.servers import start_nats_server
from tests.perf.bench_request_path import Result, added, cpu_per_request, cpu_s, drive_raw, line
from tests.perf.bench_upstream_client import HEADERS, request_body, serve_sim
from tests.perf.loadgen import RawRequest

SUBJECT = "floor.egress"
CALLS = {1: 2000, 16: 6000}
ROUNDS = 2


def _egress(nats_url: str, sim_url: str, ready: Pipe) -> None:
    async def run() -> None:
        nc = await nats.connect(nats_url)
        pool = HttpPool(connect_timeout_s=2.0)
        tasks: set[asyncio.Task[None]] = set()

        async def answer(msg: Any) -> None:
            resp = await pool.post(sim_url, HEADERS, msg.data)
            await msg.respond(await resp.read())

        async def on_request(msg: Any) -> None:
            task = asyncio.create_task(answer(msg))  # one task per call, as StreamServer
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        await nc.subscribe(SUBJECT, queue="floor", cb=on_request)
        await nc.flush()
        ready.send("ready")
        await asyncio.Event().wait()

    uvloop.run(run())


class _Edge(asyncio.Protocol):
    """One client connection: each whole request's body goes over NATS; the reply returns."""

    def __init__(self, nc: Any) -> None:
        self.nc = nc
        self.parser = httptools.HttpRequestParser(self)
        self.body: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body, self.body = b"".join(self.body), []
        asyncio.get_running_loop().create_task(self._relay(body))

    async def _relay(self, body: bytes) -> None:
        reply = await self.nc.request(SUBJECT, body, timeout=10)
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
        if self.transport is not None:
            self.transport.write(head % len(reply.data) + reply.data)


def _edge(nats_url: str, ready: Pipe) -> None:
    async def run() -> None:
        nc = await nats.connect(nats_url)
        server = await asyncio.get_running_loop().create_server(lambda: _Edge(nc), "127.0.0.1", 0)
        ready.send(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    uvloop.run(run())


async def _measure(edge_url: str, sim_url: str, pids: dict[str, int]) -> None:
    body = request_body(stream=False)
    via = RawRequest.post(edge_url, {"content-type": "application/json"}, body)
    direct = RawRequest.post(sim_url, {"content-type": "application/json", **HEADERS}, body)
    for concurrency, n in CALLS.items():
        await drive_raw(via, "floor", concurrency, 300)  # warm every pool on the way
        await drive_raw(direct, "direct", concurrency, 300)
        pairs: list[tuple[Result, Result]] = []
        cpu = ""
        for _ in range(ROUNDS):
            before = {name: cpu_s(pid) for name, pid in pids.items()}
            h = await drive_raw(via, "floor", concurrency, n)
            cpu = cpu_per_request(pids, before, h.n)
            pairs.append((h, await drive_raw(direct, "direct", concurrency, n)))
        h, d = min(pairs, key=lambda p: p[0].p50_ms - p[1].p50_ms)
        print(f"concurrency {concurrency} (the better of {ROUNDS} interleaved rounds):")
        print(cpu)
        print(line("bare edge, NATS, egress", h), line("direct to provider-sim", d), sep="\n")
        print(added(h, d).replace("added by hicap", "added by hops "), flush=True)


def main() -> None:
    ctx = multiprocessing.get_context("spawn")
    children: list[multiprocessing.process.BaseProcess] = []
    with tempfile.TemporaryDirectory() as tmp:
        nats_server = start_nats_server(Path(tmp))
        try:
            nats_url = f"nats://127.0.0.1:{nats_server.port}"
            receive, send = ctx.Pipe(duplex=False)
            stop = ctx.Event()
            children.append(ctx.Process(target=serve_sim, args=(send, stop), daemon=True))
            children[-1].start()
            if not receive.poll(30):
                raise SystemExit("provider-sim did not start")
            sim_url = receive.recv() + "/v1/chat/completions"
            children.append(ctx.Process(target=_egress, args=(nats_url, sim_url, send)))
            children[-1].start()
            if not receive.poll(30):
                raise SystemExit("the bare egress did not start")
            receive.recv()
            children.append(ctx.Process(target=_edge, args=(nats_url, send)))
            children[-1].start()
            if not receive.poll(30):
                raise SystemExit("the bare edge did not start")
            edge_url = f"http://127.0.0.1:{receive.recv()}/v1/chat/completions"
            print("the request path's hops with nothing on them; provider-sim at zero latency")
            pids = {"edge": children[2].pid, "egress": children[1].pid, "nats": nats_server.pid}
            uvloop.run(_measure(edge_url, sim_url, {k: v for k, v in pids.items() if v}))
        finally:
            stop.set()
            for child in children:
                child.terminate()
                child.join(10)
            nats_server.stop()
