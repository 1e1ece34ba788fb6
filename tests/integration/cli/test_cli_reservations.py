"""`hicap reservations` and `hicap deployments` as the operator runs them, against a real
NATS and a fake capacity-scheduler (`fake_capacity`): create prints the new id on stdout
and sends the org, TPM, term and options asked; list shows every org's (or one org's);
show prints one; scale and cancel act as the reservation's own org, scale with a new
change id each time; the scheduler's refusals (an oversell naming what is free, an unknown
id) are one red line and exit 1; a bad flag is refused before any platform is looked for.
`deployments add` declares the deployment, filled in from the model's catalogue entry;
`deployments list` reads the catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hicap.bus import Bus
from hicap.events.v1 import capacity_commands_pb2 as capacity
from tests.fixtures.cli import Ran, run_hicap, write_run_file
from tests.fixtures.servers import NatsServer
from tests.integration.admin.fake_capacity import FakeCapacity, fake_capacity

ORG, OTHER = "org_0190a7c2d4e57f00a1b2c3d4e5f60718", "org_0190a7c2d4e57f00a1b2c3d4e5f60719"


@pytest.fixture
def data_dir(tmp_path: Path, nats_server: NatsServer) -> Path:
    """A data dir whose run file points at the session's NATS (this process as supervisor)."""
    return write_run_file(tmp_path, nats_server.url)


@pytest.fixture
async def scheduler(bus: Bus) -> AsyncIterator[FakeCapacity]:
    async with fake_capacity(bus) as fake:
        yield fake


async def hicap(data_dir: Path, *args: str) -> Ran:
    return await run_hicap(*args, "--data-dir", str(data_dir))


async def test_create_prints_the_id_and_sends_what_was_asked(
    data_dir: Path, scheduler: FakeCapacity
) -> None:
    ran = await hicap(data_dir, "reservations", "create", "--org", ORG, "--model", "gpt-5.4",
                      "--tpm", "3400", "--months", "3", "--no-overflow")  # fmt: skip
    assert ran.code == 0, ran.stderr
    rid = ran.stdout.strip()
    assert scheduler.reservations[rid].org_id == ORG
    [sent] = scheduler.seen
    assert isinstance(sent, capacity.CreateReservation)
    assert (sent.model, sent.tpm, sent.months, sent.auto_renew, sent.overflow) == (
        "gpt-5.4", 3400, 3, True, False,
    )  # fmt: skip
    assert "3,400" in ran.stderr and "active" in ran.stderr


async def test_list_shows_every_org_or_one(data_dir: Path, scheduler: FakeCapacity) -> None:
    mine, theirs = scheduler.seed(ORG, "gpt-5.4"), scheduler.seed(OTHER, "gpt-4.1")
    every = await hicap(data_dir, "reservations", "list")
    assert every.code == 0, every.stderr
    assert mine.id in every.stdout and theirs.id in every.stdout and "gpt-5.4" in every.stdout
    one = await hicap(data_dir, "reservations", "list", "--org", ORG)
    assert mine.id in one.stdout and theirs.id not in one.stdout


async def test_show_scale_and_cancel_act_as_the_reservations_org(
    data_dir: Path, scheduler: FakeCapacity
) -> None:
    rid = scheduler.seed(ORG, tpm=1000).id
    shown = await hicap(data_dir, "reservations", "show", rid)
    assert shown.code == 0, shown.stderr
    assert f"org           {ORG}" in shown.stdout and "openai-gpt-5.4-ptu 1,000" in shown.stdout
    up = await hicap(data_dir, "reservations", "scale", rid, "--tpm", "2000")
    down = await hicap(data_dir, "reservations", "scale", rid, "--tpm", "500")
    assert up.code == 0 and down.code == 0, up.stderr + down.stderr
    assert "2,000 TPM now, 500 from the next period" in down.stdout
    cancelled = await hicap(data_dir, "reservations", "cancel", rid)
    assert cancelled.code == 0, cancelled.stderr
    assert "cancelling" in cancelled.stdout and scheduler.reservations[rid].status == "cancelling"
    acts = [
        m
        for m in scheduler.seen
        if isinstance(m, capacity.UpdateReservation | capacity.CancelReservation)
    ]
    assert {m.org_id for m in acts} == {ORG}
    changes = {m.change_id for m in acts if isinstance(m, capacity.UpdateReservation)}
    assert len(changes) == 2


async def test_an_oversell_is_one_red_line_naming_what_is_free(
    data_dir: Path, scheduler: FakeCapacity
) -> None:
    scheduler.seed(OTHER, "gpt-4.1", tpm=99_000)
    ran = await hicap(data_dir, "reservations", "create", "--org", ORG, "--model", "gpt-4.1",
                      "--tpm", "5000")  # fmt: skip
    assert ran.code == 1
    assert "1000 TPM is free" in ran.stderr and not ran.stdout


async def test_an_unknown_reservation_is_refused(data_dir: Path, scheduler: FakeCapacity) -> None:
    ran = await hicap(data_dir, "reservations", "cancel", "rsv_nope")
    assert ran.code == 1 and "rsv_nope not found" in ran.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [(("--tpm", "0"), "--tpm"), (("--tpm", "10", "--months", "2"), "--months")],
)
async def test_a_bad_flag_is_refused_before_looking_for_a_platform(
    tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    ran = await hicap(tmp_path / "nothing-here", "reservations", "create", "--org", ORG,
                      "--model", "gpt-5.4", *args)  # fmt: skip
    assert ran.code == 2 and named in ran.stderr


async def test_deployments_add_fills_what_is_left_out_from_the_catalogue(
    data_dir: Path, scheduler: FakeCapacity
) -> None:
    ran = await hicap(data_dir, "deployments", "add", "--model", "gpt-5.4", "--name", "gpt-5.4-ptu2",
                      "--kind", "reserved", "--tpm", "50000", "--region", "azure/westus3",
                      "--hourly-cost", "10.50")  # fmt: skip
    assert ran.code == 0, ran.stderr
    [declared] = scheduler.declared
    d = declared.deployment
    assert (declared.model, d.name, d.kind, d.tpm, d.region, d.hourly_cost_micros) == (
        "gpt-5.4", "gpt-5.4-ptu2", "reserved", 50_000, "azure/westus3", 10_500_000,
    )  # fmt: skip
    assert (d.provider, d.base_url, d.upstream_model, d.credential_ref) == (
        "openai", "https://api.openai.com/v1", "gpt-5.4", "openai",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--kind", "spot"), "--kind"),
        (("--kind", "reserved"), "--tpm"),
        (("--kind", "on-demand", "--input-cost", "cheap"), "--input-cost"),
    ],
)
async def test_deployments_add_refuses_a_bad_option_naming_it(
    tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    ran = await hicap(tmp_path, "deployments", "add", "--model", "gpt-5.4", "--name", "x", *args)
    assert ran.code == 1 and named in ran.stderr


async def test_deployments_list_shows_each_models_deployments(data_dir: Path) -> None:
    ran = await hicap(data_dir, "deployments", "list", "--model", "gpt-4.1")
    assert ran.code == 0, ran.stderr
    assert "openai-gpt-4.1-b" in ran.stdout and "gpt-5.4" not in ran.stdout
