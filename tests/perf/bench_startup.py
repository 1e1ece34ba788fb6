"""How long `hicap up` takes to be ready and to stop, and each process's resident memory
at idle. Three starts on one data dir: the first on an empty dir, then warm restarts."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tests.e2e.platform import start_platform
from tests.fixtures.servers import free_port

RUNS = 3
IDLE_S = 5.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hicap-bench-") as tmp:
        data = Path(tmp) / "data"
        ready_s, stop_s = [], []
        memory: dict[str, float] = {}
        for run in range(RUNS):
            platform = start_platform(data, free_port())
            ready_s.append(platform.started_s)
            time.sleep(IDLE_S)
            if run == RUNS - 1:
                memory = {name: rss_mb(pid) for name, pid in platform.component_pids.items()}
            stop_s.append(platform.stop())
            kind = "empty data dir" if run == 0 else "warm restart"
            print(
                f"run {run + 1} ({kind}): ready in {ready_s[-1]:.2f}s, stopped in {stop_s[-1]:.2f}s"
            )
        print(f"ready: first {ready_s[0]:.2f}s, warm median {statistics.median(ready_s[1:]):.2f}s")
        print(f"stop: max {max(stop_s):.2f}s")
        print(f"resident memory after {IDLE_S:g}s idle (MB):")
        for name, mb in sorted(memory.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<20} {mb:7.1f}")
        print(f"  {'total':<20} {sum(memory.values()):7.1f}")
