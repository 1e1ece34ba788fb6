"""From an `EgressTarget` to a concrete `Route`: the deployment's base URL (or provider-sim's
per-deployment URL in dev), its adapter, the upstream model name and the key to send.

With `upstream_override_url` set (dev: no real provider key, so provider-sim stands in),
a deployment `d` that Hicap reaches with its own provider credential (`openai`,
`anthropic`, `gemini`) and whose real base URL is `https://api.openai.com/v1` is reached at
`<override>/d/d/v1`: the sim's per-deployment routes plus the path part of the real URL.
A model an operator added (`hicap models add`, its own credential or none) keeps its own
base URL, override or not. The catalogue is read through a small Protocol,
so this module does not depend on the catalogue's storage. Imports the wire interfaces,
hicap.errors and the generated egress messages; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from hicap.errors import Unavailable
from hicap.events.v1 import egress_pb2
from hicap.provider_egress.credentials import Credentials
from hicap.provider_egress.wire.base import Adapter, ProviderKind

__all__ = ["DeploymentInfo", "DeploymentSource", "Route", "base_url", "resolve"]


class DeploymentInfo(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def upstream_model(self) -> str: ...
    @property
    def credential_ref(self) -> str: ...


class DeploymentSource(Protocol):
    def deployment(self, name: str) -> DeploymentInfo | None: ...


@dataclass(frozen=True, slots=True)
class Route:
    """One concrete place to send the call: the adapter speaks its wire format."""

    deployment: str
    adapter: Adapter
    base_url: str  # no trailing slash; the adapter's path is appended
    upstream_model: str
    api_key: str = field(repr=False)  # never printed, never logged
    lane: str = ""  # the lane this target serves (reserved, on-demand...); "" one lane for all


SIMULATED_CREDENTIALS = frozenset({"openai", "anthropic", "gemini"})
"""The credentials of Hicap's own provider accounts: what provider-sim stands in for."""


def base_url(
    deployment: DeploymentInfo,
    override_url: str | None,
    simulated: frozenset[str] | None = SIMULATED_CREDENTIALS,
) -> str:
    """The URL to call; `simulated` names the credentials the override stands in for
    (None: every deployment, as the conformance suite routes them all to provider-sim)."""
    stands_in = simulated is None or deployment.credential_ref in simulated
    if not override_url or not stands_in:
        return deployment.base_url.rstrip("/")
    path = urlsplit(deployment.base_url).path.rstrip("/")
    return f"{override_url.rstrip('/')}/d/{deployment.name}{path}"


def resolve(
    target: egress_pb2.EgressTarget,
    catalog: DeploymentSource,
    credentials: Credentials,
    adapter_for: Callable[[ProviderKind | str], Adapter],
    *,
    provider_key: str = "",
    override_url: str | None = None,
    simulated: frozenset[str] | None = SIMULATED_CREDENTIALS,
) -> Route:
    """The route for one target; Unavailable when egress does not know the deployment."""
    deployment = catalog.deployment(target.deployment)
    if deployment is None:
        raise Unavailable(f"deployment {target.deployment[:80]!r} is not in the catalogue")
    adapter = adapter_for(target.provider or deployment.provider)
    key = credentials.key_for(deployment.name, deployment.credential_ref, provider_key)
    return Route(
        deployment=deployment.name,
        adapter=adapter,
        base_url=base_url(deployment, override_url, simulated),
        upstream_model=target.upstream_model or deployment.upstream_model,
        api_key=key,
        lane=target.lane,
    )
