"""hicap.catalog: the model catalogue: models, their deployments and list prices.

The baseline is the versioned file `models.toml` shipped in this package
(`load_baseline`); run-time changes are `ModelPublished` / `ModelWithdrawn` /
`DeploymentDeclared` events on the CAPACITY stream, folded on top of it by `evolve`. The
same stream's reservation events fold into `Reservations` (`evolve_reservations`). A deployment names its credential, never
holds one. Imports hicap.events and hicap.money; never a service, nats or the errors tree.
"""

from __future__ import annotations

from hicap.catalog.baseline import CatalogFileError, load_baseline, parse_catalog
from hicap.catalog.fold import (
    deployment_from_proto,
    deployment_to_proto,
    evolve,
    model_from_event,
    model_to_event,
    with_deployment,
    with_model,
    without_model,
)
from hicap.catalog.model import (
    KINDS,
    ON_DEMAND,
    PROVIDERS,
    RESERVED,
    Catalog,
    Deployment,
    Model,
    Price,
)
from hicap.catalog.reservations import (
    Allocation,
    Reservation,
    Reservations,
    evolve_reservations,
)

__all__ = [
    "KINDS",
    "ON_DEMAND",
    "PROVIDERS",
    "RESERVED",
    "Allocation",
    "Catalog",
    "CatalogFileError",
    "Deployment",
    "Model",
    "Price",
    "Reservation",
    "Reservations",
    "deployment_from_proto",
    "deployment_to_proto",
    "evolve",
    "evolve_reservations",
    "load_baseline",
    "model_from_event",
    "model_to_event",
    "parse_catalog",
    "with_deployment",
    "with_model",
    "without_model",
]
