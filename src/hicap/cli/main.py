"""The `hicap` command. Thin: each command parses its options and calls one function."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from hicap.cli.paths import DataDir, default_data_dir

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from hicap.cli.runfile import PlatformInfo

T = TypeVar("T")

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Hicap: run and operate the platform."
)
events_app = typer.Typer(no_args_is_help=True, help="Watch the event bus.")
app.add_typer(events_app, name="events")
keys_app = typer.Typer(
    no_args_is_help=True, help="Issue, list and revoke an org's API keys, as the operator."
)
app.add_typer(keys_app, name="keys")
models_app = typer.Typer(no_args_is_help=True, help="The models the platform serves.")
app.add_typer(models_app, name="models")
reservations_app = typer.Typer(
    no_args_is_help=True, help="Reserve throughput (TPM) of a model for an org, as the operator."
)
app.add_typer(reservations_app, name="reservations")
deployments_app = typer.Typer(
    no_args_is_help=True, help="The provider deployments (reserved, on-demand) serving each model."
)
app.add_typer(deployments_app, name="deployments")

OrgOpt = Annotated[str, typer.Option("--org", help="The org's id.")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="The platform's data dir [default: $HICAP_DATA_DIR or ./.hicap]."
    ),
]


def resolve_data_dir(path: Path | None) -> DataDir:
    return DataDir.at(path if path is not None else default_data_dir())


@app.command()
def up(
    data_dir: DataDirOpt = None,
    port: Annotated[int, typer.Option("--port", help="Port of the public API.")] = 8080,
    log_format: Annotated[str, typer.Option("--log-format", help="console or json.")] = "console",
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Do not echo the components' logs.")
    ] = False,
) -> None:
    """Start the whole platform locally; Ctrl-C stops it."""
    from hicap.cli.up import StartFailed, UpOptions, run_up

    if log_format not in ("console", "json"):
        raise typer.BadParameter("--log-format must be console or json")
    console = Console(stderr=False)
    opts = UpOptions(
        resolve_data_dir(data_dir), port, log_format, log_level.upper(), echo_logs=not quiet
    )
    try:
        code = asyncio.run(run_up(opts, console))
    except StartFailed as exc:
        console.print(f"[bold red]hicap up failed:[/] {exc}")
        code = 1
    raise typer.Exit(code)


def load_platform(data_dir: Path | None) -> PlatformInfo:
    """The platform running on the data dir, or exit 1 saying how to start one."""
    from hicap.cli.runfile import PlatformInfo, PlatformNotRunning

    try:
        return PlatformInfo.load(resolve_data_dir(data_dir))
    except PlatformNotRunning as exc:
        Console(stderr=True).print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None


@app.command()
def status(
    data_dir: DataDirOpt = None,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for answers.")] = 0.5,
) -> None:
    """Health, version, uptime and projection lag of every component."""
    from hicap.cli.status import gather_status, render_status, status_exit_code

    info = load_platform(data_dir)
    rows = asyncio.run(gather_status(info, wait_s=wait))
    render_status(rows, Console())
    raise typer.Exit(status_exit_code(rows))


@events_app.command("tail")
def events_tail(
    data_dir: DataDirOpt = None,
    stream: Annotated[
        str | None, typer.Option("--stream", help="One stream (AUTH, USAGE, ...).")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="A NATS subject pattern.")
    ] = None,
    from_start: Annotated[
        bool, typer.Option("--from-start", help="Begin at the first event.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Begin this long ago: 30s, 10m, 2h, 7d.")
    ] = None,
) -> None:
    """Print every event as one JSON line, following live until Ctrl-C."""
    from hicap.cli.durations import InvalidDuration, parse_duration
    from hicap.cli.tail import TailError, tail_events
    from hicap.errors import HicapError

    info = load_platform(data_dir)
    err = Console(stderr=True)
    try:
        window = parse_duration(since) if since else None

        async def follow() -> None:
            stop = asyncio.Event()  # Ctrl-C / SIGTERM end the tail cleanly, between events
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await tail_events(
                info.nats_url, stream=stream, subject=subject, from_start=from_start, since=window,
                out=sys.stdout, stop=stop,
            )  # fmt: skip

        asyncio.run(follow())
    except (TailError, InvalidDuration, HicapError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    except BrokenPipeError:
        # `hicap events tail | head`: the reader left; say nothing, and stop Python from
        # complaining while it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@models_app.command("add")
def models_add(
    name: Annotated[str, typer.Argument(help="The model name clients will send.")],
    base_url: Annotated[
        str, typer.Option("--base-url", help="Where it is served, e.g. http://gpu-box:8000/v1.")
    ],
    upstream_model: Annotated[
        str, typer.Option("--upstream-model", help="The model name the server there knows.")
    ],
    provider: Annotated[
        str, typer.Option("--provider", help="Wire format: openai-compatible, openai, ...")
    ] = "openai-compatible",
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="Key for that server; kept in <data dir>/secrets only."),
    ] = None,
    input_price: Annotated[
        str, typer.Option("--input-price", help="USD per million input tokens.")
    ] = "0",
    output_price: Annotated[
        str, typer.Option("--output-price", help="USD per million output tokens.")
    ] = "0",
    context_window: Annotated[int, typer.Option("--context-window", help="Tokens.")] = 128_000,
    data_dir: DataDirOpt = None,
) -> None:
    """Add a model (or replace one of that name) in the running platform's catalogue."""
    from hicap.cli.models import ModelsError, NewModel, add_model, build_model
    from hicap.errors import HicapError

    new = NewModel(name, provider, base_url, upstream_model, api_key, input_price,
                   output_price, context_window)  # fmt: skip
    err = Console(stderr=True)
    try:
        build_model(new)  # a bad price or URL is reported before looking for the platform
        info = load_platform(data_dir)
        asyncio.run(add_model(info.nats_url, resolve_data_dir(data_dir), new))
    except (ModelsError, HicapError) as exc:
        err.print(f"[red]hicap models add: {exc}[/]")
        raise typer.Exit(1) from None
    where = f" (its key is kept under credential model:{name})" if api_key else ""
    Console().print(f"published model {name} at {base_url}{where}")


