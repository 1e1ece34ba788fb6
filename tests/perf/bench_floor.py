"""`make bench ARGS=floor`: the latency Hicap's shape costs before any of Hicap's work.

The same hops as the request path (client -> an HTTP edge -> NATS request/reply -> an
egress process -> HTTP to provider-sim, and back), each hop the leanest Python there is: an
httptools server that forwards the raw body, a responder that posts it with egress's own
`http1` client and answers with the raw body, both on the hot path's own NATS connection
(`hicap.bus.wire`). No auth, parsing, translation,
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
from typing import cast

import httptools
import uvloop

from hicap.bus.wire import Wire, WireMsg
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
        wire = await Wire([nats_url], name="floor-egress").start()
        pool = HttpPool(connect_timeout_s=2.0)
        tasks: set[asyncio.Task[None]] = set()

        async def answer(msg: WireMsg) -> None:
            resp = await pool.post(sim_url, HEADERS, msg.data)
            wire.publish(msg.reply, await resp.read())

        def on_request(msg: WireMsg) -> None:
            task = asyncio.create_task(answer(msg))  # one task per call, as StreamServer
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        wire.subscribe(SUBJECT, on_request, queue="floor")
        await wire.flush()
        ready.send("ready")
        await asyncio.Event().wait()

    uvloop.run(run())


class _Requests:
    """Request/reply over one wildcard inbox, as StreamClient routes its calls."""

    def __init__(self, wire: Wire) -> None:
        self.wire, self.inbox = wire, wire.new_inbox()
        self.waiting: dict[str, asyncio.Future[bytes]] = {}
        self.next_id = 0
        wire.subscribe(f"{self.inbox}.*", self._answered)

    def _answered(self, msg: WireMsg) -> None:
        waiter = self.waiting.pop(msg.subject, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(msg.data)

    async def request(self, data: bytes) -> bytes:
        self.next_id += 1
        reply = f"{self.inbox}.{self.next_id:x}"
        waiter = self.waiting[reply] = asyncio.get_running_loop().create_future()
        self.wire.publish(SUBJECT, data, reply=reply)
        return await asyncio.wait_for(waiter, 10)


class _Edge(asyncio.Protocol):
    """One client connection: each whole request's body goes over NATS; the reply returns."""

    def __init__(self, requests: _Requests) -> None:
        self.requests = requests
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
        reply = await self.requests.request(body)
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
        if self.transport is not None:
            self.transport.write(head % len(reply) + reply)


def _edge(nats_url: str, ready: Pipe) -> None:
    async def run() -> None:
        requests = _Requests(await Wire([nats_url], name="floor-edge").start())
        server = await asyncio.get_running_loop().create_server(
            lambda: _Edge(requests), "127.0.0.1", 0
        )
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
