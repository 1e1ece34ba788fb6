"""The `hicap` command. Thin: each command parses its options and calls one function."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hicap.cli.paths import DataDir, default_data_dir

if TYPE_CHECKING:
    from hicap.cli.runfile import PlatformInfo

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Hicap: run and operate the platform."
)
events_app = typer.Typer(no_args_is_help=True, help="Watch the event bus.")
app.add_typer(events_app, name="events")

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


def main() -> None:
    app()
