"""Template helpers for the pipeline review, data quality and drill-down pages (query strings)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from attain.dashboards.pipeline import PipelineFilters
from attain.dashboards.state import PageState

register = template.Library()


@register.simple_tag
def review_url(state: PageState, filters: PipelineFilters, **changes: Any) -> str:
    """The pipeline review with the page's state and filters, some changed (page resets to 1)."""
    page = changes.pop("page", None)
    params = state.params() | filters.query(**changes)
    if page and str(page) != "1":
        params["page"] = str(page)
    return f"{reverse('dashboards:pipeline')}?{urlencode(params)}"


@register.simple_tag
def state_url(state: PageState, name: str, **overrides: Any) -> str:
    """A named page with the page's period and subject; an empty override drops the parameter."""
    params = state.params()
    for key, value in overrides.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return f"{reverse(name)}?{urlencode(params)}"


@register.simple_tag
def deal_url(state: PageState, deal_id: int) -> str:
    """A deal page carrying the period and subject, so the pickers and back link keep them."""
    return f"{reverse('dashboards:deal', args=[deal_id])}?{urlencode(state.params())}"


@register.filter
def days(value: int | None) -> str:
    """ "today", "1 day", "12 days" — or "never" for no date."""
    if value is None:
        return "never"
    if value == 0:
        return "today"
    return f"{value} day{'s' if value != 1 else ''}"
