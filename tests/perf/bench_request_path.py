"""The request path under load: what Hicap adds on top of the provider.

Starts the platform with `hicap up` (provider-sim at zero latency behind the catalogue's
deployments, auth on) and drives the same bounded load at ingress and directly at
provider-sim: concurrency 1, 16 and 64, a fixed number of requests and a time cap per
run, from a raw keep-alive client (`loadgen`) so that the client's own CPU takes little
from the two cores it shares with what it measures; streaming uses aiohttp. Prints requests per second and p50/p95/p99 latency for each, the latency Hicap adds
(ingress minus direct, per percentile), where it sits (direct, through egress alone,
through ingress and egress, interleaved), the CPU each process spends per request,
streaming time to first token, and the resident memory of every process before and after.
The demo org reserves `RESERVED_MODEL` first, so the stages also compare a call admitted on
the reserved lane (lane decision, lease check, settle) with one on-demand. provider-sim
enforces no rate limits here (the demo's on-demand RPM would cap the load, and those are
the provider's limits, not Hicap's cost). With `--profile` it samples ingress and
provider-egress with py-spy during a concurrency-16 run and prints where their time goes.
Loopback only; everything stops by itself.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import orjson
import uvloop

from hicap.bus import StreamClient, connect
from hicap.catalog import load_baseline
from hicap.events import egress_pb2
from hicap.events.egress import egress_subject
from tests.e2e.platform import RunningPlatform, start_platform
from tests.fixtures.servers import free_port
from tests.perf.bench_startup import rss_mb
from tests.perf.loadgen import Connection, RawRequest
from tests.perf.profile import profile_processes

MODEL = "gpt-4.1"
SIM_KEY = "sk-hicap-provider-sim"
RUNS = ((1, 2000), (16, 6000), (64, 6000))  # (concurrency, requests)
STREAM_REQUESTS = 1000
WARMUP = 300
TIME_CAP_S = 60.0
PROFILE_S = 8.0
STAGE_ROUNDS = 1000
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "Say hello in five words"}]}
RESERVED_MODEL = "gpt-5.4"
RESERVED_STAGE = "via hicap, reserved lane"
RESERVED_TPM = 100_000  # the demo's reserved deployment; each stage call charges ~30 tokens


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    url: str
    headers: dict[str, str]
    body: bytes
    stream_body: bytes

    def raw(self, body: bytes | None = None) -> RawRequest:
        return RawRequest.post(self.url, self.headers, self.body if body is None else body)


@dataclass(frozen=True, slots=True)
class Result:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    n: int


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def targets(platform: RunningPlatform) -> tuple[Target, Target]:
    model = load_baseline().model(MODEL)
    assert model is not None, f"{MODEL} is not in the catalogue"
    deployment = model.deployments[0]
    sim_url = next(
        str(c["url"]) for c in platform_components(platform) if c["name"] == "provider-sim"
    )
    direct = {**BODY, "model": deployment.upstream_model}
    hicap = Target(
        "hicap",
        f"{platform.env['HICAP_BASE_URL']}/chat/completions",
        {
            "authorization": f"Bearer {platform.env['HICAP_API_KEY']}",
            "content-type": "application/json",
        },
        orjson.dumps(BODY),
        orjson.dumps({**BODY, "stream": True}),
    )
    sim = Target(
        "provider-sim",
        f"{sim_url}/d/{deployment.name}/v1/chat/completions",
        {"authorization": f"Bearer {SIM_KEY}", "content-type": "application/json"},
        orjson.dumps(direct),
        orjson.dumps({**direct, "stream": True}),
    )
    return hicap, sim


def platform_components(platform: RunningPlatform) -> list[dict[str, object]]:
    comps = platform.run_file["components"]
    assert isinstance(comps, list)
    return comps


class RawCaller:
    """`concurrency` keep-alive connections to one target; each call borrows a free one."""

    def __init__(self, request: RawRequest, name: str) -> None:
        self.request, self.name = request, name
        self.free: list[Connection] = []
        self.opened: list[Connection] = []

    async def open(self, concurrency: int) -> RawCaller:
        for _ in range(concurrency):
            conn = await Connection.open(self.request.host, self.request.port)
            self.free.append(conn)
            self.opened.append(conn)
        return self

    async def __call__(self) -> float:
        return (await self.answer())[0]

    async def answer(self) -> tuple[float, bytes]:
        """One call's latency and the lane it rode (`x-hicap-lane`)."""
        conn = self.free.pop()
        try:
            began = time.perf_counter()
            answer = await conn.call(self.request)
            took = time.perf_counter() - began
        finally:
            self.free.append(conn)
        if answer.status != 200:
            raise RuntimeError(f"{self.name} answered {answer.status}: {answer.body[:300]!r}")
        return took, answer.header(b"x-hicap-lane")

    def close(self) -> None:
        for conn in self.opened:
            conn.close()


