"""Which deployments a call may be served on, by its admitted lane, in failover order and
grouped by lane (egress tries a later lane only when every target of the one before
refused): `reserved` -> the reservation's allocated deployments (lane `reserved`), then,
when the reservation allows overflow, the model's on-demand deployments (lane
`on-demand`); `on-demand` and `byok` -> the on-demand deployments only (every catalogue
deployment is on-demand unless declared reserved), a BYOK call's targets keeping the lane
`byok` (egress names the served lane after its target: a BYOK call must never come back
`on-demand`, billed). The spot lane, when it comes, goes
between the two. Pure; imports hicap.catalog, hicap.errors, the egress messages and
ingress's admission ticket only.
"""

from __future__ import annotations

from hicap.catalog import Catalog, Deployment, Model
from hicap.errors import Unavailable
from hicap.events import egress_pb2
from hicap.ingress.admission import Ticket
from hicap.ingress.edge import BYOK, ON_DEMAND, RESERVED

__all__ = ["targets_for"]


def targets_for(catalog: Catalog, model: Model, ticket: Ticket) -> list[egress_pb2.EgressTarget]:
    """The lane's targets in failover order, grouped by lane (reserved before on-demand)."""
    targets: list[egress_pb2.EgressTarget] = []
    r = ticket.reservation
    if ticket.lane == RESERVED and r is not None:
        for allocation in r.allocations:
            deployment = catalog.deployment(allocation.deployment)
            if deployment is not None:
                targets.append(_target(deployment, RESERVED))
        if not r.overflow:
            return _some(targets, model)
    lane = BYOK if ticket.lane == BYOK else ON_DEMAND  # the customer's key: still byok
    targets.extend(_target(d, lane) for d in model.deployments if not d.reserved)
    return _some(targets, model)


def _target(d: Deployment, lane: str) -> egress_pb2.EgressTarget:
    return egress_pb2.EgressTarget(
        deployment=d.name, provider=d.provider, upstream_model=d.upstream_model, lane=lane
    )


def _some(targets: list[egress_pb2.EgressTarget], model: Model) -> list[egress_pb2.EgressTarget]:
    if not targets:
        raise Unavailable(f"the model `{model.name}` has no deployment serving this lane")
    return targets
