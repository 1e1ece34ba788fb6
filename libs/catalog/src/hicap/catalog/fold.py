"""The catalogue folded from the CAPACITY stream, and models <-> catalogue events.

`evolve(catalog, event)` is pure: no I/O, no clock, no validation (capacity-scheduler
validates before a `ModelPublished` exists). `ModelPublished` adds a model or replaces the
one of that name (its old deployments go with it); `ModelWithdrawn` removes a model and its
deployments; `DeploymentDeclared` adds a deployment to a model, or replaces the one of that
name (in place, keeping the failover order); any other event leaves the catalogue as it is. Imports hicap.events only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from hicap.catalog.model import ON_DEMAND, Catalog, Deployment, Model, Price
from hicap.events import Event, catalog_pb2

__all__ = [
    "deployment_from_proto",
    "deployment_to_proto",
    "evolve",
    "model_from_event",
    "model_to_event",
    "with_deployment",
    "with_model",
    "without_model",
]


def evolve(catalog: Catalog, event: Event[Message]) -> Catalog:
    p = event.payload
    if isinstance(p, catalog_pb2.ModelPublished):
        return with_model(catalog, model_from_event(p))
    if isinstance(p, catalog_pb2.ModelWithdrawn):
        return without_model(catalog, p.model)
    if isinstance(p, catalog_pb2.DeploymentDeclared):
        return with_deployment(catalog, p.model, deployment_from_proto(p.deployment))
    return catalog


def with_deployment(catalog: Catalog, model: str, deployment: Deployment) -> Catalog:
    """The catalogue with `deployment` added to `model` (or replacing the deployment of that
    name in place). An unknown model leaves the catalogue as it is."""
    old = catalog.models.get(model)
    if old is None:
        return catalog
    names = [d.name for d in old.deployments]
    if deployment.name in names:
        deployments = tuple(deployment if d.name == deployment.name else d for d in old.deployments)
    else:
        deployments = (*old.deployments, deployment)
    return with_model(catalog, replace(old, deployments=deployments))


def with_model(catalog: Catalog, model: Model) -> Catalog:
    """The catalogue with `model` added, or replacing the model of that name."""
    rest = without_model(catalog, model.name)
    deployments = {**rest.deployments, **{d.name: d for d in model.deployments}}
    return Catalog({**rest.models, model.name: model}, deployments)


def without_model(catalog: Catalog, name: str) -> Catalog:
    old = catalog.models.get(name)
    if old is None:
        return catalog
    gone = {d.name for d in old.deployments}
    models = {k: v for k, v in catalog.models.items() if k != name}
    deployments = {k: v for k, v in catalog.deployments.items() if k not in gone}
    return Catalog(models, deployments)


def model_to_event(model: Model) -> catalog_pb2.ModelPublished:
    return catalog_pb2.ModelPublished(
        model=model.name,
        provider=model.provider,
        context_window=model.context_window,
        deployments=[deployment_to_proto(d) for d in model.deployments],
        prices=[_price_to_proto(p) for p in model.prices],
    )


def model_from_event(p: catalog_pb2.ModelPublished) -> Model:
    prices = sorted((_price_from_proto(x) for x in p.prices), key=lambda x: x.effective_from)
    return Model(
        name=p.model,
        provider=p.provider,
        context_window=int(p.context_window),
        deployments=tuple(deployment_from_proto(d) for d in p.deployments),
        prices=tuple(prices),
    )


def deployment_to_proto(d: Deployment) -> catalog_pb2.ModelDeployment:
    return catalog_pb2.ModelDeployment(
        name=d.name,
        provider=d.provider,
        base_url=d.base_url,
        upstream_model=d.upstream_model,
        credential_ref=d.credential_ref,
        kind=d.kind,
        region=d.region,
        tpm=d.tpm,
        rpm=d.rpm,
        hourly_cost_micros=d.hourly_cost_micros,
        input_cost_micros_per_mtok=d.input_cost_micros_per_mtok,
        output_cost_micros_per_mtok=d.output_cost_micros_per_mtok,
    )


def deployment_from_proto(d: catalog_pb2.ModelDeployment) -> Deployment:
    return Deployment(
        d.name,
        d.provider,
        d.base_url,
        d.upstream_model,
        d.credential_ref,
        kind=d.kind or ON_DEMAND,
        region=d.region,
        tpm=int(d.tpm),
        rpm=int(d.rpm),
        hourly_cost_micros=int(d.hourly_cost_micros),
        input_cost_micros_per_mtok=int(d.input_cost_micros_per_mtok),
        output_cost_micros_per_mtok=int(d.output_cost_micros_per_mtok),
    )


def _price_to_proto(p: Price) -> catalog_pb2.ModelPrice:
    stamp = Timestamp()
    stamp.FromDatetime(p.effective_from)
    return catalog_pb2.ModelPrice(
        effective_from=stamp,
        input_micros_per_mtok=p.input_micros_per_mtok,
        cached_input_micros_per_mtok=p.cached_input_micros_per_mtok,
        cache_write_micros_per_mtok=p.cache_write_micros_per_mtok,
        output_micros_per_mtok=p.output_micros_per_mtok,
    )


def _price_from_proto(p: catalog_pb2.ModelPrice) -> Price:
    when: datetime = p.effective_from.ToDatetime(tzinfo=UTC)
    return Price(
        effective_from=when,
        input_micros_per_mtok=int(p.input_micros_per_mtok),
        cached_input_micros_per_mtok=int(p.cached_input_micros_per_mtok),
        cache_write_micros_per_mtok=int(p.cache_write_micros_per_mtok),
        output_micros_per_mtok=int(p.output_micros_per_mtok),
    )
