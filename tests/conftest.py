"""Session-wide real servers, and per-test ids, so tests share servers but never state.

Owns the pytest fixtures: `nats_server`, `nats_server_factory`, `temporal_server`,
`chdb_dir`, `chdb_session`, `chdb_database`, `task_queue`, `org_id`. Servers start on first
use (a unit test that asks for none starts none), bind 127.0.0.1 and are stopped by PID at
the end of the session. The process code lives in `tests/fixtures/`, free of pytest.
temporalio and chdb are imported inside their fixtures so unit tests do not pay for them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fixtures.servers import NatsServer, start_nats_server

if TYPE_CHECKING:
    from chdb.session import Session

    from tests.fixtures.temporal import TemporalServer


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """One nats-server with JetStream for the session: `.url`, `.stop()`, `.restart()`."""
    server = start_nats_server(tmp_path_factory.mktemp("nats"))
    yield server
    server.stop()


@pytest.fixture
def nats_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., NatsServer]]:
    """Start private nats-servers (to stop, restart or break); all stopped after the test."""
    started: list[NatsServer] = []

    def start(store_dir: Path | None = None, **options: object) -> NatsServer:
        directory = store_dir or tmp_path_factory.mktemp("nats-private")
        server = start_nats_server(directory, **options)  # type: ignore[arg-type]  # pass-through
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
async def temporal_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[TemporalServer]:
    """One Temporal dev server for the session: `.client`, `.target`, `.namespace`."""
    from tests.fixtures.temporal import start_temporal_server

    server = await start_temporal_server(tmp_path_factory.mktemp("temporal"))
    yield server
    await server.stop()


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one chDB data path of this process (chDB refuses a second path while one is open)."""
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def chdb_session(chdb_dir: Path) -> Iterator[Session]:
    """The session's chDB; code under test must open `chdb_dir`, not a path of its own."""
    from chdb.session import Session

    session = Session(str(chdb_dir))
    yield session
    session.close()


@pytest.fixture
def chdb_database(chdb_session: Session) -> Iterator[str]:
    """A fresh, empty chDB database for this test; dropped afterwards."""
    name = f"test_{uuid.uuid4().hex}"
    chdb_session.query(f"CREATE DATABASE {name}")
    yield name
    chdb_session.query(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture
def task_queue() -> str:
    """A Temporal task queue of this test's own, so its worker sees only its workflows."""
    return f"tq-{uuid.uuid4()}"


@pytest.fixture
def org_id() -> str:
    """A fresh org id, so each test's rows, events and keys belong to no other test."""
    return f"org_{uuid.uuid4().hex}"
