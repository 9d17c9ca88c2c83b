"""Template filters: formatting for display happens here, at the template edge, and only here."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.utils.translation import get_language, to_locale

from attain.core.money import quantize_money

register = template.Library()


def _babel_locale() -> str:
    """The active Django language as a Babel locale, falling back to en_US for unknown ones."""
    name = to_locale(get_language() or settings.LANGUAGE_CODE)
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return "en_US"
    return name


@register.filter
def money(value: Decimal | int | None, currency: str) -> str:
    """`{{ deal.amount_base|money:org.base_currency }}` → "€12,500.00".

    Rounds half-up to the currency's minor unit first (our stated rule) so Babel's own rounding
    never decides a cent. Floats are refused: money must never have been a float.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"money expects a Decimal, got {type(value).__name__} {value!r}")
    amount = quantize_money(Decimal(value), currency)
    return format_currency(amount, currency, locale=_babel_locale())


@register.filter
def initials(name: str) -> str:
    """Two letters ("Alice Rep" → "AR") for an avatar that needs no image."""
    parts = [part for part in str(name).split() if part[:1].isalpha()]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
    return letters.upper()


@register.filter
def minutes(value: timedelta | None) -> int:
    """A duration in whole minutes, rounded up ("locked for 15 minutes")."""
    if value is None:
        return 0
    return -(-int(value.total_seconds()) // 60)
