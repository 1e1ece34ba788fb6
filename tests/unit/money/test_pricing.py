"""Pricing one request's tokens: never negative, exact per component, rounded once."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hicap.money import Cost, CostBreakdown, TokenCounts, UnitPrices, price_usage

counts = st.integers(0, 10**8)
rates = st.integers(0, 200 * 10**6)  # up to $200 per million tokens


@st.composite
def usages(draw: st.DrawFn) -> TokenCounts:
    cached, written, uncached = draw(counts), draw(counts), draw(counts)
    output = draw(counts)
    return TokenCounts(
        input_tokens=cached + written + uncached,
        cached_input_tokens=cached,
        cache_write_tokens=written,
        output_tokens=output,
        reasoning_tokens=draw(st.integers(0, output)),
    )


price_lists = st.builds(UnitPrices, rates, rates, rates, rates)


def parts(cost: CostBreakdown) -> list[int]:
    return [
        cost.input_micros,
        cost.cached_input_micros,
        cost.cache_write_micros,
        cost.output_micros,
    ]


@given(usages(), price_lists)
def test_a_cost_is_never_negative(tokens: TokenCounts, prices: UnitPrices) -> None:
    cost = price_usage(tokens, prices)
    assert min(parts(cost)) >= 0 and cost.total_micros >= 0


@given(usages(), price_lists)
def test_the_total_is_the_exact_sum_of_the_components_rounded_once(
    tokens: TokenCounts, prices: UnitPrices
) -> None:
    cost = price_usage(tokens, prices)
    exact = (
        tokens.uncached_input_tokens * prices.input_micros_per_mtok
        + tokens.cached_input_tokens * prices.cached_input_micros_per_mtok
        + tokens.cache_write_tokens * prices.cache_write_micros_per_mtok
        + tokens.output_tokens * prices.output_micros_per_mtok
    )
    assert cost.exact == Cost(exact)
    assert cost.total_micros == Cost(exact).micros()


@given(usages(), price_lists)
def test_the_total_is_within_rounding_of_its_rounded_parts(
    tokens: TokenCounts, prices: UnitPrices
) -> None:
    cost = price_usage(tokens, prices)
    assert abs(cost.total_micros - sum(parts(cost))) <= 2  # four halves at most


@given(usages(), usages(), price_lists)
def test_pricing_is_additive_over_requests_before_rounding(
    a: TokenCounts, b: TokenCounts, prices: UnitPrices
) -> None:
    both = TokenCounts(
        a.input_tokens + b.input_tokens,
        a.cached_input_tokens + b.cached_input_tokens,
        a.cache_write_tokens + b.cache_write_tokens,
        a.output_tokens + b.output_tokens,
        a.reasoning_tokens + b.reasoning_tokens,
    )
    assert price_usage(a, prices).exact + price_usage(b, prices).exact == (
        price_usage(both, prices).exact
    )


@given(usages(), price_lists, st.sampled_from(["input_tokens", "output_tokens"]), counts)
def test_more_tokens_never_cost_less(
    tokens: TokenCounts, prices: UnitPrices, field: str, more: int
) -> None:
    bigger = replace(tokens, **{field: getattr(tokens, field) + more})
    before, after = price_usage(tokens, prices), price_usage(bigger, prices)
    assert after.exact >= before.exact and after.total_micros >= before.total_micros
    assert all(x <= y for x, y in zip(parts(before), parts(after), strict=True))


@given(price_lists)
def test_zero_tokens_cost_nothing(prices: UnitPrices) -> None:
    assert price_usage(TokenCounts(), prices) == CostBreakdown.zero()


@given(usages(), price_lists)
def test_reasoning_tokens_are_priced_only_as_the_output_they_are_part_of(
    tokens: TokenCounts, prices: UnitPrices
) -> None:
    without = replace(tokens, reasoning_tokens=0)
    assert price_usage(tokens, prices) == price_usage(without, prices)


def test_cached_and_cache_write_tokens_are_taken_out_of_the_input_at_their_own_rates() -> None:
    tokens = TokenCounts(input_tokens=1_000, cached_input_tokens=600, cache_write_tokens=100)
    prices = UnitPrices(3_000_000, 300_000, 3_750_000, 15_000_000)
    cost = price_usage(tokens, prices)
    assert parts(cost) == [900, 180, 375, 0]  # 300 x $3, 600 x $0.30, 100 x $3.75 per M
    assert cost.total_micros == 1_455


def test_more_cached_than_input_floors_the_uncached_part_at_zero() -> None:
    tokens = TokenCounts(input_tokens=10, cached_input_tokens=50)
    cost = price_usage(tokens, UnitPrices(1_000_000, 1_000_000, 0, 0))
    assert cost.input_micros == 0 and cost.exact == Cost(50 * 1_000_000)


def test_components_and_total_round_half_to_even() -> None:
    half = TokenCounts(input_tokens=1, output_tokens=1)
    cost = price_usage(half, UnitPrices(500_000, 0, 0, 1_500_000))  # 0.5 and 1.5 micros
    assert (cost.input_micros, cost.output_micros) == (0, 2)
    assert cost.total_micros == 2  # exact 2.0


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        price_usage(TokenCounts(output_tokens=-1), UnitPrices())
