"""The layering rule: libs import no service; a service imports no other service; the CLI
imports no service (it starts them as processes)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {p.name.replace("-", "_") for p in (ROOT / "services").iterdir() if p.is_dir()}


def hicap_imports(path: Path) -> set[str]:
    """The `hicap.<package>` names a module imports (module-level or not)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found |= {n.split(".")[1] for n in names if n.startswith("hicap.") and n.count(".") >= 1}
    return found


def modules_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "_pb2" not in p.name]


def violations(folder: Path, allowed_services: set[str]) -> list[str]:
    out = []
    for path in modules_under(folder):
        for pkg in sorted(hicap_imports(path) & SERVICES - allowed_services):
            out.append(f"{path.name} imports hicap.{pkg}")
    return out


def test_the_rule_sees_every_service() -> None:
    assert {
        "ingress",
        "auth",
        "capacity_scheduler",
        "provider_egress",
        "spot_exchange",
        "metering",
        "provider_sim",
    } <= SERVICES


def test_libs_import_no_service() -> None:
    assert violations(ROOT / "libs", set()) == []


def test_a_service_imports_no_other_service() -> None:
    found = []
    for folder in (ROOT / "services").iterdir():
        if folder.is_dir():
            found += violations(folder, {folder.name.replace("-", "_")})
    assert found == []


def test_the_cli_imports_no_service() -> None:
    assert violations(ROOT / "src", set()) == []


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "lib" / "m.py"
    bad.parent.mkdir()
    bad.write_text("from hicap.metering.store import EmbeddedStore\nimport hicap.auth.app\n")
    assert sorted(violations(bad.parent, set())) == [
        "m.py imports hicap.auth",
        "m.py imports hicap.metering",
    ]
    assert violations(bad.parent, {"auth", "metering"}) == []


def test_no_module_reads_the_environment_outside_settings_and_the_cli() -> None:
    offenders = []
    for base in (ROOT / "libs", ROOT / "services"):
        for path in modules_under(base):
            if "hicap/settings/" in path.as_posix():
                continue
            text = path.read_text()
            if "os.environ" in text or "os.getenv" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_service_imports_nats_py_directly() -> None:
    offenders = []
    for path in modules_under(ROOT / "services"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "nats" or n.startswith("nats.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
