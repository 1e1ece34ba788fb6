"""Usage of every relayed call as one `UsageRecorded` event, published after the response.

`usage_event` turns a finished `CallRecord` into the event (tokens from egress's trailer,
cost at the list price in force when the call started, the route from `x-hicap-route` or
the system prompt's fingerprint). Which calls are metered: every call sent to
provider-egress, whatever its outcome, including a refusal by egress or the provider
before any answer (the status and error code, zero tokens); calls refused by ingress
itself before egress (a bad key, body or model: 400/401/403/404/413) are not. A
count_tokens call is recorded with zero tokens: counting consumes nothing. The row's lane
is the lane the call was served on. BYOK calls cost Hicap's customer nothing (they pay
the provider), and reserved-lane calls nothing more than the reservation's fee: every
cost field 0, the list-price value kept (to show the saving).
`UsagePublisher` (in `usage_publisher`, re-exported here) takes events off the request
path and publishes them in batches. Imports libs and ingress's relay, edge and
usage_publisher only; never another service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from hicap.catalog import Catalog
from hicap.events import new_event, usage_pb2
from hicap.events.v1 import egress_pb2
from hicap.ingress.edge import BYOK, ON_DEMAND, RESERVED
from hicap.ingress.relay import CallRecord, OnComplete
from hicap.ingress.usage_publisher import UsageEvent, UsagePublisher
from hicap.money import CostBreakdown, TokenCounts, UnitPrices, price_usage

__all__ = ["UsageEvent", "UsagePublisher", "metered", "usage_event"]

log = logging.getLogger(__name__)

ROUTE_MAX_CHARS = 128
_INT32_MAX = 2**31 - 1
_LANES = {
    RESERVED: usage_pb2.LANE_RESERVED,
    ON_DEMAND: usage_pb2.LANE_ON_DEMAND,
    BYOK: usage_pb2.LANE_BYOK,
}
_UNBILLED_LANES = frozenset({BYOK, RESERVED})  # paid to the provider, or by the fee
_SURFACES = {
    egress_pb2.SURFACE_OPENAI_CHAT: "openai",
    egress_pb2.SURFACE_ANTHROPIC_MESSAGES: "anthropic",
    egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS: "anthropic",
}


def usage_event(record: CallRecord, catalog: Catalog) -> UsageEvent:
    """The event of one finished call. Its id is the request id (a UUIDv7 made once per
    request), so the same call recorded twice is one row; it occurred when the call
    completed (started_at + latency_ms: what metering derives for a batch's record)."""
    trailer = record.trailer or egress_pb2.EgressTrailer()
    tokens = _tokens(record, trailer)
    cost = _cost(record, catalog, tokens)
    billed = CostBreakdown.zero() if record.lane in _UNBILLED_LANES else cost
    timing = record.timing
    payload = usage_pb2.UsageRecorded(
        request_id=record.request_id,
        org_id=record.key.org_id,
        team_id=record.key.team_id,
        app_id=record.key.app_id,
        key_id=record.key.key_id,
        end_user_hash=trailer.end_user_hash,
        route=sanitised_route(record.route_header) or trailer.route_fingerprint,
        model_requested=record.model,
        model_served=record.head.model_served,
        provider=_provider(record, catalog),
        deployment=record.head.deployment,
        lane=_LANES.get(record.lane, usage_pb2.LANE_UNSPECIFIED),
        input_tokens=tokens.input_tokens,
        cached_input_tokens=tokens.cached_input_tokens,
        cache_write_tokens=tokens.cache_write_tokens,
        output_tokens=tokens.output_tokens,
        reasoning_tokens=tokens.reasoning_tokens,
        input_cost_micros=billed.input_micros,
        cached_input_cost_micros=billed.cached_input_micros,
        cache_write_cost_micros=billed.cache_write_micros,
        output_cost_micros=billed.output_micros,
        total_cost_micros=billed.total_micros,
        list_value_micros=cost.total_micros,
        latency_ms=min(timing.latency_ms, _INT32_MAX),
        ttft_ms=min(timing.ttft_ms, _INT32_MAX),
        http_status=record.head.status or 200,
        finish_reason=trailer.finish_reason,
        streamed=record.streamed,
        error_code=trailer.error_code or record.error_code,
        api_surface=_SURFACES.get(record.surface, ""),  # type: ignore[call-overload]  # an egress_pb2.Surface value
    )
    payload.started_at.FromDatetime(timing.started_at)
    ended = timing.started_at + timedelta(milliseconds=timing.latency_ms)
    return new_event(
        payload, org_id=record.key.org_id, clock=lambda: ended, ids=lambda: record.request_id
    )


def sanitised_route(header: str) -> str:
    """`x-hicap-route` as metered: its printable characters, at most 128; "" if none."""
    return "".join(c for c in header if c.isprintable()).strip()[:ROUTE_MAX_CHARS]


def _tokens(record: CallRecord, trailer: egress_pb2.EgressTrailer) -> TokenCounts:
    if record.surface == egress_pb2.SURFACE_ANTHROPIC_COUNT_TOKENS:
        return TokenCounts()  # the trailer holds the count asked for, not tokens consumed
    return TokenCounts(
        input_tokens=max(trailer.input_tokens, 0),
        cached_input_tokens=max(trailer.cached_input_tokens, 0),
        cache_write_tokens=max(trailer.cache_write_tokens, 0),
        output_tokens=max(trailer.output_tokens, 0),
        reasoning_tokens=max(trailer.reasoning_tokens, 0),
    )


def _cost(record: CallRecord, catalog: Catalog, tokens: TokenCounts) -> CostBreakdown:
    """At list price when the call started. A model without a price costs nothing (an
    operator must fix the catalogue: logged at ERROR)."""
    if tokens == TokenCounts():
        return CostBreakdown.zero()
    model = catalog.model(record.model)
    try:
        if model is None:
            raise LookupError(f"model {record.model} is not in the catalogue")
        price = model.price_at(record.timing.started_at)
    except LookupError as exc:
        log.error("usage priced at zero: %s", exc, extra={"request_id": record.request_id})
        return CostBreakdown.zero()
    return price_usage(
        tokens,
        UnitPrices(
            price.input_micros_per_mtok,
            price.cached_input_micros_per_mtok,
            price.cache_write_micros_per_mtok,
            price.output_micros_per_mtok,
        ),
    )


def _provider(record: CallRecord, catalog: Catalog) -> str:
    deployment = catalog.deployment(record.head.deployment)
    if deployment is not None:
        return deployment.provider
    model = catalog.model(record.model)
    return model.provider if model is not None else ""


def metered(publisher: UsagePublisher, catalog: Callable[[], Catalog]) -> OnComplete:
    """The relay's `on_complete`: hands the call and the catalogue of the moment to the
    publisher; the event is built in its background task."""

    def on_complete(record: CallRecord) -> None:
        publisher.record(partial(usage_event, record, catalog()))

    return on_complete
