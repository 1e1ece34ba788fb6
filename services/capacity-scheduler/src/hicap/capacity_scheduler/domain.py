"""Capacity-scheduler's rules for the model catalogue: may this model be published, may
this deployment be declared?

`decide_publish(catalog, model)` returns the `ModelPublished` event to append, or raises
InvalidRequest naming the offending field (`deployments[0].base_url: ...`).
`decide_declare_deployment(catalog, model, deployment, allocated_tpm=...)` returns the
`DeploymentDeclared` event, or InvalidRequest / NotFound; a reserved deployment needs TPM
and may not shrink below what reservations hold of it (`allocated_tpm`). Both normalise
(a deployment without a provider takes the model's) and never read a clock or do I/O.
A base URL with a user or password in it is refused: an event must never carry a secret.
Imports no nats, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from urllib.parse import urlsplit

from hicap.catalog import (
    KINDS,
    PROVIDERS,
    Catalog,
    Deployment,
    Model,
    Price,
    deployment_to_proto,
    model_to_event,
)
from hicap.errors import Conflict, InvalidRequest, NotFound
from hicap.events import catalog_pb2

__all__ = ["MAX_PRICES", "NAME_PATTERN", "decide_declare_deployment", "decide_publish"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
"""Model and deployment names: no '/' or ':' (they would break `/models/{m}:generate...`)."""
REF_PATTERN = re.compile(r"[A-Za-z0-9._:-]{0,200}")
MAX_DEPLOYMENTS = 32
MAX_PRICES = 64


def decide_publish(
    catalog: Catalog, model: Model, *, allocated: Mapping[str, int] | None = None
) -> catalog_pb2.ModelPublished:
    """The event that adds `model` (or replaces the model of that name), or InvalidRequest.

    `allocated` is what live reservations hold of each deployment now: a replacement must
    keep each held deployment reserved, with at least that TPM (Conflict otherwise), so
    re-publishing a model never takes capacity from under a reservation."""
    _check_name("model", model.name)
    _check_provider("provider", model.provider)
    if model.context_window <= 0:
        raise InvalidRequest("context_window: must be a positive number of tokens")
    deployments = tuple(
        _checked_deployment(f"deployments[{i}]", replace(d, provider=d.provider or model.provider))
        for i, d in enumerate(model.deployments)
    )
    _check_deployment_names(catalog, model.name, deployments)
    _check_prices(model.prices)
    _check_keeps_allocations(model.name, deployments, allocated or {})
    return model_to_event(replace(model, deployments=deployments))


def _check_keeps_allocations(
    model: str, deployments: tuple[Deployment, ...], allocated: Mapping[str, int]
) -> None:
    kept = {d.name: d for d in deployments}
    for name, held in sorted(allocated.items()):
        d = kept.get(name)
        if held > 0 and (d is None or not d.reserved or d.tpm < held):
            raise Conflict(
                f"deployments: {name} holds {held:,} reserved TPM of reservations of {model}; "
                "keep it reserved with at least that TPM until they end"
            )


def decide_declare_deployment(
    catalog: Catalog, model: str, deployment: Deployment, *, allocated_tpm: int = 0
) -> catalog_pb2.DeploymentDeclared:
    """The event that adds `deployment` to `model` (or replaces the one of that name).

    `allocated_tpm` is what live reservations hold of the deployment of that name now.
    """
    owner = catalog.model(model)
    if owner is None:
        raise NotFound(f"model: no model named {model!r}; publish it first")
    d = _checked_deployment(
        "deployment", replace(deployment, provider=deployment.provider or owner.provider)
    )
    other = catalog.model_of(d.name)
    if other is not None and other.name != model:
        raise InvalidRequest(f"deployment.name: {d.name} is already a deployment of {other.name}")
    held = allocated_tpm if d.reserved else 0
    if allocated_tpm > held:
        raise InvalidRequest(
            f"deployment.kind: {d.name} holds {allocated_tpm:,} reserved TPM of reservations; "
            "it stays reserved until they end"
        )
    if d.tpm < held:
        raise InvalidRequest(
            f"deployment.tpm: reservations hold {held:,} TPM of {d.name}; it cannot shrink to {d.tpm:,}"
        )
    return catalog_pb2.DeploymentDeclared(model=model, deployment=deployment_to_proto(d))


def _checked_deployment(field: str, d: Deployment) -> Deployment:
    _check_name(f"{field}.name", d.name)
    _check_provider(f"{field}.provider", d.provider)
    _check_base_url(f"{field}.base_url", d.base_url)
    if not d.upstream_model.strip():
        raise InvalidRequest(f"{field}.upstream_model: must not be empty")
    if not REF_PATTERN.fullmatch(d.credential_ref):
        raise InvalidRequest(f"{field}.credential_ref: letters, digits and . _ : - only")
    _check_capacity(field, d)
    return d


def _check_capacity(field: str, d: Deployment) -> None:
    if d.kind not in KINDS:
        raise InvalidRequest(f"{field}.kind: one of {', '.join(sorted(KINDS))}")
    counts = (
        ("tpm", d.tpm),
        ("rpm", d.rpm),
        ("hourly_cost_micros", d.hourly_cost_micros),
        ("input_cost_micros_per_mtok", d.input_cost_micros_per_mtok),
        ("output_cost_micros_per_mtok", d.output_cost_micros_per_mtok),
    )
    for name, value in counts:
        if value < 0:
            raise InvalidRequest(f"{field}.{name}: must not be negative")
    if d.reserved and d.tpm <= 0:
        raise InvalidRequest(f"{field}.tpm: a reserved deployment needs the TPM bought (> 0)")


def _check_deployment_names(
    catalog: Catalog, model: str, deployments: tuple[Deployment, ...]
) -> None:
    if not deployments:
        raise InvalidRequest("deployments: a model needs at least one deployment")
    if len(deployments) > MAX_DEPLOYMENTS:
        raise InvalidRequest(f"deployments: at most {MAX_DEPLOYMENTS}")
    names = [d.name for d in deployments]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InvalidRequest(f"deployments[{i}].name: {name} appears twice")
        owner = catalog.model_of(name)
        if owner is not None and owner.name != model:
            raise InvalidRequest(
                f"deployments[{i}].name: {name} is already a deployment of {owner.name}"
            )


def _check_prices(prices: Iterable[Price]) -> None:
    prices = tuple(prices)
    if not prices:
        raise InvalidRequest("prices: a model needs at least one price (0 for a free model)")
    if len(prices) > MAX_PRICES:
        raise InvalidRequest(f"prices: at most {MAX_PRICES}")
    starts = [p.effective_from for p in prices]
    for i, p in enumerate(prices):
        amounts = (
            ("input", p.input_micros_per_mtok),
            ("cached_input", p.cached_input_micros_per_mtok),
            ("cache_write", p.cache_write_micros_per_mtok),
            ("output", p.output_micros_per_mtok),
        )
        for name, micros in amounts:
            if micros < 0:
                raise InvalidRequest(f"prices[{i}].{name}: a price is never negative")
        if p.effective_from in starts[:i]:
            raise InvalidRequest(f"prices[{i}].effective_from: two prices start at the same time")


def _check_name(field: str, name: str) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidRequest(
            f"{field}: {name!r} is not a valid name (1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit)"
        )


def _check_provider(field: str, provider: str) -> None:
    if provider not in PROVIDERS:
        known = ", ".join(sorted(PROVIDERS))
        raise InvalidRequest(f"{field}: unknown provider {provider!r} (one of {known})")


def _check_base_url(field: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise InvalidRequest(f"{field}: not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(f"{field}: must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest(f"{field}: must not carry a user or password (use --api-key)")
    if parts.query or parts.fragment:
        raise InvalidRequest(f"{field}: must not have a query or fragment")
