"""The committed generated code equals a fresh generation from proto/ (`make proto`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "libs" / "events" / "src"


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "tools" / "gen_proto.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated_files(base: Path) -> dict[str, bytes]:
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*_pb2.py*"))}


def test_committed_event_code_equals_a_fresh_generation(tmp_path: Path) -> None:
    load_generator().generate(tmp_path)
    fresh = generated_files(tmp_path)
    committed = generated_files(COMMITTED)
    assert fresh, "protoc generated nothing"
    stale = sorted(
        name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name)
    )
    assert stale == [], f"run `make proto` and commit: {stale}"


def test_every_schema_is_generated() -> None:
    schemas = {p.stem for p in (ROOT / "proto").rglob("*.proto")}
    modules = {p.name.removesuffix("_pb2.py") for p in COMMITTED.rglob("*_pb2.py")}
    assert schemas == modules
