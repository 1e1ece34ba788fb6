"""hicap.money: money as integer micro-dollars (1 USD = 1,000,000), never a float.

Prices are micro-dollars per million tokens. A token cost keeps its fraction of a
micro-dollar until it is summed (`Cost` carries micro-dollars x 1e6 exactly, as an int),
and rounding happens once, where an amount leaves the ledger: half-even to the
micro-dollar for a usage row, half-even to the cent for an invoice line. One request's
token cost at a set of list prices is `price_usage` (`hicap.money.pricing`). Imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

MICROS_PER_USD = 1_000_000
MICROS_PER_CENT = 10_000
TOKENS_PER_MILLION = 1_000_000


def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half to even, exactly, in integers."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


@dataclass(frozen=True, slots=True, order=True)
class Cost:
    """An exact amount in millionths of a micro-dollar (so token costs add without loss)."""

    pico: int = 0  # micro-dollars x 1e6

    @classmethod
    def of_tokens(cls, tokens: int, price_micros_per_mtok: int) -> Cost:
        if tokens < 0 or price_micros_per_mtok < 0:
            raise ValueError("tokens and prices are never negative")
        return cls(tokens * price_micros_per_mtok)

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.pico + other.pico)

    def micros(self) -> int:
        """Rounded once, half-even, to the micro-dollar."""
        return round_half_even(self.pico, TOKENS_PER_MILLION)


def usd_to_micros(usd: str | Decimal) -> int:
    """'2.50' -> 2_500_000. Exact; refuses amounts finer than a micro-dollar."""
    value = Decimal(usd) * MICROS_PER_USD
    if value != value.to_integral_value():
        raise ValueError(f"{usd} USD is not a whole number of micro-dollars")
    return int(value)


def micros_to_cents(micros: int) -> int:
    """An invoice line's amount: half-even to the cent, the one rounding of a bill."""
    return round_half_even(micros, MICROS_PER_CENT)


def format_usd(micros: int, places: int = 6) -> str:
    """Micro-dollars as a decimal string in USD ('1.250000'), without a float."""
    quantum = Decimal(1).scaleb(-places)
    return str((Decimal(micros) / MICROS_PER_USD).quantize(quantum, rounding=ROUND_HALF_EVEN))


# pricing builds on Cost and round_half_even above, so it is imported after them.
from hicap.money.pricing import CostBreakdown, TokenCounts, UnitPrices, price_usage  # noqa: E402

__all__ = [
    "MICROS_PER_CENT",
    "MICROS_PER_USD",
    "TOKENS_PER_MILLION",
    "Cost",
    "CostBreakdown",
    "TokenCounts",
    "UnitPrices",
    "format_usd",
    "micros_to_cents",
    "price_usage",
    "round_half_even",
    "usd_to_micros",
]
