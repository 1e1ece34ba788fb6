"""The limits provider-sim enforces per deployment, read from a deployments file (the TOML
file capacity-scheduler declares, `[[deployments]]` tables): each deployment's `name`,
`tpm` and `rpm`, counted over the sim's sliding window. Every other key of a table
(model, kind, prices...) is the catalogue's business and is ignored here, so the sim
stays a stand-in for the providers: it knows the limits, not Hicap's catalogue (and
depends on no catalogue package). A deployment without tpm or rpm is unlimited.
`DeploymentsFileError` names the table and key of a malformed file. Imports the sim's
config only; no web code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from hicap.provider_sim.config import Deployment, SimConfig

__all__ = ["DeploymentsFileError", "limits_from_text", "sim_config"]


class DeploymentsFileError(ValueError):
    """The deployments file cannot be read; the message says where."""


def sim_config(path: Path | None, window_s: float) -> SimConfig:
    """The sim's config: the file's limits over `window_s`, or no limits without a file."""
    if path is None:
        return SimConfig()
    return SimConfig(deployments=limits_from_text(path.read_text("utf-8"), window_s, str(path)))


def limits_from_text(text: str, window_s: float, source: str = "<string>") -> dict[str, Deployment]:
    """Each limited deployment of the file by name (a later table of a name replaces one)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeploymentsFileError(f"{source}: {exc}") from exc
    tables = doc.get("deployments", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise DeploymentsFileError(f"{source}: deployments must be an array of tables")
    limits: dict[str, Deployment] = {}
    for i, table in enumerate(tables):
        name, deployment = _limits(table, window_s, f"{source}: deployments[{i}]")
        if deployment.tpm or deployment.rpm:
            limits[name] = deployment
    return limits


def _limits(table: Mapping[str, object], window_s: float, where: str) -> tuple[str, Deployment]:
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise DeploymentsFileError(f"{where}: name must be a non-empty string")
    where = f"{where} ({name})"
    tpm, rpm = _count(table, "tpm", where), _count(table, "rpm", where)
    return name, Deployment(rpm=rpm, tpm=tpm, window_s=window_s)


def _count(table: Mapping[str, object], key: str, where: str) -> int:
    value = table.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DeploymentsFileError(f"{where}: {key} must be a non-negative integer")
    return value
