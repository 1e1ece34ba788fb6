"""The model catalogue over the real bus: capacity-scheduler's `publish_model` answers once
its ModelPublished is stored and folded; another projection sees the model within a second;
invalid models are refused naming the field; `hicap models add` keeps the API key in the
data dir's secrets file and never on the CAPACITY stream."""

from __future__ import annotations

import stat
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, commands, stream_last_seq
from hicap.capacity_scheduler.app import PUBLISH_MODEL_SUBJECT, CatalogService, start_catalog
from hicap.catalog import Catalog, Deployment, Model, Price, evolve, load_baseline, model_to_event
from hicap.cli.models import NewModel, add_model, credentials_file, replay_catalog
from hicap.cli.paths import DataDir
from hicap.errors import InvalidRequest
from hicap.events import Stream
from hicap.events.v1 import capacity_commands_pb2 as cmd
from tests.asserts import assert_eventually
from tests.fixtures.cli import run_hicap, write_run_file
from tests.fixtures.servers import NatsServer

FREE = Price(datetime(2026, 1, 1, tzinfo=UTC), 0, 0, 0, 0)


@pytest.fixture
async def scheduler(bus: Bus) -> AsyncIterator[CatalogService]:
    service = await start_catalog(bus)
    await service.runner.wait_caught_up(10)
    yield service
    await service.stop()


@pytest.fixture
async def observer(bus: Bus) -> AsyncIterator[ProjectionRunner[Catalog]]:
    """Another service's catalogue projection (ingress's, say)."""
    runner = ProjectionRunner(
        bus, Projection(Stream.CAPACITY, evolve, Snapshot(load_baseline(), 0))
    )
    await runner.start()
    await runner.wait_caught_up(10)
    yield runner
    await runner.stop()


def local_model(name: str | None = None) -> Model:
    name = name or f"local-{uuid.uuid4().hex[:8]}"
    deployment = Deployment(name, "openai-compatible", "http://gpu-box:8000/v1", "llama", "")
    return Model(name, "openai-compatible", 8192, (deployment,), (FREE,))


async def publish_model(bus: Bus, model: Model) -> cmd.PublishModelReply:
    request = cmd.PublishModel(model=model_to_event(model))
    return await commands.request(bus, PUBLISH_MODEL_SUBJECT, request, cmd.PublishModelReply)


async def test_a_published_model_is_served_by_another_projection_within_a_second(
    bus: Bus, scheduler: CatalogService, observer: ProjectionRunner[Catalog]
) -> None:
    model = local_model()
    reply = await publish_model(bus, model)
    assert reply.model == model.name
    assert scheduler.catalog.model(model.name) == model  # read-your-write at the reply
    await assert_eventually(lambda: observer.state.model(model.name) == model, timeout=1.0)
    assert observer.state.deployment(model.name) == model.deployments[0]
    assert observer.state.model("gpt-5.4") is not None  # the baseline is still there


async def test_publishing_a_model_again_replaces_it(bus: Bus, scheduler: CatalogService) -> None:
    model = local_model()
    await publish_model(bus, model)
    moved = replace(model.deployments[0], base_url="http://other-box:8000/v1")
    await publish_model(bus, replace(model, deployments=(moved,)))
    assert scheduler.catalog.deployment(model.name) == moved


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"provider": "bedrock"}, "provider"),
        ({"name": "no spaces please"}, "model"),
        ({"deployments": ()}, "deployments"),
    ],
)
async def test_an_invalid_model_is_refused_naming_the_field(
    bus: Bus, scheduler: CatalogService, edit: dict[str, object], field: str
) -> None:
    before = await stream_last_seq(bus, Stream.CAPACITY)
    with pytest.raises(InvalidRequest, match=f"^{field}"):
        await publish_model(bus, replace(local_model(), **edit))  # type: ignore[arg-type]  # test table
    assert await stream_last_seq(bus, Stream.CAPACITY) == before  # nothing was appended


async def test_a_bad_base_url_is_refused_naming_the_deployment_field(
    bus: Bus, scheduler: CatalogService
) -> None:
    model = local_model()
    bad = replace(model.deployments[0], base_url="gpu-box:8000")
    with pytest.raises(InvalidRequest, match=r"deployments\[0\]\.base_url"):
        await publish_model(bus, replace(model, deployments=(bad,)))


async def test_a_deployment_name_of_another_model_is_refused(
    bus: Bus, scheduler: CatalogService
) -> None:
    taken = replace(local_model().deployments[0], name="openai-gpt-4.1-b")
    with pytest.raises(InvalidRequest, match=r"already a deployment of gpt-4\.1"):
        await publish_model(bus, replace(local_model(), deployments=(taken,)))