async def drive_raw(
    request: RawRequest, name: str, concurrency: int, requests: int, time_cap_s: float = TIME_CAP_S
) -> Result:
    caller = await RawCaller(request, name).open(concurrency)
    try:
        return await drive(caller, concurrency, requests, time_cap_s)
    finally:
        caller.close()


async def first_token(session: aiohttp.ClientSession, t: Target) -> float:
    """Time to the first SSE event that carries content (not the role-only chunk)."""
    began = time.perf_counter()
    async with session.post(t.url, data=t.stream_body, headers=t.headers) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{t.name} answered {resp.status}: {await resp.text()}")
        took = 0.0
        async for line in resp.content:
            if not took and line.startswith(b"data: {") and b'"content":"' in line:
                took = time.perf_counter() - began
        return took


async def drive(
    call: Callable[[], Awaitable[float]],
    concurrency: int,
    requests: int,
    time_cap_s: float = TIME_CAP_S,
) -> Result:
    samples: list[float] = []
    remaining = requests
    deadline = time.monotonic() + time_cap_s

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            samples.append(await call())

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return Result(
        len(samples) / elapsed, pct(samples, 50), pct(samples, 95), pct(samples, 99), len(samples)
    )


def line(name: str, r: Result) -> str:
    return (
        f"  {name:<34} {r.rps:8,.0f} req/s  p50 {r.p50_ms:6.2f}  p95 {r.p95_ms:6.2f}"
        f"  p99 {r.p99_ms:6.2f} ms  (n={r.n})"
    )


def added(h: Result, d: Result) -> str:
    return (
        f"  {'added by hicap':<34} {'':>14}  p50 {h.p50_ms - d.p50_ms:6.2f}"
        f"  p95 {h.p95_ms - d.p95_ms:6.2f}  p99 {h.p99_ms - d.p99_ms:6.2f} ms"
    )


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(pids: dict[str, int], before: dict[str, float], n: int) -> str:
    spent = {name: (cpu_s(pid) - before[name]) / n * 1e6 for name, pid in pids.items()}
    busy = {name: us for name, us in spent.items() if us >= 1}
    parts = [f"{name} {us:.0f}" for name, us in sorted(busy.items(), key=lambda kv: -kv[1])]
    return f"  {'CPU per request (us)':<34} " + ", ".join(parts)


def reserve(platform: RunningPlatform) -> None:
    """The demo org reserves RESERVED_MODEL; returns once the reservation is active."""
    admin = {"authorization": f"Bearer {platform.env['HICAP_ADMIN_KEY']}"}
    base = platform.env["HICAP_BASE_URL"]
    body = {"model": RESERVED_MODEL, "tpm": RESERVED_TPM}
    created = httpx.post(f"{base}/admin/reservations", json=body, headers=admin, timeout=30)
    assert created.status_code == 201, created.text
    url = f"{base}/admin/reservations/{created.json()['id']}"
    deadline = time.monotonic() + 60
    while httpx.get(url, headers=admin, timeout=30).json()["status"] != "active":
        assert time.monotonic() < deadline, "the reservation did not activate"
        time.sleep(0.2)
    time.sleep(2)  # ingress's projection and first lease


