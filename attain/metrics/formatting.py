"""Showing KPI values to people: money in the base currency, ratios as percentages."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from attain.metrics.definitions.catalog import Kpi, Unit

NO_DATA = "no data"


def format_value(kpi: Kpi, value: Decimal | None, currency: str, *, locale: str = "en_US") -> str:
    if value is None:
        return NO_DATA
    if kpi.unit is Unit.MONEY:
        return str(format_currency(value, currency, locale=locale))
    if kpi.unit is Unit.MONEY_PER_DAY:
        return f"{format_currency(value, currency, locale=locale)}/day"
    if kpi.unit is Unit.RATIO:
        return f"{format_decimal(value * 100, format='#,##0.0', locale=locale)} %"
    if kpi.unit is Unit.DAYS:
        return f"{format_decimal(value, format='#,##0.0', locale=locale)} days"
    if kpi.unit is Unit.PER_DAY:
        return f"{format_decimal(value, format='#,##0.00', locale=locale)}/day"
    return str(format_decimal(value, format="#,##0", locale=locale))


STATUS_TEXT = {"on_track": "on track", "at_risk": "at risk", "behind": "behind", None: "—"}
