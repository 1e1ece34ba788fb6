"""The catalogue commands: `publish_model` and `declare_deployment` -> validate -> append
ModelPublished / DeploymentDeclared -> reply.

They decide through the scheduler's `CapacityWriter` (one lock, the caught-up projection)
and answer once the event is stored and folded in, so a caller that publishes and then
reads sees its model, and a deployment never shrinks below what reservations hold of it.
`declare_deployments` declares a deployments file's entries that differ from the
catalogue (at start). Imports no nats.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from hicap.capacity_scheduler.domain import decide_declare_deployment, decide_publish
from hicap.capacity_scheduler.projections import CapacityState
from hicap.capacity_scheduler.writer import CapacityWriter
from hicap.catalog import Catalog, Deployment, Model, deployment_from_proto, model_from_event
from hicap.events import catalog_pb2
from hicap.events.v1 import capacity_commands_pb2 as cmd

__all__ = ["CatalogHandlers"]

log = logging.getLogger(__name__)


class CatalogHandlers:
    def __init__(self, writer: CapacityWriter) -> None:
        self.writer = writer

    @property
    def catalog(self) -> Catalog:
        return self.writer.state.catalog

    async def publish_model(self, req: cmd.PublishModel) -> cmd.PublishModelReply:
        model = model_from_event(req.model)
        payload = await self.writer.write(lambda s: _publish(s, model))
        assert payload is not None  # decide_publish always returns an event
        return cmd.PublishModelReply(model=payload.model)

    async def declare_deployment(self, req: cmd.DeclareDeployment) -> cmd.DeclareDeploymentReply:
        payload = await self.writer.write(
            lambda s: _declare(s, req.model, deployment_from_proto(req.deployment))
        )
        assert payload is not None
        return cmd.DeclareDeploymentReply(deployment=payload.deployment.name)

    async def declare_deployments(self, entries: Iterable[tuple[str, Deployment]]) -> int:
        """Declare each (model, deployment) that differs from the catalogue's; how many."""
        declared = 0
        for model, deployment in entries:
            payload = await self.writer.write(partial(_changed, model=model, d=deployment))
            if payload is not None:
                log.info(
                    "declared deployment %s of %s from the deployments file", deployment.name, model
                )
                declared += 1
        return declared


def _publish(s: CapacityState, model: Model) -> catalog_pb2.ModelPublished:
    old = s.catalog.model(model.name)
    held = {d.name: s.reservations.allocated(d.name) for d in old.deployments} if old else {}
    return decide_publish(s.catalog, model, allocated=held)


def _declare(s: CapacityState, model: str, d: Deployment) -> catalog_pb2.DeploymentDeclared:
    held = s.reservations.allocated(d.name)
    return decide_declare_deployment(s.catalog, model, d, allocated_tpm=held)


def _changed(
    s: CapacityState, *, model: str, d: Deployment
) -> catalog_pb2.DeploymentDeclared | None:
    payload = _declare(s, model, d)
    same_model = s.catalog.model_of(d.name)
    current = s.catalog.deployment(d.name)
    unchanged = same_model is not None and same_model.name == model
    if unchanged and current == deployment_from_proto(payload.deployment):
        return None
    return payload
