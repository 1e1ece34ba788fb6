"""Where a platform instance keeps its state: everything under one data dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path(".hicap")


def default_data_dir() -> Path:
    """`HICAP_DATA_DIR`, else `./.hicap` (the same default as the services' settings)."""
    return Path(os.environ.get("HICAP_DATA_DIR", str(DEFAULT_DATA_DIR)))


@dataclass(frozen=True, slots=True)
class DataDir:
    root: Path

    @classmethod
    def at(cls, path: Path) -> DataDir:
        return cls(path.expanduser().resolve())

    @property
    def jetstream(self) -> Path:
        return self.root / "nats"

    @property
    def temporal_db(self) -> Path:
        return self.root / "temporal" / "temporal.db"

    @property
    def chdb(self) -> Path:
        return self.root / "chdb"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def platform_file(self) -> Path:
        return self.run / "platform.json"

    @property
    def lock_file(self) -> Path:
        return self.run / "hicap.lock"

    @property
    def nats_config(self) -> Path:
        return self.run / "nats.conf"

    def log_file(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def create(self) -> None:
        for d in (self.jetstream, self.temporal_db.parent, self.chdb, self.logs, self.run):
            d.mkdir(parents=True, exist_ok=True)
