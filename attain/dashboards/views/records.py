"""Drill-down: the records behind any KPI value, for a subject and period the viewer may see.

URL contract (W1's pages link here): /records/?kpi=KEY&period=…&subject=…&page=N
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.access.selectors import deals_visible
from attain.core.errors import NotFound
from attain.dashboards.records import records_page
from attain.dashboards.state import InvalidPageState, page_state
from attain.dashboards.views.base import dashboard_view, page_context
from attain.dashboards.views.pipeline import page_number, wants_partial
from attain.metrics.selectors import kpi_get


@dashboard_view
def records(request: HttpRequest) -> HttpResponse:
    """A paginated table of the records a KPI counts; deal rows open the deal page."""
    key = (request.GET.get("kpi") or "").strip()
    if not key:
        raise InvalidPageState({"kpi": "is missing; say which KPI's records to list (?kpi=…)"})
    try:
        kpi_get(key)
    except NotFound as error:
        raise InvalidPageState({"kpi": str(error)}) from None
    state = page_state(request)

    def openable(ids: Iterable[int]) -> list[int]:
        visible = deals_visible(viewer=state.viewer, today=state.today)
        return list(visible.filter(pk__in=list(ids)).values_list("pk", flat=True))

    content = records_page(
        key=key,
        subject=state.subject,
        period=state.period,
        page=page_number(request),
        ctx=state.ctx,
        deals_openable=openable,
    )
    context = page_context(state, page="records", r=content, picker_keep=[("kpi", key)])
    if wants_partial(request):
        return render(request, "dashboards/partials/records_table.html", context)
    return render(request, "dashboards/records.html", context)