@models_app.command("list")
def models_list(data_dir: DataDirOpt = None) -> None:
    """The models the running platform serves: the baseline plus the published ones."""
    from hicap.cli.models import ModelsError, fetch_catalog, render_catalog
    from hicap.errors import HicapError

    info = load_platform(data_dir)
    try:
        catalog = asyncio.run(fetch_catalog(info.nats_url))
    except (ModelsError, HicapError) as exc:
        Console(stderr=True).print(f"[red]hicap models list: {exc}[/]")
        raise typer.Exit(1) from None
    render_catalog(catalog, Console())


@keys_app.command("create")
def keys_create(
    org: OrgOpt,
    team: Annotated[str, typer.Option("--team", help="Team id or name.")] = "",
    app_name: Annotated[str, typer.Option("--app", help="App id or name.")] = "",
    role: Annotated[str, typer.Option("--role", help="owner, admin, member or viewer.")] = "member",
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Allow only this model (repeatable).")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A name to recognise the key by.")] = "cli",
    data_dir: DataDirOpt = None,
) -> None:
    """Issue a key and print it (only the key) on stdout; details go to stderr."""
    from hicap.cli.keys import KeySpec, RoleName, create_key, describe_issued

    if role.lower() not in set(RoleName):
        raise typer.BadParameter("--role must be owner, admin, member or viewer")
    info = load_platform(data_dir)
    spec = KeySpec(org, team, app_name, RoleName(role.lower()), tuple(model or ()), name)
    reply = run_or_exit(create_key(info.nats_url, spec))
    Console(stderr=True).print(describe_issued(reply), highlight=False)
    print(reply.key.key)


