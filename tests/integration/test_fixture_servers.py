"""The session fixtures start real servers that behave as the platform needs them to.

Covers nats-server (JetStream on, file storage surviving a restart on the same port, a
failed start reported with the server's own log), the Temporal dev server (a worker on its
own task queue runs a workflow), chDB (a table round-trips rows), and assert_eventually.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio import activity, workflow

# The workflow sandbox re-imports this module for every workflow run; passing the heavy,
# non-workflow imports through keeps a run at ~0.1 s instead of ~1.2 s.
with workflow.unsafe.imports_passed_through():
    import nats
    import pytest
    from nats.js.api import StorageType
    from temporalio.worker import Worker

    from tests.asserts import assert_eventually, assert_eventually_sync
    from tests.fixtures.servers import NatsServer, ServerStartError, start_nats_server
    from tests.fixtures.temporal import TemporalServer, start_temporal_server

if TYPE_CHECKING:
    from chdb.session import Session


@dataclass(frozen=True)
class GreetInput:
    name: str


@activity.defn
async def greet(request: GreetInput) -> str:
    return f"hello {request.name}"


@workflow.defn
class GreetWorkflow:
    @workflow.run
    async def run(self, request: GreetInput) -> str:
        return await workflow.execute_activity(
            greet, request, start_to_close_timeout=timedelta(seconds=10)
        )


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_nats_server_acks_jetstream_publishes(nats_server: NatsServer) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    stream = f"FIXTURE_{uuid.uuid4().hex}"
    await js.add_stream(name=stream, subjects=[f"{stream}.>"])

    ack = await js.publish(f"{stream}.hello", b"payload")

    assert (ack.stream, ack.seq) == (stream, 1)
    await js.delete_stream(stream)
    await nc.close()


async def test_nats_restart_keeps_port_and_file_stored_messages(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory()
    port, first_pid = server.port, server.pid
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await js.add_stream(name="KEPT", subjects=["kept.>"], storage=StorageType.FILE)
    for n in range(3):
        await js.publish("kept.n", str(n).encode())
    await nc.close()

    server.restart()

    assert server.port == port
    assert first_pid is not None and not _process_exists(first_pid)
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    assert (await js.stream_info("KEPT")).state.messages == 3
    assert (await js.get_msg("KEPT", 3)).data == b"2"
    await nc.close()


async def test_nats_client_reconnects_after_a_restart_on_the_same_port(
    nats_server_factory: Callable[..., NatsServer],
) -> None:
    server = nats_server_factory()
    nc = await nats.connect(server.url, reconnect_time_wait=0.1, max_reconnect_attempts=-1)
    server.stop()
    await assert_eventually(lambda: not nc.is_connected)

    server.restart()

    await assert_eventually(lambda: nc.is_connected, timeout=10.0)
    response = await nc.jetstream().add_stream(name="AFTER", subjects=["after.>"])
    assert response.config.name == "AFTER"
    await nc.close()


def test_nats_stop_ends_the_server_process(nats_server_factory: Callable[..., NatsServer]) -> None:
    server = nats_server_factory()
    pid = server.pid
    assert pid is not None

    server.stop()

    assert server.pid is None
    assert not _process_exists(pid)


def test_nats_fatal_start_raises_with_the_servers_log(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "store"
    not_a_directory.write_text("a file where the store dir should be")

    with pytest.raises(ServerStartError) as raised:
        start_nats_server(not_a_directory)

    message = str(raised.value)
    assert "[FTL]" in message
    assert "storage directory is not a directory" in message
    assert "Starting nats-server" in message  # the log before the fatal line is there too


def test_nats_bad_flag_raises_with_the_servers_usage_output(tmp_path: Path) -> None:
    with pytest.raises(ServerStartError) as raised:
        start_nats_server(tmp_path, extra_args=["--no-such-flag"])

    assert "flag provided but not defined: -no-such-flag" in str(raised.value)
    assert "exited before it was ready" in str(raised.value)


async def test_temporal_worker_on_own_task_queue_runs_a_workflow(
    temporal_server: TemporalServer, task_queue: str
) -> None:
    client = temporal_server.client
    async with Worker(client, task_queue=task_queue, workflows=[GreetWorkflow], activities=[greet]):
        result = await client.execute_workflow(
            GreetWorkflow.run,
            GreetInput("hicap"),
            id=f"greet-{uuid.uuid4()}",
            task_queue=task_queue,
        )

    assert result == "hello hicap"


async def test_temporal_server_lists_the_workflows_it_ran(
    temporal_server: TemporalServer, task_queue: str
) -> None:
    client = temporal_server.client
    workflow_id = f"greet-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[GreetWorkflow], activities=[greet]):
        await client.execute_workflow(
            GreetWorkflow.run, GreetInput("x"), id=workflow_id, task_queue=task_queue
        )

    async def listed() -> None:
        ids = [wf.id async for wf in client.list_workflows(f"TaskQueue = '{task_queue}'")]
        assert ids == [workflow_id]

    await assert_eventually(listed, timeout=10.0)
    assert temporal_server.target.startswith("127.0.0.1:")
    assert temporal_server.namespace == "default"
    assert temporal_server.pid is not None and _process_exists(temporal_server.pid)


async def test_temporal_stop_ends_the_dev_server_process(tmp_path: Path) -> None:
    server = await start_temporal_server(tmp_path)
    pid = server.pid
    assert pid is not None

    await server.stop()

    assert not _process_exists(pid)


async def test_temporal_failed_start_raises_with_the_servers_log(tmp_path: Path) -> None:
    (tmp_path / "temporal.db").mkdir()  # SQLite cannot open a directory as its file

    with pytest.raises(ServerStartError) as raised:
        await start_temporal_server(tmp_path, startup_timeout_s=2.0)

    assert "unable to open database file" in str(raised.value)


def test_chdb_table_returns_inserted_rows(chdb_session: Session, chdb_database: str) -> None:
    table = f"{chdb_database}.usage"
    chdb_session.query(
        f"CREATE TABLE {table} (org_id String, tokens UInt64) ENGINE = MergeTree ORDER BY org_id"
    )
    chdb_session.query(f"INSERT INTO {table} VALUES ('org_a', 10), ('org_b', 5), ('org_a', 7)")

    result = chdb_session.query(
        f"SELECT org_id, sum(tokens) FROM {table} GROUP BY org_id ORDER BY org_id", "CSV"
    )

    assert result.bytes().decode() == '"org_a",17\n"org_b",5\n'


def test_chdb_databases_of_different_tests_are_isolated(
    chdb_session: Session, chdb_database: str
) -> None:
    tables = chdb_session.query(f"SHOW TABLES FROM {chdb_database}", "CSV")
    assert tables.bytes() == b""


def test_org_id_is_fresh_per_test(org_id: str) -> None:
    assert org_id.startswith("org_") and len(org_id) == len("org_") + 32


async def test_assert_eventually_returns_once_the_check_passes() -> None:
    calls: list[int] = []

    def check() -> list[int]:
        calls.append(1)
        return calls if len(calls) >= 3 else []

    assert await assert_eventually(check, timeout=2.0, interval=0.01) == [1, 1, 1]


def test_assert_eventually_reraises_the_last_assertion_at_timeout() -> None:
    def check() -> None:
        assert 1 + 1 == 3, "arithmetic still broken"

    with pytest.raises(AssertionError, match="arithmetic still broken") as raised:
        assert_eventually_sync(check, timeout=0.1, interval=0.01)

    assert "still failing after 0.1 s" in raised.value.__notes__[0]
