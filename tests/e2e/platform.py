"""Start the whole platform as a user does (`hicap up`) for e2e tests, and stop it by PID.

Free of pytest, so e2e fixtures and benchmarks share it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import orjson

HICAP = str(Path(sys.executable).parent / "hicap")


class PlatformFailed(RuntimeError):
    pass


@dataclass
class RunningPlatform:
    data_dir: Path
    port: int
    proc: subprocess.Popen[bytes]
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=5000))
    started_s: float = 0.0
    env: dict[str, str] = field(default_factory=dict)  # HICAP_BASE_URL, _API_KEY, _ADMIN_KEY

    @property
    def run_file(self) -> dict[str, object]:
        return dict(orjson.loads((self.data_dir / "run" / "platform.json").read_bytes()))

    @property
    def component_pids(self) -> dict[str, int]:
        comps = self.run_file["components"]
        assert isinstance(comps, list)
        return {c["name"]: int(c["pid"]) for c in comps}

    def output(self) -> str:
        return "\n".join(self.lines)

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout_s)

    def stop(self, timeout_s: float = 15.0) -> float:
        """SIGINT, as Ctrl-C would; return how long the platform took to exit."""
        if self.proc.poll() is not None:
            return 0.0
        began = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise
        return time.monotonic() - began


def start_platform(
    data_dir: Path,
    port: int,
    *,
    extra_args: tuple[str, ...] = (),
    timeout_s: float = 180.0,
    env: dict[str, str] | None = None,
) -> RunningPlatform:
    """`hicap up --data-dir DIR --port N` (with `env` over this process's environment),
    waited on until its banner; raises with its output."""
    began = time.monotonic()
    proc = subprocess.Popen(
        [HICAP, "up", "--data-dir", str(data_dir), "--port", str(port), *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "COLUMNS": "200", "TERM": "dumb", **(env or {})},
    )
    running = RunningPlatform(data_dir, port, proc)
    up = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            running.lines.append(line)
            if line.startswith("HICAP_") and "=" in line:
                name, _, value = line.partition("=")
                running.env[name] = value
            if line.startswith("HICAP_ADMIN_KEY="):  # the banner's last line
                up.set()

    threading.Thread(target=drain, daemon=True).start()
    while not up.wait(0.1):
        if proc.poll() is not None or time.monotonic() - began > timeout_s:
            running.stop() if proc.poll() is None else None
            raise PlatformFailed(f"hicap up did not come up:\n{running.output()[-6000:]}")
    running.started_s = time.monotonic() - began
    return running


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive: it only waits for its parent to read its status
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0]
    except OSError:
        return False
    return state != "Z"
