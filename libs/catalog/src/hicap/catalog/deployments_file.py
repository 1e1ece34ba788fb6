"""The operator's deployments file: provider deployments declared at capacity-scheduler's
start (`CapacitySchedulerSettings.deployments_file`) and by `hicap deployments add`.

Owns reading the TOML (`[[deployments]]` tables with `model`, `name`, optional `provider`,
`base_url`, `upstream_model`, `credential_ref`, `kind`, `region`, `tpm`, `rpm`,
`hourly_cost` in USD per hour, `input_cost`/`output_cost` in USD per million tokens; an optional `version = 1`) into
`(model, Deployment)` pairs, through the baseline's field readers so both files read a
deployment the same way. A deployment without `provider` gets "" (capacity-scheduler gives
it its model's). Validation beyond the file's shape (does the model exist, does a reserved
deployment shrink below what is allocated) is capacity-scheduler's. A malformed file is a
`CatalogFileError` naming the entry and the key. Imports hicap.money only (via baseline).
"""

from __future__ import annotations

import tomllib
from decimal import Decimal

from hicap.catalog.baseline import FILE_VERSION, CatalogFileError, Table, _deployment, _str, _tables
from hicap.catalog.model import Deployment

__all__ = ["parse_deployments_file"]


def parse_deployments_file(text: str, source: str = "<string>") -> list[tuple[str, Deployment]]:
    """Every `[[deployments]]` entry as (model name, deployment), in file order."""
    try:
        doc = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogFileError(f"{source}: {exc}") from exc
    if doc.get("version", FILE_VERSION) != FILE_VERSION:
        raise CatalogFileError(f"{source}: version must be {FILE_VERSION}")
    try:
        tables = _tables(doc, "deployments")
    except CatalogFileError as exc:
        raise CatalogFileError(f"{source}: {exc}") from None
    out = [_entry(t, f"{source}: deployments[{i}]") for i, t in enumerate(tables)]
    names = [d.name for _, d in out]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise CatalogFileError(f"{source}: deployment names must be unique: {', '.join(dupes)}")
    return out


def _entry(t: Table, where: str) -> tuple[str, Deployment]:
    model = _str(t, "model", where)
    return model, _deployment(t, "", f"{where} ({model})")