# --- the CLI's side --------------------------------------------------------------------


async def capacity_stream_bytes(bus: Bus) -> bytes:
    """Every raw message of the CAPACITY stream: headers and data, as stored."""
    chunks = []
    for seq in range(1, await stream_last_seq(bus, Stream.CAPACITY) + 1):
        msg = await bus.js.get_msg(Stream.CAPACITY.value, seq)
        chunks += [msg.data or b"", orjson.dumps(msg.headers or {})]
    return b"".join(chunks)


async def test_an_api_key_is_kept_in_the_secrets_file_and_never_on_the_stream(
    bus: Bus, nats_server: NatsServer, scheduler: CatalogService, tmp_path: Path
) -> None:
    key = f"sk-secret-{uuid.uuid4().hex}"
    data_dir = DataDir.at(tmp_path)
    name = f"local-{uuid.uuid4().hex[:8]}"
    new = NewModel(name, "openai-compatible", "http://gpu-box:8000/v1", "llama", api_key=key,
                   input_price="0.10", output_price="0.20")  # fmt: skip
    await add_model(nats_server.url, data_dir, new)

    published = scheduler.catalog.model(name)
    assert published is not None
    assert published.deployments[0].credential_ref == f"model:{name}"
    assert published.prices[0].input_micros_per_mtok == 100_000
    path = credentials_file(data_dir)
    assert orjson.loads(path.read_bytes()) == {f"model:{name}": key}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = await capacity_stream_bytes(bus)
    assert name.encode() in stored  # the search does look at the model's event
    assert key.encode() not in stored


async def test_a_second_key_is_added_next_to_the_first(
    nats_server: NatsServer, scheduler: CatalogService, tmp_path: Path
) -> None:
    data_dir = DataDir.at(tmp_path)
    for name, key in (("lab-a", "key-a"), ("lab-b", "key-b")):
        new = NewModel(f"{name}-{uuid.uuid4().hex[:6]}", "openai-compatible",
                       "http://gpu-box:8000/v1", "llama", api_key=key)  # fmt: skip
        await add_model(nats_server.url, data_dir, new)
    keys = orjson.loads(credentials_file(data_dir).read_bytes())
    assert sorted(keys.values()) == ["key-a", "key-b"]


async def test_the_cli_lists_the_baseline_and_the_published_models(
    bus: Bus, scheduler: CatalogService
) -> None:
    model = local_model()
    await publish_model(bus, model)
    catalog = await replay_catalog(bus)
    assert catalog.model(model.name) == model
    assert set(load_baseline().models) <= set(catalog.models)


async def run_cli(*args: str) -> tuple[int, str, str]:
    ran = await run_hicap(*args)
    return ran.code, ran.stdout, ran.stderr


async def test_hicap_models_add_and_list_against_a_running_platform(
    nats_server: NatsServer, scheduler: CatalogService, tmp_path: Path
) -> None:
    write_run_file(tmp_path, nats_server.url, temporal_address="127.0.0.1:1")
    name, key = f"cli-{uuid.uuid4().hex[:8]}", f"sk-cli-{uuid.uuid4().hex}"
    code, out, err = await run_cli(
        "models", "add", name, "--base-url", "http://127.0.0.1:9/v1", "--upstream-model",
        "llama", "--api-key", key, "--input-price", "0.5", "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert name in out and key not in out
    assert scheduler.catalog.model(name) is not None

    code, out, _ = await run_cli("models", "list", "--data-dir", str(tmp_path))
    assert code == 0
    assert name in out and "gpt-5.4" in out and "claude-opus-4.6" in out


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--base-url", "gpu-box:8000"], "--base-url"),
        (["--base-url", "http://h/v1", "--input-price", "-1"], "--input-price"),
        (["--base-url", "http://h/v1", "--output-price", "cheap"], "--output-price"),
    ],
)
async def test_hicap_models_add_explains_a_bad_option(
    tmp_path: Path, args: list[str], complaint: str
) -> None:
    code, _, err = await run_cli(
        "models", "add", "m", "--upstream-model", "x", *args, "--data-dir", str(tmp_path)
    )
    assert code == 1 and complaint in err


async def test_hicap_models_add_says_when_no_platform_runs(tmp_path: Path) -> None:
    code, _, err = await run_cli(
        "models", "add", "m", "--base-url", "http://h/v1", "--upstream-model", "x",
        "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 1 and "hicap up" in err
