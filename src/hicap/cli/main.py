"""The `hicap` command. Thin: each command parses its options and calls one function."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hicap.cli.paths import DataDir, default_data_dir

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


def main() -> None:
    app()
