"""Money: integer micro-dollars, exact token costs, rounding once and half-even."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hicap.money import Cost, format_usd, micros_to_cents, round_half_even, usd_to_micros

tokens = st.integers(0, 10**9)
prices = st.integers(0, 200 * 10**6)  # up to $200 per million tokens


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**9))
def test_half_even_rounding_agrees_with_decimal(n: int, d: int) -> None:
    expected = int((Decimal(n) / Decimal(d)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    assert round_half_even(n, d) == expected


def test_halves_round_to_even() -> None:
    assert [round_half_even(n, 2) for n in (1, 3, 5, -1, -3)] == [0, 2, 2, 0, -2]


@given(st.lists(st.tuples(tokens, prices), max_size=30))
def test_summed_costs_round_once_and_never_go_negative(items: list[tuple[int, int]]) -> None:
    costs = [Cost.of_tokens(t, p) for t, p in items]
    total = sum(costs, Cost())
    assert total.micros() >= 0
    assert total.micros() == round_half_even(sum(t * p for t, p in items), 10**6)
    # rounding each line first may differ from rounding once by at most half a micro per line
    assert abs(sum(c.micros() for c in costs) - total.micros()) <= len(costs) // 2 + 1


@given(tokens, tokens, prices)
def test_cost_is_additive_in_tokens(a: int, b: int, price: int) -> None:
    assert Cost.of_tokens(a, price) + Cost.of_tokens(b, price) == Cost.of_tokens(a + b, price)


def test_a_real_price_prices_exactly() -> None:
    # 1,234 input tokens at $2.50 per million = $0.003085
    assert Cost.of_tokens(1234, usd_to_micros("2.50")).micros() == 3085
    assert format_usd(3085) == "0.003085"


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        Cost.of_tokens(-1, 10)


def test_amounts_finer_than_a_micro_dollar_are_refused() -> None:
    with pytest.raises(ValueError, match="micro-dollars"):
        usd_to_micros("0.0000001")


def test_an_invoice_line_rounds_half_even_to_the_cent() -> None:
    assert micros_to_cents(1_005_000) == 100  # $1.005 -> $1.00 (0 is even)
    assert micros_to_cents(1_015_000) == 102  # $1.015 -> $1.02
    assert micros_to_cents(1_015_001) == 102
