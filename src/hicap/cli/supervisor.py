"""Child processes of `hicap up`: start, prefix and log their output, stop them all.

Each child runs in a session of its own (so a Ctrl-C at the terminal reaches only the
supervisor, which stops the children in order) and is told by the kernel to stop if the
supervisor itself dies (PR_SET_PDEATHSIG). Every line a child prints is written to
`<data dir>/logs/<name>.log` and echoed to the terminal behind its name.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

LineWatcher = Callable[[str], None]
PALETTE = (
    "cyan",
    "magenta",
    "green",
    "yellow",
    "blue",
    "bright_cyan",
    "bright_magenta",
    "bright_green",
    "bright_blue",
)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: start a session of its own and get SIGTERM if we die."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(slots=True)
class ChildSpec:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_file: Path
    restart: bool = False  # restart when it exits while the platform runs


@dataclass(slots=True)
class Child:
    spec: ChildSpec
    proc: asyncio.subprocess.Process
    pump: asyncio.Task[None] | None = None  # copies its output to the log and terminal
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    watchers: list[LineWatcher] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    @property
    def running(self) -> bool:
        return self.proc.returncode is None


class Supervisor:
    """Owns the children it started; ends them by their own process groups."""

    def __init__(self, console: Console, *, echo: bool = True) -> None:
        self.console = console
        self.echo = echo
        self.children: dict[str, Child] = {}
        self._colors: dict[str, str] = {}
        self._width = 10

    async def start(self, spec: ChildSpec, *, watch: LineWatcher | None = None) -> Child:
        spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        proc = await asyncio.create_subprocess_exec(
            *spec.argv,
            env=spec.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            limit=1024 * 1024,
        )
        self._colors.setdefault(spec.name, PALETTE[len(self._colors) % len(PALETTE)])
        self._width = max(self._width, len(spec.name))
        child = Child(spec, proc)
        if watch is not None:
            child.watchers.append(watch)
        child.pump = asyncio.create_task(self._pump(child), name=f"pump-{spec.name}")
        self.children[spec.name] = child
        return child

    async def _pump(self, child: Child) -> None:
        assert child.proc.stdout is not None
        with child.spec.log_file.open("a", encoding="utf-8") as log:
            async for raw in child.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self._emit(child, line, log)

    def _emit(self, child: Child, line: str, log: TextIO) -> None:
        log.write(line + "\n")
        log.flush()
        child.tail.append(line)
        for watch in child.watchers:
            watch(line)
        if self.echo:
            prefix = Text(
                f"{child.spec.name:>{self._width}} | ", style=self._colors[child.spec.name]
            )
            self.console.print(prefix + Text(line), highlight=False, soft_wrap=True)

    async def stop(self, names: list[str], *, grace_s: float) -> None:
        """SIGTERM these children's process groups, wait up to grace_s, then SIGKILL."""
        live = [self.children[n] for n in names if n in self.children and self.children[n].running]
        for child in live:
            _signal_group(child.pid, signal.SIGTERM)
        if live:
            await asyncio.wait([asyncio.create_task(c.proc.wait()) for c in live], timeout=grace_s)
        for child in live:
            if child.running:
                self.console.print(
                    f"[yellow]{child.spec.name} did not stop in {grace_s:g}s; killing it[/]"
                )
                _signal_group(child.pid, signal.SIGKILL)
                await child.proc.wait()
            else:
                _signal_group(child.pid, signal.SIGKILL)  # anything it left behind in its group
        for child in live:
            if child.pump is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(child.pump, 1.0)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
