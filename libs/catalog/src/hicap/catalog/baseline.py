"""The baseline catalogue: the versioned file `models.toml` shipped inside this package.

Owns reading the file (prices in USD per million tokens, read as exact decimals and
converted to micro-dollars once, here) into a `Catalog`. A malformed file is a
`CatalogFileError` naming the model and the key. Imports hicap.money only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

from hicap.catalog.model import KINDS, ON_DEMAND, RESERVED, Catalog, Deployment, Model, Price
from hicap.money import usd_to_micros

__all__ = ["FILE_VERSION", "CatalogFileError", "load_baseline", "parse_catalog"]

FILE_VERSION = 1
PACKAGED_FILE = "models.toml"
PRICE_KEYS = ("input", "cached_input", "cache_write", "output")

Table = Mapping[str, object]


class CatalogFileError(ValueError):
    """The catalogue file cannot be read as a catalogue; the message says where."""


def load_baseline(path: Path | None = None) -> Catalog:
    """The catalogue in `path`, or in the packaged `models.toml` when None."""
    if path is None:
        text = resources.files("hicap.catalog").joinpath(PACKAGED_FILE).read_text("utf-8")
        return parse_catalog(text, PACKAGED_FILE)
    return parse_catalog(path.read_text("utf-8"), str(path))


def parse_catalog(text: str, source: str = "<string>") -> Catalog:
    try:
        doc = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogFileError(f"{source}: {exc}") from exc
    if doc.get("version") != FILE_VERSION:
        raise CatalogFileError(f"{source}: version must be {FILE_VERSION}")
    models = [_model(t, f"{source}: models[{i}]") for i, t in enumerate(_tables(doc, "models"))]
    names = [m.name for m in models]
    deployments = [d.name for m in models for d in m.deployments]
    for what, seen in (("model", names), ("deployment", deployments)):
        if dupes := sorted({n for n in seen if seen.count(n) > 1}):
            raise CatalogFileError(f"{source}: {what} names must be unique: {', '.join(dupes)}")
    return Catalog.of(models)


def _model(t: Table, where: str) -> Model:
    name = _str(t, "name", where)
    where = f"{where} ({name})"
    provider = _str(t, "provider", where)
    deployments = tuple(_deployment(d, provider, where) for d in _tables(t, "deployments"))
    prices = tuple(_price(p, where) for p in _tables(t, "prices"))
    if not deployments or not prices:
        raise CatalogFileError(f"{where}: needs at least one deployment and one price")
    window = t.get("context_window")
    if not isinstance(window, int) or window <= 0:
        raise CatalogFileError(f"{where}: context_window must be a positive integer")
    ordered = tuple(sorted(prices, key=lambda p: p.effective_from))
    return Model(name, provider, window, deployments, ordered)


def _deployment(t: Table, provider: str, where: str) -> Deployment:
    name = _str(t, "name", where)
    where = f"{where} deployment {name}"
    kind = str(t.get("kind", ON_DEMAND))
    if kind not in KINDS:
        raise CatalogFileError(f"{where}: kind must be one of {', '.join(sorted(KINDS))}")
    tpm = _count(t, "tpm", where)
    if kind == RESERVED and tpm <= 0:
        raise CatalogFileError(f"{where}: a reserved deployment needs tpm (the TPM bought)")
    return Deployment(
        name=name,
        provider=str(t.get("provider", provider)),
        base_url=_str(t, "base_url", where),
        upstream_model=_str(t, "upstream_model", where),
        credential_ref=str(t.get("credential_ref", "")),
        kind=kind,
        region=str(t.get("region", "")),
        tpm=tpm,
        rpm=_count(t, "rpm", where),
        hourly_cost_micros=_micros(t, "hourly_cost", where, default=0),
        input_cost_micros_per_mtok=_micros(t, "input_cost", where, default=0),
        output_cost_micros_per_mtok=_micros(t, "output_cost", where, default=0),
    )


def _count(t: Table, key: str, where: str) -> int:
    value = t.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CatalogFileError(f"{where}: {key} must be a non-negative integer")
    return value


def _price(t: Table, where: str) -> Price:
    when = t.get("effective_from")
    if isinstance(when, datetime):
        start = when if when.tzinfo else when.replace(tzinfo=UTC)
    elif isinstance(when, date):
        start = datetime(when.year, when.month, when.day, tzinfo=UTC)
    else:
        raise CatalogFileError(f"{where}: a price needs effective_from (a date)")
    micros = [_micros(t, key, where) for key in PRICE_KEYS]
    return Price(start, *micros)


def _micros(t: Table, key: str, where: str, *, default: int | None = None) -> int:
    if default is not None and key not in t:
        return default
    usd = t.get(key)
    if isinstance(usd, bool) or not isinstance(usd, int | Decimal) or usd < 0:
        raise CatalogFileError(f"{where}: price {key} must be a non-negative USD amount")
    try:
        return usd_to_micros(Decimal(usd))
    except ValueError as exc:
        raise CatalogFileError(f"{where}: price {key}: {exc}") from exc


def _tables(t: Table, key: str) -> list[Table]:
    value = t.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise CatalogFileError(f"{key} must be an array of tables ([[{key}]])")
    return value


def _str(t: Table, key: str, where: str) -> str:
    value = t.get(key)
    if not isinstance(value, str) or not value:
        raise CatalogFileError(f"{where}: {key} must be a non-empty string")
    return value
