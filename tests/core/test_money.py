"""Money helpers: Decimal only, explicit half-up rounding at the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attain.core.money import (
    D,
    MoneyError,
    quantize_money,
    quantize_rate,
    to_base,
    validate_currency,
)

amounts = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False
)
rates = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("1000"), allow_nan=False, places=8
)


def test_half_cents_round_up() -> None:
    assert quantize_money(Decimal("2.005")) == Decimal("2.01")
    assert quantize_money(Decimal("2.004999")) == Decimal("2.00")


def test_zero_decimal_currencies_round_to_whole_units() -> None:
    assert quantize_money(Decimal("1234.5"), "JPY") == Decimal("1235.00")


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError, match="float"):
        D(0.1)  # type: ignore[arg-type]


def test_currency_codes_are_checked_against_iso_4217() -> None:
    assert validate_currency(" eur ") == "EUR"
    with pytest.raises(MoneyError, match="ISO 4217"):
        validate_currency("EURO")


def test_a_non_positive_rate_is_refused() -> None:
    with pytest.raises(MoneyError, match="positive"):
        to_base(Decimal("1"), Decimal("0"), "EUR")


@given(amounts)
def test_quantized_money_has_two_places_and_moves_less_than_half_a_cent(value: Decimal) -> None:
    result = quantize_money(value)
    assert result.as_tuple().exponent == -2
    assert abs(result - value) <= Decimal("0.005")


@given(amounts, rates)
def test_base_conversion_is_within_half_a_cent_of_the_exact_product(
    amount: Decimal, rate: Decimal
) -> None:
    assert abs(to_base(amount, rate, "USD") - amount * rate) <= Decimal("0.005")


@given(rates)
def test_rates_keep_eight_places(rate: Decimal) -> None:
    assert quantize_rate(rate).as_tuple().exponent == -8
