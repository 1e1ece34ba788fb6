"""The catalogue lib: the packaged baseline file, prices by date, the fold over catalogue
events (replay equals live, snapshot equals from-start) and the event round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import reduce
from importlib import resources
from pathlib import Path

import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from hicap.bus import Projection, Snapshot
from hicap.catalog import (
    PROVIDERS,
    Catalog,
    CatalogFileError,
    Deployment,
    Model,
    Price,
    evolve,
    load_baseline,
    model_from_event,
    model_to_event,
    parse_catalog,
)
from hicap.events import Event, Stream, catalog_pb2, decode, encode, new_event

BASELINE_MODELS = {
    "gpt-5.4",
    "gpt-4.1",
    "codex-mini-latest",
    "claude-opus-4.6",
    "claude-opus-4.5",
    "claude-sonnet-4.5",
    "gemini-3.1-pro",
    "gemini-3.0-flash",
}
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def price(days: int, input_usd_micros: int = 1_000_000) -> Price:
    return Price(T0 + timedelta(days=days), input_usd_micros, 0, 0, 2 * input_usd_micros)


# --- the baseline file ---------------------------------------------------------------------


def test_the_packaged_file_ships_inside_the_package() -> None:
    text = resources.files("hicap.catalog").joinpath("models.toml").read_text("utf-8")
    assert "version = 1" in text


def test_the_baseline_lists_the_models_hicap_serves() -> None:
    catalog = load_baseline()
    assert set(catalog.models) == BASELINE_MODELS


def test_every_baseline_model_has_a_deployment_a_price_and_a_known_provider() -> None:
    for model in load_baseline().models.values():
        assert model.deployments and model.prices, model.name
        assert model.context_window > 0
        assert model.provider in PROVIDERS
        for d in model.deployments:
            assert d.provider in PROVIDERS and d.base_url.startswith("https://")
            assert d.upstream_model and d.credential_ref == d.provider


def test_baseline_deployment_names_are_unique_and_indexed() -> None:
    catalog = load_baseline()
    names = [d.name for m in catalog.models.values() for d in m.deployments]
    assert len(names) == len(set(names)) == len(catalog.deployments)
    assert catalog.deployment("openai-gpt-4.1") == catalog.models["gpt-4.1"].deployments[0]


def test_gpt_4_1_has_a_second_deployment_to_fail_over_to() -> None:
    assert len(load_baseline().models["gpt-4.1"].deployments) >= 2


def test_baseline_prices_are_the_list_prices_in_micro_dollars() -> None:
    catalog = load_baseline()
    now = datetime(2026, 11, 24, tzinfo=UTC)
    opus = catalog.models["claude-opus-4.6"].price_at(now)
    assert (opus.input_micros_per_mtok, opus.output_micros_per_mtok) == (5_000_000, 25_000_000)
    assert opus.cache_write_micros_per_mtok == 6_250_000
    assert catalog.models["codex-mini-latest"].price_at(now).cached_input_micros_per_mtok == 375_000


def test_a_file_can_be_loaded_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL)
    assert set(load_baseline(path).models) == {"local-llama"}


MINIMAL = """
version = 1
[[models]]
name = "local-llama"
provider = "openai-compatible"
context_window = 8192
[[models.deployments]]
name = "lab-llama"
base_url = "http://gpu-box:8000/v1"
upstream_model = "llama"
[[models.prices]]
effective_from = 2026-01-01
input = 0.1
cached_input = 0
cache_write = 0
output = 0.000001
"""


def test_prices_are_read_as_exact_decimals() -> None:
    model = parse_catalog(MINIMAL).models["local-llama"]
    assert model.prices[0].input_micros_per_mtok == 100_000
    assert model.prices[0].output_micros_per_mtok == 1
    assert model.deployments[0].provider == "openai-compatible"
    assert model.deployments[0].credential_ref == ""


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (("version = 1", "version = 2"), "version"),
        (("context_window = 8192", "context_window = 0"), "context_window"),
        (("input = 0.1", "input = -1"), "input"),
        (("output = 0.000001", "output = 0.0000001"), "output"),
        (('upstream_model = "llama"\n', ""), "upstream_model"),
    ],
)
def test_a_malformed_file_names_what_is_wrong(edit: tuple[str, str], complaint: str) -> None:
    with pytest.raises(CatalogFileError, match=complaint):
        parse_catalog(MINIMAL.replace(*edit))


def test_duplicate_deployment_names_are_refused() -> None:
    twice = MINIMAL + MINIMAL.replace("version = 1", "").replace("local-llama", "other")
    with pytest.raises(CatalogFileError, match="lab-llama"):
        parse_catalog(twice)


# --- prices by date ------------------------------------------------------------------------


def model_with(*prices: Price) -> Model:
    deployment = Deployment("d", "openai", "https://x.test/v1", "m", "")
    return Model("m", "openai", 1000, (deployment,), prices)


def test_price_at_is_the_latest_price_already_in_effect() -> None:
    model = model_with(price(0, 1), price(10, 2), price(20, 3))
    assert model.price_at(T0 + timedelta(days=5)).input_micros_per_mtok == 1
    assert model.price_at(T0 + timedelta(days=10)).input_micros_per_mtok == 2
    assert model.price_at(T0 + timedelta(days=365)).input_micros_per_mtok == 3


def test_before_the_first_price_the_first_price_applies() -> None:
    model = model_with(price(10, 2), price(0, 1))
    assert model.price_at(T0 - timedelta(days=1)).input_micros_per_mtok == 1


def test_a_model_without_prices_has_no_price() -> None:
    with pytest.raises(LookupError):
        model_with().price_at(T0)


# --- events and the fold -------------------------------------------------------------------

NAMES = ["alpha", "beta", "gamma"]
when = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
prices = st.builds(
    Price,
    when,
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
)


@st.composite
def models(draw: st.DrawFn, name: str | None = None) -> Model:
    model = name or draw(st.sampled_from(NAMES))
    provider = draw(st.sampled_from(sorted(PROVIDERS)))
    count = draw(st.integers(1, 3))
    deployments = tuple(
        Deployment(f"{model}-d{i}", provider, f"https://{model}.test/v1", f"up-{i}", "ref")
        for i in draw(st.lists(st.integers(0, 5), min_size=count, max_size=count, unique=True))
    )
    found = draw(st.lists(prices, min_size=1, max_size=3, unique_by=lambda p: p.effective_from))
    ordered = tuple(sorted(found, key=lambda p: p.effective_from))
    return Model(model, provider, draw(st.integers(1, 2_000_000)), deployments, ordered)


published = models().map(lambda m: new_event(model_to_event(m)))
withdrawn = st.sampled_from(NAMES).map(lambda n: new_event(catalog_pb2.ModelWithdrawn(model=n)))
event_lists = st.lists(st.one_of(published, withdrawn), max_size=20)


def replay(events: list[Event[Message]], start: Catalog | None = None) -> Catalog:
    return reduce(evolve, events, start or Catalog())


@given(event_lists)
def test_replay_equals_live(events: list[Event[Message]]) -> None:
    live = Projection(Stream.CAPACITY, evolve, Snapshot(Catalog(), 0))
    for seq, event in enumerate(events, start=1):
        live.apply(seq, decode(encode(event)))  # as the runner sees it: through the wire
    assert live.state == replay(events)


@given(event_lists, st.integers(0, 20))
def test_a_snapshot_continued_equals_a_replay_from_the_start(
    events: list[Event[Message]], cut: int
) -> None:
    cut = min(cut, len(events))
    resumed = Projection(Stream.CAPACITY, evolve, Snapshot(replay(events[:cut]), cut))
    for seq, event in enumerate(events, start=1):
        resumed.apply(seq, event)  # the first `cut` are redeliveries and are skipped
    assert resumed.state == replay(events)


@given(event_lists)
def test_the_deployment_index_is_exactly_the_deployments_of_the_models(
    events: list[Event[Message]],
) -> None:
    catalog = replay(events)
    expected = {d.name: d for m in catalog.models.values() for d in m.deployments}
    assert dict(catalog.deployments) == expected


@given(event_lists)
def test_the_last_word_on_a_model_wins(events: list[Event[Message]]) -> None:
    catalog = replay(events)
    for name in NAMES:
        last = next((e.payload for e in reversed(events) if e.payload.model == name), None)
        if isinstance(last, catalog_pb2.ModelPublished):
            assert catalog.model(name) == model_from_event(last)
        else:
            assert catalog.model(name) is None


def test_the_fold_ignores_events_it_does_not_know() -> None:
    catalog = load_baseline()
    other = new_event(catalog_pb2.ModelWithdrawn(model="no-such-model"))
    assert evolve(catalog, other) == catalog


def test_a_withdrawn_baseline_model_leaves_with_its_deployments() -> None:
    catalog = evolve(load_baseline(), new_event(catalog_pb2.ModelWithdrawn(model="gpt-4.1")))
    assert catalog.model("gpt-4.1") is None
    assert catalog.deployment("openai-gpt-4.1-b") is None
    assert catalog.model("gpt-5.4") is not None


@given(models())
def test_a_model_survives_the_event_round_trip(model: Model) -> None:
    event = decode(encode(new_event(model_to_event(model))))
    assert isinstance(event.payload, catalog_pb2.ModelPublished)
    assert model_from_event(event.payload) == model


def test_every_baseline_model_survives_the_event_round_trip() -> None:
    for model in load_baseline().models.values():
        assert model_from_event(model_to_event(model)) == model
