"""`make bench ARGS=upstream-client`: provider-egress's upstream HTTP client, alone.

One provider-sim (zero latency) in a process of its own; this process drives the same
bounded load through aiohttp (what egress used before) and through `http1.HttpPool` (what
it uses now), interleaved, at concurrency 1 and 16, non-streamed and streamed, and prints
requests per second, latency p50/p99 and the CPU this process spent per call: the part of
egress's cost the client is. Loopback only; bounded in calls.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import orjson
import uvloop

from hicap.provider_egress.http1 import HttpPool

CALLS = {1: 2000, 16: 6000}
ROUNDS = 2
KEY = "sk-bench-upstream-client-0000000000000000"
HEADERS = {"content-type": "application/json", "authorization": f"Bearer {KEY}"}


def request_body(stream: bool) -> bytes:
    messages = [{"role": "user", "content": "Say hello to the upstream client bench."}]
    return orjson.dumps(
        {"model": "gpt-4.1", "messages": messages, "max_tokens": 40, "stream": stream}
    )


def serve_sim(port_out: multiprocessing.connection.Connection, stop: multiprocessing.Event) -> None:
    from hicap.provider_sim.testing import running_sim

    with running_sim() as url:
        port_out.send(url)
        stop.wait(600)


Call = Callable[[], Awaitable[int]]


def _aiohttp_call(session: aiohttp.ClientSession, url: str, body: bytes, stream: bool) -> Call:
    async def call() -> int:
        async with session.post(url, data=body, headers=HEADERS) as resp:
            if stream:
                n = 0
                while chunk := await resp.content.readany():
                    n += len(chunk)
                return n
            return len(await resp.read())

    return call


def _http1_call(pool: HttpPool, url: str, body: bytes, stream: bool) -> Call:
    async def call() -> int:
        resp = await pool.post(url, HEADERS, body)
        if stream:
            n = 0
            while chunk := await resp.read_chunk():
                n += len(chunk)
            resp.release()
            return n
        return len(await resp.read())

    return call


@dataclass(frozen=True, slots=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float


async def _drive(call: Call, concurrency: int, n: int) -> Result:
    latencies: list[float] = []
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            t = time.perf_counter()
            if await call() <= 0:
                raise RuntimeError("empty answer")
            latencies.append(time.perf_counter() - t)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    latencies.sort()
    return Result(
        n / wall,
        statistics.median(latencies) * 1e3,
        latencies[int(len(latencies) * 0.99)] * 1e3,
        cpu / n * 1e6,
    )


async def _run(base: str) -> None:
    url = base + "/v1/chat/completions"
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1024, limit_per_host=256),
        cookie_jar=aiohttp.DummyCookieJar(),
    )
    pool = HttpPool(connect_timeout_s=2.0)
    try:
        for stream in (False, True):
            body = request_body(stream)
            clients = {
                "aiohttp": _aiohttp_call(session, url, body, stream),
                "http1": _http1_call(pool, url, body, stream),
            }
            for concurrency, n in CALLS.items():
                results: dict[str, list[Result]] = {name: [] for name in clients}
                for call in clients.values():
                    await _drive(call, concurrency, 200)  # warm the pools
                for _ in range(ROUNDS):
                    for name, call in clients.items():
                        results[name].append(await _drive(call, concurrency, n))
                kind = "streamed" if stream else "non-streamed"
                print(f"{kind}, concurrency {concurrency} ({ROUNDS} interleaved rounds):")
                for name, rs in results.items():
                    best = max(rs, key=lambda r: r.rps)
                    print(
                        f"  {name:8} {best.rps:7,.0f} req/s  p50 {best.p50_ms:5.2f}  "
                        f"p99 {best.p99_ms:5.2f} ms  client CPU per call "
                        f"{min(r.cpu_us for r in rs):4.0f} us",
                        flush=True,
                    )
    finally:
        await session.close()
        await pool.close()


def main() -> None:
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    sim = ctx.Process(target=serve_sim, args=(send, stop), daemon=True)
    sim.start()
    try:
        if not receive.poll(30):
            raise SystemExit("provider-sim did not start")
        base = receive.recv()
        print("provider-sim in its own process, zero latency; this process is the client")
        uvloop.run(_run(base))
    finally:
        stop.set()
        sim.join(10)
        if sim.is_alive():
            sim.terminate()
