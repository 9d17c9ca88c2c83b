"""Template helpers for dashboards: KPI formatting, status colours, drill-down links."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from attain.metrics.definitions.catalog import Kpi
from attain.metrics.formatting import STATUS_TEXT, format_value

register = template.Library()

NBSP3 = "\u00a0\u00a0\u00a0"


@register.filter
def indent(depth: int) -> str:
    """Non-breaking spaces that indent a tree entry inside a <select> (which ignores CSS)."""
    return NBSP3 * max(0, int(depth))


@register.simple_tag
def kpi_text(kpi: Kpi, value: Decimal | None, currency: str) -> str:
    """A KPI value as people read it: money in the base currency, ratios as percentages."""
    return format_value(kpi, value, currency)


@register.filter
def status_text(status: str | None) -> str:
    return STATUS_TEXT.get(status, "—")


@register.filter
def status_class(status: str | None) -> str:
    return f"status-{status}" if status else "status-none"


def records_href(*, kpi: str, period: str, subject: str) -> str:
    """The drill-down page for a figure: /records/?kpi=…&period=…&subject=…"""
    query = urlencode({"kpi": kpi, "period": period, "subject": subject})
    return f"{_records_path(get_script_prefix())}?{query}"


@lru_cache(maxsize=8)
def _records_path(script_prefix: str) -> str:
    """reverse() once per script prefix: a rep table links every one of its cells."""
    return reverse("dashboards:records")


@register.simple_tag
def drill(kpi: Kpi, text: str, period: str, subject: str) -> SafeString:
    """The figure as a link to the records behind it."""
    href = records_href(kpi=kpi.key, period=period, subject=subject)
    return format_html(
        '<a class="drill" href="{}" title="The records behind {}">{}</a>', href, kpi.label, text
    )
