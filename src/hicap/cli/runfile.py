"""The run file: how operator commands find the platform `hicap up` started on a data dir.

`hicap up` writes `<data dir>/run/platform.json` once every component listens and removes
it when it stops; `hicap status`, `hicap events tail` and later commands read it, so they
work with the same `--data-dir` and no other flag.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

from hicap.cli.paths import DataDir


class PlatformNotRunning(RuntimeError):
    """No platform is running on this data dir."""


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    pid: int
    log_file: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    data_dir: str
    supervisor_pid: int
    started_at: str  # ISO 8601, UTC
    nats_url: str
    nats_monitor_url: str
    temporal_address: str
    temporal_ui_url: str
    api_url: str
    components: list[Component] = field(default_factory=list)

    def save(self, data_dir: DataDir) -> None:
        data_dir.run.mkdir(parents=True, exist_ok=True)
        tmp = data_dir.platform_file.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))
        tmp.replace(data_dir.platform_file)

    @classmethod
    def load(cls, data_dir: DataDir) -> PlatformInfo:
        """The running platform on `data_dir`, or PlatformNotRunning saying how to start one."""
        path = data_dir.platform_file
        try:
            raw = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise PlatformNotRunning(
                f"no platform is running on {data_dir.root} (start one with `hicap up --data-dir {data_dir.root}`)"
            ) from None
        raw["components"] = [Component(**c) for c in raw.get("components", [])]
        info = cls(**raw)
        if not _alive(info.supervisor_pid):
            raise PlatformNotRunning(
                f"the platform on {data_dir.root} is not running (its supervisor, pid {info.supervisor_pid}, is gone)"
            )
        return info


def remove(data_dir: DataDir) -> None:
    Path(data_dir.platform_file).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
