"""Where the time goes: sample running processes with py-spy while a load runs and
summarise the samples by function (own time) and by a few hot-path stages (inclusive).

py-spy (a dev dependency from PyPI) attaches by PID; it needs ptrace, which root in a
container has. When it cannot attach, the report says so instead of failing the bench.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

PY_SPY = str(Path(sys.executable).parent / "py-spy")
TOP = 15
STAGES = {
    # (label, substring of a frame "function (file)") — inclusive share of samples
    "uvicorn/httptools protocol": "httptools_impl.py",
    "ingress relay (Relay.handle)": "ingress/relay.py",
    "key lookup": "ingress/keys.py",
    "nats-py client": "nats/aio/client.py",
    "hot-path stream (hicap.bus)": "bus/hotpath.py",
    "egress wire translation": "provider_egress/wire/",
    "aiohttp client": "aiohttp/",
    "orjson/json": "json",
    "protobuf": "protobuf",
}


@dataclass
class ProfileReport:
    text: str = ""
    lines: list[str] = field(default_factory=list)


def summarise(name: str, collapsed: str) -> list[str]:
    own: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    total = 0
    for row in collapsed.splitlines():
        stack, _, count_s = row.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        total += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for label, needle in STAGES.items():
            if any(needle in f for f in frames):
                stages[label] += count
    if not total:
        return [f"{name}: no samples (is py-spy allowed to attach?)"]
    out = [f"{name}: {total} samples; inclusive share by stage:"]
    out += [f"    {100 * n / total:5.1f}%  {label}" for label, n in stages.most_common()]
    out.append(f"  own time, top {TOP} functions:")
    out += [f"    {100 * n / total:5.1f}%  {frame[:110]}" for frame, n in own.most_common(TOP)]
    return out


@contextlib.asynccontextmanager
async def profile_processes(
    pids: dict[str, int], duration_s: float
) -> AsyncIterator[ProfileReport]:
    report = ProfileReport()
    with tempfile.TemporaryDirectory(prefix="hicap-prof-") as tmp:
        procs = {}
        for name, pid in pids.items():
            out = Path(tmp) / f"{name}.txt"
            procs[name] = (
                await asyncio.create_subprocess_exec(
                    PY_SPY,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(duration_s)),
                    "--rate",
                    "250",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--output",
                    str(out),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                ),
                out,
            )
        yield report
        for name, (proc, out) in procs.items():
            _, err = await asyncio.wait_for(proc.communicate(), duration_s + 30)
            if proc.returncode != 0 or not out.exists():
                report.lines.append(f"{name}: py-spy failed: {err.decode()[-300:]}")
                continue
            report.lines += summarise(name, out.read_text())
    report.text = "\n".join(["profile (py-spy, concurrency 16):", *report.lines])
