"""Money: Decimal only, quantized at stated points with a stated rounding mode.

Amounts are stored with 2 decimal places (the database column); currencies with fewer minor units
(JPY) are quantized to their own precision before storing. Rates are stored with 8 places.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies

MONEY_DECIMAL_PLACES = 2
MONEY_MAX_DIGITS = 18
RATE_DECIMAL_PLACES = 8
RATE_MAX_DIGITS = 18
ROUNDING = ROUND_HALF_UP


class MoneyError(ValueError):
    """An amount, rate or currency code that cannot be used."""


@lru_cache(maxsize=1)
def iso_currencies() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if len(code) == 3 and code.isalpha())


def validate_currency(code: str) -> str:
    """Return the upper-cased ISO 4217 code, or raise MoneyError naming it."""
    normalized = (code or "").strip().upper()
    if normalized not in iso_currencies():
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code (for example EUR, USD, GBP).")
    return normalized


def D(value: str | int | Decimal) -> Decimal:
    """Build a Decimal from a string or int; floats are refused because they are already wrong."""
    if isinstance(value, float):
        raise MoneyError(f"{value!r} is a float; pass money as a string or Decimal.")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise MoneyError(f"{value!r} is not a number.") from None


def currency_exponent(currency: str) -> int:
    return int(get_currency_precision(validate_currency(currency)))


def quantize_money(amount: Decimal, currency: str | None = None) -> Decimal:
    """Round half-up to the currency's minor unit (2 places when no currency is given)."""
    places = MONEY_DECIMAL_PLACES if currency is None else currency_exponent(currency)
    places = min(places, MONEY_DECIMAL_PLACES)
    exponent = Decimal(1).scaleb(-places)
    return amount.quantize(exponent, rounding=ROUNDING).quantize(Decimal("0.01"))


def quantize_rate(rate: Decimal) -> Decimal:
    return rate.quantize(Decimal(1).scaleb(-RATE_DECIMAL_PLACES), rounding=ROUNDING)


def to_base(amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """Convert an amount to the base currency at a stored rate (base units per one unit)."""
    if rate <= 0:
        raise MoneyError(f"exchange rate {rate} must be positive.")
    return quantize_money(amount * rate, base_currency)
