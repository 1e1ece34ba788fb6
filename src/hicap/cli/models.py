"""`hicap models add` and `hicap models list`: the model catalogue of a running platform.

Owns turning the command line into a `Model` (prices in USD per million tokens, parsed as
exact decimals; a clear `ModelsError` for a bad URL or price), keeping a model's API key in
`<data dir>/secrets/credentials.json` (`{"<ref>": "<key>"}`, file 0600 in a 0700 directory,
replaced atomically under a lock) under ref `model:<NAME>`, sending capacity-scheduler's
`publish_model` command, and reading the catalogue back (the packaged baseline plus the
CAPACITY stream, folded as the services fold it). The key goes into that file and nowhere
else: the event carries only its ref. Imports libs only, never a service.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from rich.console import Console
from rich.table import Table

from hicap.bus import Bus, Projection, ProjectionRunner, Snapshot, commands, connect
from hicap.catalog import PROVIDERS, Catalog, Deployment, Model, Price, evolve, load_baseline
from hicap.catalog import model_to_event as to_event
from hicap.cli.paths import DataDir
from hicap.events import Stream
from hicap.events.v1 import capacity_commands_pb2 as cmd
from hicap.money import format_usd, usd_to_micros

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "ModelsError",
    "NewModel",
    "add_model",
    "build_model",
    "credentials_file",
    "fetch_catalog",
    "render_catalog",
    "replay_catalog",
    "save_credential",
]

PUBLISH_SUBJECT = commands.command_subject("capacity-scheduler", "publish_model")
DEFAULT_CONTEXT_WINDOW = 128_000
REPLAY_TIMEOUT_S = 10.0


class ModelsError(RuntimeError):
    """The command cannot run as asked; the message says which option and why."""


@dataclass(frozen=True, slots=True)
class NewModel:
    """`hicap models add`'s options, as typed (prices still strings)."""

    name: str
    provider: str
    base_url: str
    upstream_model: str
    api_key: str | None = None
    input_price: str = "0"
    output_price: str = "0"
    context_window: int = DEFAULT_CONTEXT_WINDOW

    @property
    def credential_ref(self) -> str:
        return f"model:{self.name}" if self.api_key else ""


def build_model(new: NewModel, *, now: datetime | None = None) -> Model:
    """The model to publish; ModelsError for what can be told wrong without the platform."""
    if new.provider not in PROVIDERS:
        raise ModelsError(f"--provider must be one of {', '.join(sorted(PROVIDERS))}")
    _check_url(new.base_url)
    if new.context_window <= 0:
        raise ModelsError("--context-window must be a positive number of tokens")
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    price = Price(start, _micros("--input-price", new.input_price), 0, 0,
                  _micros("--output-price", new.output_price))  # fmt: skip
    deployment = Deployment(
        new.name, new.provider, new.base_url, new.upstream_model, new.credential_ref
    )
    return Model(new.name, new.provider, new.context_window, (deployment,), (price,))


async def add_model(nats_url: str, data_dir: DataDir, new: NewModel) -> Model:
    """Keep the key (if any), then publish the model; returns what was published."""
    model = build_model(new)
    if new.api_key:
        save_credential(data_dir, new.credential_ref, new.api_key)
    bus = await connect(nats_url, name="hicap-cli-models")
    try:
        request = cmd.PublishModel(model=to_event(model))
        await commands.request(bus, PUBLISH_SUBJECT, request, cmd.PublishModelReply)
    finally:
        await bus.close()
    return model


async def fetch_catalog(nats_url: str, *, timeout_s: float = REPLAY_TIMEOUT_S) -> Catalog:
    """The catalogue the platform serves: the baseline with the CAPACITY stream folded in."""
    bus = await connect(nats_url, name="hicap-cli-models")
    try:
        return await replay_catalog(bus, timeout_s=timeout_s)
    finally:
        await bus.close()


async def replay_catalog(bus: Bus, *, timeout_s: float = REPLAY_TIMEOUT_S) -> Catalog:
    projection = Projection(Stream.CAPACITY, evolve, Snapshot(load_baseline(), 0))
    runner = ProjectionRunner(bus, projection)
    await runner.start()
    try:
        await runner.wait_caught_up(timeout_s)
    except TimeoutError:
        raise ModelsError(f"the CAPACITY stream did not replay within {timeout_s:g}s") from None
    finally:
        await runner.stop()
    return runner.state


def render_catalog(catalog: Catalog, console: Console) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("model", "provider", "context", "input $/Mtok", "output $/Mtok", "deployments"):
        table.add_column(column, overflow="fold")
    now = datetime.now(UTC)
    for model in sorted(catalog.models.values(), key=lambda m: m.name):
        price = model.price_at(now) if model.prices else None
        table.add_row(
            model.name,
            model.provider,
            f"{model.context_window:,}",
            _usd(price.input_micros_per_mtok) if price else "",
            _usd(price.output_micros_per_mtok) if price else "",
            "\n".join(f"{d.name} ({d.upstream_model} at {d.base_url})" for d in model.deployments),
        )
    console.print(table)


def credentials_file(data_dir: DataDir) -> Path:
    return data_dir.root / "secrets" / "credentials.json"


def save_credential(data_dir: DataDir, ref: str, key: str) -> None:
    """Add or replace `ref` in the credentials file, never leaving it readable by others."""
    path = credentials_file(data_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    with _locked(path.with_name(path.name + ".lock")):
        current = _read_credentials(path)
        current[ref] = key
        _write_private(path, orjson.dumps(current, option=orjson.OPT_INDENT_2))


def _read_credentials(path: Path) -> dict[str, str]:
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except orjson.JSONDecodeError as exc:
        raise ModelsError(f"{path} is not JSON ({exc}); fix or remove it") from None
    if not isinstance(raw, dict):
        raise ModelsError(f"{path} must hold a JSON object of credential refs")
    return {str(k): str(v) for k, v in raw.items()}


def _write_private(path: Path, data: bytes) -> None:
    """Created 0600 from the start (never world-readable), then renamed over the old file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise ModelsError("--base-url is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelsError("--base-url must be an http(s) URL with a host, e.g. http://host:8000/v1")
    if parts.username is not None or parts.password is not None:
        raise ModelsError("--base-url must not carry a user or password; use --api-key")


def _micros(option: str, usd: str) -> int:
    try:
        amount = Decimal(usd.strip().removeprefix("$"))
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
        return usd_to_micros(amount)
    except (InvalidOperation, ValueError):
        raise ModelsError(
            f"{option} {usd!r} is not a price: give USD per million tokens, e.g. 0.50"
        ) from None


def _usd(micros: int) -> str:
    """'2.50', '0.375', '0.00': at least two places, no trailing zeros beyond them."""
    text = format_usd(micros).rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"
