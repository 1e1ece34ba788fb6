"""Composition root of auth: its directory projection over AUTH. Commands arrive with the
request-path issue."""

from __future__ import annotations

from hicap.auth.projections import Directory, evolve
from hicap.bus import Projection, ProjectionRunner, Snapshot
from hicap.events import Stream
from hicap.runtime import Runtime, run_service
from hicap.settings import AuthSettings


async def setup(rt: Runtime[AuthSettings]) -> None:
    directory = Projection(Stream.AUTH, evolve, Snapshot(Directory(), 0))
    rt.add_projection(ProjectionRunner(rt.bus, directory))


def main() -> None:
    run_service("auth", AuthSettings, setup)
