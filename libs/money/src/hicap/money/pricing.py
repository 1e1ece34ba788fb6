"""Pricing one request's tokens at one set of list prices: `price_usage(tokens, prices)`.

Plain integers in, integer micro-dollars out; it knows nothing of the catalogue (the
caller reads the price in force and passes its four numbers). `input_tokens` counts every
prompt token, cached and cache-write ones included (OpenAI's `prompt_tokens`), so the
uncached part is input - cached - cache_write, floored at 0. Reasoning tokens are output
tokens: they are inside `output_tokens` and priced at the output rate, never again.
Rounding: each component is rounded once, half-even, to the micro-dollar (what a usage row
shows per component), and the total is the exact sum of the unrounded components rounded
once (so it is never off by the components' accumulated rounding; it is within 2 micros
of the sum of the rounded parts). `exact` keeps the unrounded total for callers that sum
first and round later. Imports only `hicap.money`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hicap.money import Cost

__all__ = ["CostBreakdown", "TokenCounts", "UnitPrices", "price_usage"]


@dataclass(frozen=True, slots=True)
class TokenCounts:
    """One request's tokens. `input_tokens` includes the cached and cache-write ones;
    `output_tokens` includes the reasoning ones."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0  # informational: already inside output_tokens

    @property
    def uncached_input_tokens(self) -> int:
        return max(self.input_tokens - self.cached_input_tokens - self.cache_write_tokens, 0)


@dataclass(frozen=True, slots=True)
class UnitPrices:
    """List prices in micro-dollars per million tokens."""

    input_micros_per_mtok: int = 0
    cached_input_micros_per_mtok: int = 0
    cache_write_micros_per_mtok: int = 0
    output_micros_per_mtok: int = 0


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """Micro-dollars per component (each rounded once) and in total (rounded once)."""

    input_micros: int
    cached_input_micros: int
    cache_write_micros: int
    output_micros: int
    total_micros: int
    exact: Cost  # the unrounded total, for sums that round later

    @classmethod
    def zero(cls) -> CostBreakdown:
        return cls(0, 0, 0, 0, 0, Cost())


def price_usage(tokens: TokenCounts, prices: UnitPrices) -> CostBreakdown:
    """The cost of `tokens` at `prices`. ValueError for a negative count or price."""
    if tokens.input_tokens < 0 or tokens.reasoning_tokens < 0:
        raise ValueError("tokens are never negative")
    parts = (
        Cost.of_tokens(tokens.uncached_input_tokens, prices.input_micros_per_mtok),
        Cost.of_tokens(tokens.cached_input_tokens, prices.cached_input_micros_per_mtok),
        Cost.of_tokens(tokens.cache_write_tokens, prices.cache_write_micros_per_mtok),
        Cost.of_tokens(tokens.output_tokens, prices.output_micros_per_mtok),
    )
    exact = parts[0] + parts[1] + parts[2] + parts[3]
    return CostBreakdown(
        input_micros=parts[0].micros(),
        cached_input_micros=parts[1].micros(),
        cache_write_micros=parts[2].micros(),
        output_micros=parts[3].micros(),
        total_micros=exact.micros(),
        exact=exact,
    )
