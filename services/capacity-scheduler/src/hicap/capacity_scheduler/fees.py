"""The reserved lane's price: what one period of a reservation costs its org.

ECONOMICS "Reserved lane": the fee for 1 TPM for a period (a month) is what one TPM used
at 100% for the month would cost on-demand, less 25%. One TPM-month is 43,200 tokens (30
days x 1,440 minutes); the typical mix is 3 input tokens to 1 output token (uncached, at
the list price in force at `at`). A 3-month term takes a further 5% off that fee and a
12-month term 12% (multiplied: 0.75 x 0.95 and 0.75 x 0.88 of list). The amount is exact
integer arithmetic rounded once, half-even, to the micro-dollar. Pure; imports
hicap.catalog and hicap.money.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from hicap.catalog import Model
from hicap.money import TOKENS_PER_MILLION, round_half_even

__all__ = [
    "MIX_INPUT",
    "MIX_OUTPUT",
    "RESERVED_DISCOUNT_PCT",
    "TERM_DISCOUNT_PCT",
    "TOKENS_PER_TPM_MONTH",
    "fee_micros_per_period",
]

TOKENS_PER_TPM_MONTH = 30 * 1_440
MIX_INPUT, MIX_OUTPUT = 3, 1
RESERVED_DISCOUNT_PCT = 25
TERM_DISCOUNT_PCT: Mapping[int, int] = MappingProxyType({1: 0, 3: 5, 12: 12})
"""Extra percent off the reserved fee by commitment term (months); the terms sold."""


def fee_micros_per_period(model: Model, tpm: int, months: int, *, at: datetime) -> int:
    """Micro-dollars one period of `tpm` reserved TPM of `model` costs on a `months` term."""
    if tpm < 0 or months not in TERM_DISCOUNT_PCT:
        raise ValueError(f"no fee for tpm={tpm}, months={months}")
    price = model.price_at(at)
    mix_micros = MIX_INPUT * price.input_micros_per_mtok + MIX_OUTPUT * price.output_micros_per_mtok
    numerator = (
        tpm
        * TOKENS_PER_TPM_MONTH
        * mix_micros
        * (100 - RESERVED_DISCOUNT_PCT)
        * (100 - TERM_DISCOUNT_PCT[months])
    )
    denominator = (MIX_INPUT + MIX_OUTPUT) * TOKENS_PER_MILLION * 100 * 100
    return round_half_even(numerator, denominator)
