"""The catalogue's values: `Price`, `Deployment`, `Model` and the `Catalog` that holds them.

Frozen dataclasses only: the fold (`hicap.catalog.fold`) builds new ones, nobody mutates
them. Money is integer micro-dollars per million tokens (`hicap.money`), never a float. A
deployment names its credential (`credential_ref`); a key never appears here. Imports
nothing of Hicap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["KINDS", "ON_DEMAND", "PROVIDERS", "RESERVED", "Catalog", "Deployment", "Model", "Price"]

PROVIDERS = frozenset({"openai", "anthropic", "gemini", "openai-compatible"})
"""The wire formats provider-egress speaks; a deployment's `provider` is one of them."""

ON_DEMAND, RESERVED = "on-demand", "reserved"
KINDS = frozenset({ON_DEMAND, RESERVED})
"""How Hicap buys a deployment: pay per token (with rate limits), or TPM by the hour."""


@dataclass(frozen=True, slots=True)
class Price:
    """List prices from `effective_from` on, in micro-dollars per million tokens."""

    effective_from: datetime
    input_micros_per_mtok: int
    cached_input_micros_per_mtok: int
    cache_write_micros_per_mtok: int
    output_micros_per_mtok: int


@dataclass(frozen=True, slots=True)
class Deployment:
    """One place a model is served: provider wire format, base URL, upstream model id, and
    how Hicap buys it: `on-demand` (per token, `tpm`/`rpm` are the provider's limits, 0
    unknown) or `reserved` (`tpm` bought at `hourly_cost_micros` an hour)."""

    name: str  # unique across the catalogue
    provider: str
    base_url: str
    upstream_model: str
    credential_ref: str  # the credential provider-egress holds; "" means none
    kind: str = ON_DEMAND
    region: str = ""  # cloud/region, informational: "azure/eastus2"
    tpm: int = 0
    rpm: int = 0
    hourly_cost_micros: int = 0  # reserved: what Hicap pays per hour for `tpm`
    input_cost_micros_per_mtok: int = 0  # on-demand: what Hicap pays per million tokens
    output_cost_micros_per_mtok: int = 0

    @property
    def reserved(self) -> bool:
        return self.kind == RESERVED


@dataclass(frozen=True, slots=True)
class Model:
    """A model Hicap serves under `name`, its deployments in failover order, its prices."""

    name: str
    provider: str
    context_window: int
    deployments: tuple[Deployment, ...]
    prices: tuple[Price, ...]  # ascending effective_from (UTC-aware datetimes)

    def price_at(self, when: datetime) -> Price:
        """The latest price whose `effective_from <= when`.

        Before the first price the first one applies (a clock a little behind the
        publisher's must not make a request unbillable). LookupError without prices.
        """
        if not self.prices:
            raise LookupError(f"model {self.name} has no price")
        started = [p for p in self.prices if p.effective_from <= when]
        if not started:
            return min(self.prices, key=_effective_from)
        return max(started, key=_effective_from)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every model by name, and every deployment by name (names are catalogue-wide)."""

    models: Mapping[str, Model] = field(default_factory=dict)
    deployments: Mapping[str, Deployment] = field(default_factory=dict)

    @classmethod
    def of(cls, models: Iterable[Model]) -> Catalog:
        """A catalogue of these models (a later model of the same name replaces one before)."""
        by_name = {m.name: m for m in models}
        deployments = {d.name: d for m in by_name.values() for d in m.deployments}
        return cls(by_name, deployments)

    def model(self, name: str) -> Model | None:
        return self.models.get(name)

    def deployment(self, name: str) -> Deployment | None:
        return self.deployments.get(name)

    def reserved_deployments(self, model: str) -> tuple[Deployment, ...]:
        """The model's reserved deployments, in catalogue order (empty: unknown model)."""
        m = self.models.get(model)
        return tuple(d for d in m.deployments if d.reserved) if m is not None else ()

    def model_of(self, deployment: str) -> Model | None:
        """The model a deployment serves."""
        return next(
            (m for m in self.models.values() if any(d.name == deployment for d in m.deployments)),
            None,
        )


def _effective_from(price: Price) -> datetime:
    return price.effective_from
