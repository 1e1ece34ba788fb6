"""Fixtures of the provider-egress conformance suite: one provider-sim for the session, a
pooled upstream client per test, and `egress`, parametrized over every adapter (plus the
fake OpenAI wire that tests the runtime alone)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from hicap.provider_egress.handlers import Wire
from hicap.provider_egress.http1 import HttpPool
from hicap.provider_egress.upstream import make_pool
from hicap.provider_sim.testing import running_sim
from tests.integration.egress import fake_wire
from tests.integration.egress.harness import PROFILES, Egress, Profile, sim_config


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    with running_sim(sim_config()) as url:
        yield url


@pytest.fixture
async def pool() -> AsyncIterator[HttpPool]:
    # One connection in the pool: a stream that was not closed would block the next call.
    http = make_pool(2.0, limit_per_host=1)
    yield http
    await http.close()


def wire_for(profile: Profile) -> Wire:
    if not profile.real_wire:
        return Wire(fake_wire.fake_adapter_for, fake_wire.fake_surface_for, fake_wire.estimate)
    from hicap.provider_egress.wire import estimate, registry

    return Wire(registry.adapter_for, registry.surface_for, estimate.estimate_input_tokens)


@pytest.fixture(params=PROFILES, ids=[p.name for p in PROFILES])
def profile(request: pytest.FixtureRequest) -> Profile:
    value = request.param
    assert isinstance(value, Profile)
    return value


@pytest.fixture
def egress(pool: HttpPool, sim_url: str, profile: Profile) -> Egress:
    return Egress(pool, sim_url, profile, wire_for(profile))


@pytest.fixture
def real_wire(profile: Profile) -> None:
    """For behaviour only the real adapters have (tools, JSON mode, other surfaces)."""
    if not profile.real_wire:
        pytest.skip("the fake wire speaks plain text only")
