"""The reserved lane's fee per period: a TPM-month (43,200 tokens) at the 3:1 input/output
mix at list price, less 25%, less 5% more for 3 months and 12% more for 12; integer
micro-dollars rounded once; twice the TPM costs twice as much."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from hicap.capacity_scheduler.fees import fee_micros_per_period
from hicap.catalog import load_baseline

GPT = load_baseline().models["gpt-5.4"]
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def test_one_month_of_3400_tpm_of_gpt_5_4() -> None:
    # (3 x $2.50 + $15.00) / 4 = $5.625 per M; x 43,200 tokens x 3,400 TPM x 0.75
    assert fee_micros_per_period(GPT, 3_400, 1, at=NOW) == 619_650_000


def test_longer_terms_take_more_off() -> None:
    one = fee_micros_per_period(GPT, 1_000, 1, at=NOW)
    assert fee_micros_per_period(GPT, 1_000, 3, at=NOW) == one * 95 // 100
    assert fee_micros_per_period(GPT, 1_000, 12, at=NOW) == one * 88 // 100


def test_the_fee_is_below_what_the_same_tokens_cost_on_demand() -> None:
    list_price = (43_200 * 1_000 * (3 * 2_500_000 + 15_000_000)) // (4 * 1_000_000)
    assert fee_micros_per_period(GPT, 1_000, 1, at=NOW) == list_price * 3 // 4


@given(tpm=st.integers(0, 10_000_000), months=st.sampled_from([1, 3, 12]))
def test_twice_the_tpm_costs_twice_as_much_within_a_micro_dollar(tpm: int, months: int) -> None:
    one, two = (fee_micros_per_period(GPT, n, months, at=NOW) for n in (tpm, 2 * tpm))
    assert abs(two - 2 * one) <= 1
    assert one >= 0
