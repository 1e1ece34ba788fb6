"""A finished call becomes one UsageRecorded: every field, priced at the list price in force
when it started, BYOK at $0 with its list value, the route from the header or else the
system prompt's fingerprint."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hicap.catalog import Catalog, Deployment, Model, Price
from hicap.events import decode, egress_pb2, encode, usage_pb2
from hicap.ingress.keys import KeyRecord
from hicap.ingress.relay import CallRecord, CallTiming
from hicap.ingress.usage import sanitised_route, usage_event

JAN, MAR = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
STARTED = datetime(2026, 2, 10, 12, 0, 0, 123000, tzinfo=UTC)
KEY = KeyRecord("org_1", "key_1", "team_1", "app_1", role=1, allowed_models=())
REQUEST_ID = "01950000-0000-7000-8000-000000000001"

CATALOG = Catalog.of(
    [
        Model(
            "claude-sonnet",
            "anthropic",
            200_000,
            (
                Deployment("sonnet-aws", "anthropic", "https://x", "claude-sonnet-4-5", "ref"),
                Deployment("sonnet-vertex", "gemini", "https://y", "claude-sonnet-4-5", "ref"),
            ),
            (
                Price(JAN, 3_000_000, 300_000, 3_750_000, 15_000_000),
                Price(MAR, 6_000_000, 600_000, 7_500_000, 30_000_000),
            ),
        )
    ]
)


def call(**changes: object) -> CallRecord:
    record = CallRecord(
        request_id=REQUEST_ID,
        key=KEY,
        model="claude-sonnet",
        lane="on-demand",
        surface=egress_pb2.SURFACE_ANTHROPIC_MESSAGES,
        head=egress_pb2.EgressHead(
            status=200,
            content_type="text/event-stream",
            deployment="sonnet-vertex",
            model_served="claude-sonnet-4-5-20250929",
            attempts=2,
        ),
        trailer=egress_pb2.EgressTrailer(
            input_tokens=1_000,
            cached_input_tokens=600,
            cache_write_tokens=100,
            output_tokens=2_000,
            reasoning_tokens=500,
            finish_reason="stop",
            end_user_hash="00aa11bb22cc33dd",
            route_fingerprint="ffee00112233aabb",
        ),
        streamed=True,
        timing=CallTiming(STARTED, latency_ms=1_500, ttft_ms=230),
    )
    return replace(record, **changes)  # type: ignore[arg-type]  # field names checked by replace


def test_every_field_of_a_streamed_on_demand_call() -> None:
    event = usage_event(call(), CATALOG)
    u = event.payload
    assert (event.event_id, event.org_id) == (REQUEST_ID, "org_1")
    assert event.occurred_at == STARTED + timedelta(milliseconds=1_500)
    assert u.request_id == REQUEST_ID
    assert u.started_at.ToDatetime(tzinfo=UTC) == STARTED
    assert (u.org_id, u.team_id, u.app_id, u.key_id) == ("org_1", "team_1", "app_1", "key_1")
    assert u.end_user_hash == "00aa11bb22cc33dd"
    assert u.route == "ffee00112233aabb"
    assert (u.model_requested, u.model_served) == ("claude-sonnet", "claude-sonnet-4-5-20250929")
    assert (u.provider, u.deployment) == ("gemini", "sonnet-vertex")  # the deployment's
    assert u.lane == usage_pb2.LANE_ON_DEMAND
    assert (u.input_tokens, u.cached_input_tokens, u.cache_write_tokens) == (1_000, 600, 100)
    assert (u.output_tokens, u.reasoning_tokens) == (2_000, 500)
    # February's price: 300 x $3 + 600 x $0.30 + 100 x $3.75 + 2000 x $15, per million
    assert (u.input_cost_micros, u.cached_input_cost_micros) == (900, 180)
    assert (u.cache_write_cost_micros, u.output_cost_micros) == (375, 30_000)
    assert u.total_cost_micros == u.list_value_micros == 31_455
    assert (u.latency_ms, u.ttft_ms, u.http_status) == (1_500, 230, 200)
    assert (u.finish_reason, u.streamed, u.error_code) == ("stop", True, "")
    assert u.api_surface == "anthropic"


def test_the_event_survives_the_wire() -> None:
    event = usage_event(call(), CATALOG)
    assert decode(encode(event)) == event


def test_usage_is_priced_at_the_price_in_force_when_the_call_started() -> None:
    in_march = call(timing=CallTiming(MAR + timedelta(seconds=1), 10, 0))
    assert usage_event(in_march, CATALOG).payload.total_cost_micros == 2 * 31_455
    a_second_before = call(timing=CallTiming(MAR - timedelta(seconds=1), 10, 0))
    assert usage_event(a_second_before, CATALOG).payload.total_cost_micros == 31_455


def test_byok_costs_nothing_and_shows_what_it_would_have_cost() -> None:
    u = usage_event(call(lane="byok"), CATALOG).payload
    assert u.lane == usage_pb2.LANE_BYOK
    assert u.total_cost_micros == 0
    assert [
        u.input_cost_micros,
        u.cached_input_cost_micros,
        u.cache_write_cost_micros,
        u.output_cost_micros,
    ] == [0, 0, 0, 0]
    assert u.list_value_micros == 31_455


def test_reserved_lane_tokens_cost_nothing_more_and_keep_their_list_value() -> None:
    u = usage_event(call(lane="reserved"), CATALOG).payload
    assert u.lane == usage_pb2.LANE_RESERVED
    assert [
        u.input_cost_micros,
        u.cached_input_cost_micros,
        u.cache_write_cost_micros,
        u.output_cost_micros,
        u.total_cost_micros,
    ] == [0, 0, 0, 0, 0]
    assert u.list_value_micros == 31_455


def test_the_route_header_wins_over_the_fingerprint() -> None:
    u = usage_event(call(route_header="support-bot/v2"), CATALOG).payload
    assert u.route == "support-bot/v2"


@pytest.mark.parametrize(
    ("header", "route"),
    [
        ("  summarise  ", "summarise"),
        ("a\x00b\x1fc\x7f", "abc"),
        ("r" * 300, "r" * 128),
        ("\x01\x02", ""),
    ],
)
def test_a_route_header_is_kept_printable_and_short(header: str, route: str) -> None:
    assert sanitised_route(header) == route


def test_an_unprintable_route_header_falls_back_to_the_fingerprint() -> None:
    assert usage_event(call(route_header="\x00\x01"), CATALOG).payload.route == "ffee00112233aabb"


def test_a_call_egress_refused_is_recorded_with_its_status_code_and_no_tokens() -> None:
    refused = call(
        head=egress_pb2.EgressHead(status=502),
        trailer=None,
        streamed=False,
        error_code="upstream_failed",
        timing=CallTiming(STARTED, 40, 0),
    )
    u = usage_event(refused, CATALOG).payload
    assert (u.http_status, u.error_code, u.streamed) == (502, "upstream_failed", False)
    assert (u.input_tokens, u.output_tokens, u.total_cost_micros) == (0, 0, 0)
    assert (u.deployment, u.provider) == ("", "anthropic")  # the model's provider
    assert (u.route, u.end_user_hash) == ("", "")


def test_the_trailers_error_code_wins_over_the_relays() -> None:
    trailer = egress_pb2.EgressTrailer(output_tokens=4, error_code="unavailable")
    u = usage_event(call(trailer=trailer, error_code="client_closed"), CATALOG).payload
    assert u.error_code == "unavailable"
    assert u.output_cost_micros == 60  # what was streamed is still paid for


def test_count_tokens_is_recorded_without_tokens_or_cost() -> None:
    counted = call(
        surface=egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS,
        trailer=egress_pb2.EgressTrailer(input_tokens=1234),
        streamed=False,
    )
    u = usage_event(counted, CATALOG).payload
    assert (u.input_tokens, u.total_cost_micros, u.list_value_micros) == (0, 0, 0)
    assert u.api_surface == "anthropic"


def test_an_openai_chat_call_names_the_openai_surface() -> None:
    u = usage_event(call(surface=egress_pb2.SURFACE_OPENAI_CHAT), CATALOG).payload
    assert u.api_surface == "openai"


def test_a_model_the_catalogue_no_longer_has_is_recorded_at_zero_cost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    u = usage_event(call(model="withdrawn"), CATALOG).payload
    assert (u.model_requested, u.total_cost_micros, u.output_tokens) == ("withdrawn", 0, 2_000)
    assert any(r.levelname == "ERROR" for r in caplog.records)