async def stages(hicap: Target, sim: Target, nats_url: str) -> None:
    """Where the added time sits at concurrency 1: the same call directly at provider-sim,
    through provider-egress over NATS (no ingress, no auth), and through ingress, interleaved
    in one run so the machine's noise hits all three alike."""
    bus = await connect(nats_url, name="bench-stages")
    client = await StreamClient(bus).start()
    model = load_baseline().model(MODEL)
    assert model is not None
    call = egress_pb2.EgressCall(
        request_id="bench", org_id="bench", surface=egress_pb2.SURFACE_OPENAI_CHAT,
        body=hicap.body, model=MODEL, deadline_s=30.0,
        targets=[egress_pb2.EgressTarget(deployment=d.name, provider=d.provider,
                                         upstream_model=d.upstream_model)
                 for d in model.deployments],
    ).SerializeToString()  # fmt: skip

    async def via_egress() -> float:
        began = time.perf_counter()
        async for _frame in client.stream(egress_subject(model.provider), call):
            pass
        return time.perf_counter() - began

    small = {**BODY, "max_tokens": 16}
    direct = await RawCaller(sim.raw(), "provider-sim").open(1)
    via = await RawCaller(hicap.raw(), "hicap").open(1)
    on_demand = await RawCaller(hicap.raw(orjson.dumps(small)), "hicap").open(1)
    reserved_body = orjson.dumps({**small, "model": RESERVED_MODEL})
    reserved = await RawCaller(hicap.raw(reserved_body), "hicap").open(1)
    calls: dict[str, Callable[[], Awaitable[float]]] = {
        "direct to provider-sim": direct,
        "egress over NATS (no ingress)": via_egress,
        "via hicap (ingress, egress)": via,
        "via hicap, on-demand, max_tokens": on_demand,
    }
    samples: dict[str, list[float]] = {name: [] for name in [*calls, RESERVED_STAGE]}
    lanes: Counter[str] = Counter()
    for _ in range(STAGE_ROUNDS):
        for name, call_once in calls.items():
            samples[name].append(await call_once())
        took, lane_bytes = await reserved.answer()
        lane = lane_bytes.decode()
        lanes[lane] += 1
        if lane == "reserved":  # a window's first call may spill while the lease comes
            samples[RESERVED_STAGE].append(took)
    print("stages, concurrency 1, interleaved:")
    for name, xs in samples.items():
        if xs:
            print(f"  {name:<34} p50 {pct(xs, 50):6.2f}  p95 {pct(xs, 95):6.2f} ms")
    print(f"  lanes of the reserved-model calls: {dict(lanes)}")
    for caller in (direct, via, on_demand, reserved):
        caller.close()
    await client.stop()
    await bus.close()


async def load(
    hicap: Target,
    sim: Target,
    pids: dict[str, int],
    nats_url: str,
    *,
    profile: RunningPlatform | None,
) -> None:
    # Idle connections close on our side before uvicorn's 5 s keep-alive closes them on its own
    # (a POST on a connection the server is closing fails rather than being retried).
    connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=3.0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for t in (hicap, sim):
            await drive_raw(t.raw(), t.name, 16, WARMUP)
        await stages(hicap, sim, nats_url)
        for concurrency, requests in RUNS:
            print(f"non-streaming, concurrency {concurrency}:", flush=True)
            before = {name: cpu_s(pid) for name, pid in pids.items()}
            h = await drive_raw(hicap.raw(), hicap.name, concurrency, requests)
            print(cpu_per_request(pids, before, h.n))
            d = await drive_raw(sim.raw(), sim.name, concurrency, requests)
            print(line("via hicap", h), line("direct to provider-sim", d), added(h, d), sep="\n")
        print("streaming, time to first token, concurrency 1:", flush=True)
        h = await drive(lambda: first_token(session, hicap), 1, STREAM_REQUESTS)
        d = await drive(lambda: first_token(session, sim), 1, STREAM_REQUESTS)
        print(line("via hicap", h), line("direct to provider-sim", d), added(h, d), sep="\n")
        if profile is not None:
            pids = {
                n: p
                for n, p in profile.component_pids.items()
                if n in ("ingress", "provider-egress")
            }
            async with profile_processes(pids, duration_s=PROFILE_S) as report:
                await drive_raw(hicap.raw(), hicap.name, 16, 10**6, time_cap_s=PROFILE_S + 1)
            print(report.text)


def memory(platform: RunningPlatform) -> dict[str, float]:
    return {name: rss_mb(pid) for name, pid in platform.component_pids.items()}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory(prefix="hicap-bench-") as tmp:
        unlimited = Path(tmp) / "no-limits.toml"
        unlimited.write_text("version = 1\n")
        env = {"HICAP_PROVIDER_SIM_DEPLOYMENTS_FILE": str(unlimited)}
        platform = start_platform(Path(tmp) / "data", free_port(), env=env)
        try:
            reserve(platform)
            hicap, sim = targets(platform)
            before = memory(platform)
            pids = {**platform.component_pids, "load generator": os.getpid()}
            profile = platform if "--profile" in argv else None
            nats_url = str(platform.run_file["nats_url"])
            uvloop.run(load(hicap, sim, pids, nats_url, profile=profile))
            after = memory(platform)
        finally:
            platform.stop()
    print("resident memory (MB), before -> after:")
    for name in sorted(before, key=lambda n: -after.get(n, 0)):
        print(f"  {name:<20} {before[name]:7.1f} -> {after.get(name, 0):7.1f}")
    hot = after.get("ingress", 0) + after.get("provider-egress", 0)
    print(f"  {'ingress + egress':<20} {'':>7}    {hot:7.1f}")