@keys_app.command("list")
def keys_list(
    org: OrgOpt,
    revoked: Annotated[bool, typer.Option("--revoked", help="Show revoked keys too.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """The org's keys: id, name, display prefix, role, team, app, models (never a key)."""
    from hicap.cli.keys import list_keys, render_keys

    info = load_platform(data_dir)
    keys = run_or_exit(list_keys(info.nats_url, org, include_revoked=revoked))
    render_keys(keys, Console())


@keys_app.command("revoke")
def keys_revoke(
    org: OrgOpt,
    key_id: Annotated[str, typer.Argument(help="The key's id (key_...).")],
    reason: Annotated[str, typer.Option("--reason")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Revoke a key: it is refused everywhere within a second."""
    from hicap.cli.keys import revoke_key

    info = load_platform(data_dir)
    key = run_or_exit(revoke_key(info.nats_url, org, key_id, reason))
    Console(stderr=True).print(f"revoked {key.key_id} ({key.display_prefix}…)", highlight=False)


@app.command()
def usage(
    org: OrgOpt,
    by: Annotated[
        str, typer.Option("--by", help="Group by model, app, team, lane, route, key or day.")
    ] = "model",
    since: Annotated[
        str, typer.Option("--since", help="From this long ago until now: 24h, 7d, 30d.")
    ] = "30d",
    data_dir: DataDirOpt = None,
) -> None:
    """One org's usage: requests, tokens, cost and latency per group, highest cost first."""
    from datetime import UTC, datetime

    from hicap.cli.durations import InvalidDuration, parse_duration
    from hicap.cli.usage import UsageAsk, fetch_usage, render_usage
    from hicap.errors import InvalidRequest

    try:  # a bad --by or --since is reported before looking for the platform
        ask = UsageAsk(org, by.lower(), parse_duration(since)).checked()
    except (InvalidDuration, InvalidRequest) as exc:
        raise typer.BadParameter(str(exc)) from None
    info = load_platform(data_dir)
    groups = run_or_exit(fetch_usage(info.nats_url, ask, datetime.now(UTC)))
    render_usage(groups, ask.group_by, Console())


ReservationArg = Annotated[str, typer.Argument(help="The reservation's id.")]
TpmOpt = Annotated[int, typer.Option("--tpm", help="Tokens per minute.")]


@reservations_app.command("create")
def reservations_create(
    org: OrgOpt,
    model: Annotated[str, typer.Option("--model", help="A model of the catalogue.")],
    tpm: TpmOpt,
    months: Annotated[int, typer.Option("--months", help="The term: 1, 3 or 12.")] = 1,
    auto_renew: Annotated[
        bool, typer.Option("--auto-renew/--no-auto-renew", help="Renew at the term's end.")
    ] = True,
    overflow: Annotated[
        bool,
        typer.Option("--overflow/--no-overflow", help="Past the reservation: on-demand, or 429."),
    ] = True,
    data_dir: DataDirOpt = None,
) -> None:
    """Reserve TPM of a model for an org; prints the reservation's id on stdout."""
    from hicap.cli.reservations import NewReservation, create_reservation, describe
    from hicap.errors import InvalidRequest

    try:  # a bad --tpm or --months is reported before looking for the platform
        new = NewReservation(org, model, tpm, months, auto_renew, overflow).checked()
    except InvalidRequest as exc:
        raise typer.BadParameter(exc.message) from None
    info = load_platform(data_dir)
    view = run_or_exit(create_reservation(info.nats_url, new))
    Console(stderr=True).print("\n".join(describe(view)), highlight=False)
    print(view.id)


@reservations_app.command("list")
def reservations_list(
    org: Annotated[str, typer.Option("--org", help="One org's only.")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Every org's reservations (or one org's), newest first."""
    from hicap.cli.reservations import list_reservations, render_reservations

    info = load_platform(data_dir)
    render_reservations(run_or_exit(list_reservations(info.nats_url, org)), Console())


@reservations_app.command("show")
def reservations_show(reservation_id: ReservationArg, data_dir: DataDirOpt = None) -> None:
    """One reservation: TPM, status, period, term, fee and allocations."""
    from hicap.cli.reservations import describe, get_reservation

    info = load_platform(data_dir)
    view = run_or_exit(get_reservation(info.nats_url, reservation_id))
    Console().print("\n".join(describe(view)), highlight=False)


@reservations_app.command("scale")
def reservations_scale(
    reservation_id: ReservationArg, tpm: TpmOpt, data_dir: DataDirOpt = None
) -> None:
    """Change the TPM: up at once when capacity allows, down from the next period."""
    from hicap.cli.reservations import scale_reservation

    if tpm <= 0:
        raise typer.BadParameter("--tpm must be a positive number of tokens per minute")
    info = load_platform(data_dir)
    view = run_or_exit(scale_reservation(info.nats_url, reservation_id, tpm))
    pending = f", {view.pending_tpm:,} from the next period" if view.pending_tpm else ""
    Console().print(f"{view.id}: {view.tpm:,} TPM now{pending}", highlight=False)


@reservations_app.command("cancel")
def reservations_cancel(reservation_id: ReservationArg, data_dir: DataDirOpt = None) -> None:
    """Cancel at the end of the paid term (it serves until then)."""
    from hicap.cli.reservations import cancel_reservation

    info = load_platform(data_dir)
    view = run_or_exit(cancel_reservation(info.nats_url, reservation_id))
    until = view.term_end.ToJsonString() if view.term_end.seconds else "the end of its term"
    Console().print(f"{view.id}: {view.status}; serves until {until}", highlight=False)


@deployments_app.command("add")
def deployments_add(
    model: Annotated[str, typer.Option("--model", help="The model it serves.")],
    name: Annotated[str, typer.Option("--name", help="Unique across the catalogue.")],
    kind: Annotated[str, typer.Option("--kind", help="reserved or on-demand.")],
    tpm: Annotated[int, typer.Option("--tpm", help="Reserved: TPM bought; on-demand: limit.")] = 0,
    rpm: Annotated[int, typer.Option("--rpm", help="Requests per minute limit.")] = 0,
    region: Annotated[str, typer.Option("--region", help="e.g. azure/eastus2.")] = "",
    base_url: Annotated[str, typer.Option("--base-url", help="Default: the model's.")] = "",
    upstream_model: Annotated[str, typer.Option("--upstream-model")] = "",
    credential_ref: Annotated[str, typer.Option("--credential-ref")] = "",
    hourly_cost: Annotated[str, typer.Option("--hourly-cost", help="Reserved: USD/hour.")] = "0",
    input_cost: Annotated[str, typer.Option("--input-cost", help="USD per M tokens.")] = "0",
    output_cost: Annotated[str, typer.Option("--output-cost", help="USD per M tokens.")] = "0",
    data_dir: DataDirOpt = None,
) -> None:
    """Declare a provider deployment of a model (or replace the one of that name)."""
    from hicap.cli.deployments import NewDeployment, add_deployment, build_deployment
    from hicap.cli.models import ModelsError
    from hicap.errors import HicapError

    new = NewDeployment(model, name, kind.lower(), tpm, rpm, region, base_url, upstream_model,
                        credential_ref, "", hourly_cost, input_cost, output_cost)  # fmt: skip
    try:
        build_deployment(new)  # a bad kind or cost is reported before looking for the platform
        info = load_platform(data_dir)
        added = asyncio.run(add_deployment(info.nats_url, new))
    except (ModelsError, HicapError) as exc:
        Console(stderr=True).print(f"[red]hicap deployments add: {exc}[/]", highlight=False)
        raise typer.Exit(1) from None
    Console().print(f"declared {added.kind} deployment {added.name} of {model}", highlight=False)


@deployments_app.command("list")
def deployments_list(
    model: Annotated[str | None, typer.Option("--model", help="One model's only.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """The deployments of every model (or one): kind, region, limits and costs."""
    from hicap.cli.deployments import render_deployments
    from hicap.cli.models import ModelsError, fetch_catalog
    from hicap.errors import HicapError

    info = load_platform(data_dir)
    try:
        render_deployments(asyncio.run(fetch_catalog(info.nats_url)), model, Console())
    except (ModelsError, HicapError) as exc:
        Console(stderr=True).print(f"[red]hicap deployments list: {exc}[/]", highlight=False)
        raise typer.Exit(1) from None


def run_or_exit(work: Coroutine[object, object, T]) -> T:
    """Run an operator command; a refusal (HicapError) is one red line and exit 1."""
    from hicap.errors import HicapError

    try:
        return asyncio.run(work)
    except HicapError as exc:
        Console(stderr=True).print(f"[red]{exc.message}[/]", highlight=False)
        raise typer.Exit(1) from None


def main() -> None:
    app()
