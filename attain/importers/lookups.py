"""Name matching shared by the loaders: people by e-mail then name, accounts, stages, rates."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import lru_cache

from attain.core.money import ROUNDING, currency_exponent
from attain.crm.models import ExchangeRate


@lru_cache(maxsize=512)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-min(currency_exponent(currency), 2))


CENT = Decimal("0.01")


def money(text: str, currency: str) -> Decimal:
    """Parsed amount text at the currency's minor unit, half-up (as quantize_money does)."""
    return Decimal(text).quantize(_quantum(currency), rounding=ROUNDING).quantize(CENT)


def base_amount(amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """The amount in base currency at a stored rate (as core.money.to_base does), memo-free."""
    return (amount * rate).quantize(_quantum(base_currency), rounding=ROUNDING).quantize(CENT)


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
