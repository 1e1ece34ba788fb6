"""hicap.catalog: the model catalogue: models, their deployments and list prices.

The baseline is the versioned file `models.toml` shipped in this package
(`load_baseline`); run-time changes are `ModelPublished` / `ModelWithdrawn` events on the
CAPACITY stream, folded on top of it by `evolve`. A deployment names its credential, never
holds one. Imports hicap.events and hicap.money; never a service, nats or the errors tree.
"""

from __future__ import annotations

from hicap.catalog.baseline import CatalogFileError, load_baseline, parse_catalog
from hicap.catalog.fold import (
    evolve,
    model_from_event,
    model_to_event,
    with_model,
    without_model,
)
from hicap.catalog.model import PROVIDERS, Catalog, Deployment, Model, Price

__all__ = [
    "PROVIDERS",
    "Catalog",
    "CatalogFileError",
    "Deployment",
    "Model",
    "Price",
    "evolve",
    "load_baseline",
    "model_from_event",
    "model_to_event",
    "parse_catalog",
    "with_model",
    "without_model",
]
