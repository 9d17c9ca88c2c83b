"""Name matching shared by the loaders: people by e-mail then name, accounts, stages, rates."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, getcontext
from functools import lru_cache

import polars as pl

from attain.core.money import RATE_DECIMAL_PLACES, ROUNDING, currency_exponent
from attain.crm.models import ExchangeRate


def _places(currency: str) -> int:
    return min(currency_exponent(currency), 2)


@lru_cache(maxsize=512)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-_places(currency))


CENT = Decimal("0.01")


def money(text: str, currency: str) -> Decimal:
    """Parsed amount text at the currency's minor unit, half-up (as quantize_money does)."""
    return Decimal(text).quantize(_quantum(currency), rounding=ROUNDING).quantize(CENT)


def base_amount(amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """The amount in base currency at a stored rate (as core.money.to_base does), memo-free."""
    return (amount * rate).quantize(_quantum(base_currency), rounding=ROUNDING).quantize(CENT)


_I128 = pl.Int128()
_RATE_UNIT = Decimal(1).scaleb(-RATE_DECIMAL_PLACES)


def _i128(value: int) -> pl.Expr:
    return pl.lit(value, dtype=_I128)


def _half_up(units: pl.Expr, divisor: int) -> pl.Expr:
    """Integer division rounding half away from zero (ROUND_HALF_UP), sign kept."""
    return ((units.abs() + _i128(divisor // 2)) // _i128(divisor)) * units.sign().cast(_I128)


def money_frame(
    frame: pl.DataFrame, rates: Mapping[tuple[str, date], Decimal | None], base_currency: str
) -> pl.DataFrame:
    """`money` and `base_amount` for a batch without a Decimal per row.

    `frame` has the columns amount (decimal text as parse_money leaves it: at most 19 digits),
    currency and day; `rates` the rate of each (currency, day) it holds. The result, row for
    row: amount, exchange_rate and amount_base as exact decimal text equal to what `money`,
    the rate's `str` and `base_amount` give, and `exact`, false where a row has no rate or its
    amount and rate have more digits together than the Decimal context keeps (28: Python would
    round the product before quantizing it); those rows are for the per-row functions (their
    figures here mean nothing: the integer product may have wrapped around).
    Amounts are rounded as polars decimals; the product is taken in integers (cents times the
    rate's 10^-8 units), so nothing is rounded before the one stated half-up step.
    """
    table = pl.DataFrame(
        [
            (
                currency,
                day,
                str(rate),
                int(rate.scaleb(RATE_DECIMAL_PLACES)),
                len(rate.as_tuple().digits),
                _places(currency),
            )
            for (currency, day), rate in rates.items()
            if rate is not None and rate == rate.quantize(_RATE_UNIT)
        ],
        schema={
            "currency": pl.String(),
            "day": pl.Date(),
            "exchange_rate": pl.String(),
            "__units": _I128,
            "__rate_digits": pl.Int64(),
            "__places": pl.Int64(),
        },
        orient="row",
    )
    joined = frame.select("amount", "currency", "day").join(
        table, on=["currency", "day"], how="left", maintain_order="left"
    )
    text = pl.col("amount").str.to_decimal(scale=18)
    places = pl.col("__places")
    cents = (
        pl.when(places == 0)
        .then(text.round(0, mode="half_away_from_zero"))
        .when(places == 1)
        .then(text.round(1, mode="half_away_from_zero"))
        .otherwise(text.round(2, mode="half_away_from_zero"))
        .cast(pl.Decimal(38, 2))
    )
    joined = joined.with_columns(cents.alias("__amount"))
    joined = joined.with_columns((pl.col("__amount") * 100).cast(_I128).alias("__cents"))
    base_places = _places(base_currency)
    # cents x 10^-8 units = 10^-10 units; rounded to the base currency's minor unit, in cents
    product = pl.col("__cents") * pl.col("__units")
    base_cents = _half_up(product, 10 ** (10 - base_places)) * _i128(10 ** (2 - base_places))
    joined = joined.with_columns(base_cents.alias("__base"))
    base = pl.col("__base")
    whole = (base.abs() // _i128(100)).cast(pl.String)
    fraction = (base.abs() % _i128(100)).cast(pl.String).str.zfill(2)
    digits = pl.col("__cents").abs().cast(pl.String).str.len_chars() + pl.col("__rate_digits")
    return joined.select(
        pl.col("__amount").cast(pl.String).alias("amount"),
        "exchange_rate",
        pl.concat_str(
            [
                pl.when(base < _i128(0)).then(pl.lit("-")).otherwise(pl.lit("")),
                whole,
                pl.lit("."),
                fraction,
            ]
        ).alias("amount_base"),
        (
            pl.col("__amount").is_not_null()
            & pl.col("__units").is_not_null()
            & (digits <= getcontext().prec)
        )
        .fill_null(False)
        .alias("exact"),
    )


@lru_cache(maxsize=200_000)
def name_key(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name ("José  Pérez" == "jose perez")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain.casefold()).strip()


class PeopleIndex:
    """People by lower-cased e-mail and by name key; a name two people share is ambiguous."""

    def __init__(self) -> None:
        from attain.org.models import Person

        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int | None] = {}
        for pk, email, full_name in Person.objects.values_list("id", "email", "full_name"):
            self.add(pk, email, full_name)

    def add(self, pk: int, email: str, full_name: str) -> None:
        self.by_email[email.strip().lower()] = pk
        key = name_key(full_name)
        self.by_name[key] = None if key in self.by_name and self.by_name[key] != pk else pk

    def match(self, value: str) -> tuple[int | None, str]:
        """(person id, reason when none): e-mail first, then name."""
        text = value.strip()
        if "@" in text:
            pk = self.by_email.get(text.lower())
            if pk is not None:
                return pk, ""
        key = name_key(text)
        if key in self.by_name:
            pk = self.by_name[key]
            if pk is None:
                return None, "more than one person has this name; use their e-mail"
            return pk, ""
        return None, "no Attain person with this e-mail or name"


class RateTable:
    """Exchange rates per currency, looked up by day without a query per row."""

    def __init__(self, base_currency: str) -> None:
        self.base = base_currency
        self._days: dict[str, list[date]] = defaultdict(list)
        self._rates: dict[str, list[Decimal]] = defaultdict(list)
        for currency, valid_from, rate in ExchangeRate.objects.order_by(
            "currency", "valid_from"
        ).values_list("currency", "valid_from", "rate"):
            self._days[currency].append(valid_from)
            self._rates[currency].append(rate)

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == self.base:
            return Decimal("1.00000000")
        days = self._days.get(currency)
        if not days:
            return None
        index = bisect.bisect_right(days, day) - 1
        return self._rates[currency][index] if index >= 0 else None
