"""`hicap deployments add` and `hicap deployments list`: the provider deployments of a running
platform's catalogue, as the operator declares them.

`add` turns the command line into a `Deployment` (costs in USD, parsed as exact decimals:
`--hourly-cost` per hour for a `reserved` deployment, `--input-cost`/`--output-cost` per
million tokens for an `on-demand` one) and sends capacity-scheduler's `declare_deployment`
(a deployment of that name is replaced). What it does not give (base URL, upstream model,
credential ref, provider) is taken from the model's first deployment in the catalogue, so
`hicap deployments add --model gpt-5.4 --name gpt-5.4-ptu2 --kind reserved --tpm 50000
--hourly-cost 10` is enough for one more reserved deployment on the same provider
account. `list` reads the catalogue as `hicap models list` does (the baseline plus the
CAPACITY stream). A `DeploymentsError` names the option that is wrong. Imports libs only,
never a service.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from rich.console import Console
from rich.table import Table

from hicap.bus import Bus
from hicap.catalog import (
    KINDS,
    ON_DEMAND,
    RESERVED,
    Catalog,
    Deployment,
    Model,
    deployment_to_proto,
)
from hicap.cli.models import ModelsError, replay_catalog
from hicap.cli.operator_bus import ask, on_bus
from hicap.events.v1 import capacity_commands_pb2 as capacity
from hicap.money import format_usd, usd_to_micros

__all__ = [
    "DeploymentsError",
    "NewDeployment",
    "add_deployment",
    "build_deployment",
    "completed",
    "render_deployments",
]

SCHEDULER = "capacity-scheduler"


class DeploymentsError(ModelsError):
    """The command cannot run as asked; the message says which option and why."""


@dataclass(frozen=True, slots=True)
class NewDeployment:
    """`hicap deployments add`'s options, as typed (costs still strings; "" not given)."""

    model: str
    name: str
    kind: str
    tpm: int = 0
    rpm: int = 0
    region: str = ""
    base_url: str = ""
    upstream_model: str = ""
    credential_ref: str = ""
    provider: str = ""
    hourly_cost: str = "0"
    input_cost: str = "0"
    output_cost: str = "0"


def build_deployment(new: NewDeployment) -> Deployment:
    """The deployment as typed; DeploymentsError for what is wrong without the platform."""
    if new.kind not in KINDS:
        raise DeploymentsError(f"--kind must be one of {', '.join(sorted(KINDS))}")
    if new.tpm < 0 or new.rpm < 0:
        raise DeploymentsError("--tpm and --rpm must not be negative")
    if new.kind == RESERVED and new.tpm <= 0:
        raise DeploymentsError("--tpm is required for a reserved deployment (the TPM bought)")
    if not new.name:
        raise DeploymentsError("--name must not be empty")
    return Deployment(
        name=new.name, provider=new.provider, base_url=new.base_url,
        upstream_model=new.upstream_model, credential_ref=new.credential_ref, kind=new.kind,
        region=new.region, tpm=new.tpm, rpm=new.rpm,
        hourly_cost_micros=_micros("--hourly-cost", new.hourly_cost),
        input_cost_micros_per_mtok=_micros("--input-cost", new.input_cost),
        output_cost_micros_per_mtok=_micros("--output-cost", new.output_cost),
    )  # fmt: skip


def completed(deployment: Deployment, model: str, catalog: Catalog) -> Deployment:
    """What the options left out, from the model's first deployment (or the model)."""
    found = catalog.model(model)
    if found is None:
        raise DeploymentsError(
            f"--model {model!r} is not in the catalogue (see `hicap models list`)"
        )
    like = found.deployments[0] if found.deployments else None
    return replace(
        deployment,
        provider=deployment.provider or (like.provider if like else found.provider),
        base_url=deployment.base_url or (like.base_url if like else ""),
        upstream_model=deployment.upstream_model or (like.upstream_model if like else model),
        credential_ref=deployment.credential_ref or (like.credential_ref if like else ""),
    )


async def add_deployment(nats_url: str, new: NewDeployment) -> Deployment:
    """Declare the deployment (completed from the catalogue); returns what was declared."""

    async def declare(bus: Bus) -> Deployment:
        deployment = build_deployment(new)
        needs_catalog = (
            not all((deployment.provider, deployment.base_url, deployment.upstream_model))
            or not deployment.credential_ref
        )
        if needs_catalog:
            deployment = completed(deployment, new.model, await replay_catalog(bus))
        if not deployment.base_url:
            raise DeploymentsError("--base-url is required: the model has no deployment to copy")
        request = capacity.DeclareDeployment(
            model=new.model, deployment=deployment_to_proto(deployment)
        )
        await ask(bus, SCHEDULER, "declare_deployment", request, capacity.DeclareDeploymentReply)
        return deployment

    return await on_bus(nats_url, "deployments", declare)


def render_deployments(catalog: Catalog, model: str | None, console: Console) -> None:
    if model is not None and catalog.model(model) is None:
        raise DeploymentsError(f"--model {model!r} is not in the catalogue")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("model", "deployment", "kind", "region", "tpm", "rpm", "cost", "upstream"):
        table.add_column(column, overflow="fold")
    models = [catalog.models[model]] if model else sorted(catalog.models.values(), key=_name)
    for m in models:
        for d in m.deployments:
            table.add_row(
                m.name, d.name, d.kind, d.region or "-", _count(d.tpm), _count(d.rpm), _cost(d),
                f"{d.upstream_model} at {d.base_url}",
            )  # fmt: skip
    console.print(table)


def _name(m: Model) -> str:
    return m.name


def _count(n: int) -> str:
    return f"{n:,}" if n else "-"


def _cost(d: Deployment) -> str:
    if d.kind == RESERVED:
        return f"{format_usd(d.hourly_cost_micros, 2)} USD/h"
    if d.kind == ON_DEMAND and (d.input_cost_micros_per_mtok or d.output_cost_micros_per_mtok):
        prices = (d.input_cost_micros_per_mtok, d.output_cost_micros_per_mtok)
        return " / ".join(format_usd(p, 2) for p in prices) + " USD/Mtok"
    return "-"


def _micros(option: str, usd: str) -> int:
    try:
        amount = Decimal(usd.strip().removeprefix("$"))
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
        return usd_to_micros(amount)
    except (InvalidOperation, ValueError):
        raise DeploymentsError(f"{option} {usd!r} is not an amount in USD, e.g. 12.50") from None
