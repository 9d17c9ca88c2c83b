"""Data quality: CRM-discipline KPIs for the subject, its teams and its reps."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.access.selectors import person_ids_visible
from attain.core.errors import ValidationFailed
from attain.dashboards.quality import ATTENTION_SHARE, QUALITY_KPIS, SORTS, quality_page
from attain.dashboards.state import InvalidPageState, page_state
from attain.dashboards.views.base import dashboard_view, page_context
from attain.dashboards.views.pipeline import page_number, wants_partial


@dashboard_view
def quality(request: HttpRequest) -> HttpResponse:
    """The page; an htmx request (sorting, paging the rep table) gets only the rep table."""
    state = page_state(request)
    owner_ids = person_ids_visible(
        viewer=state.viewer, start=state.today, end=state.today + timedelta(days=1)
    )
    try:
        content = quality_page(
            subject=state.subject,
            period=state.period,
            owner_ids=owner_ids,
            sort=request.GET.get("sort") or "dq_no_next_step_share",
            page=page_number(request),
            ctx=state.ctx,
        )
    except ValidationFailed as error:
        raise InvalidPageState(error.problems) from None
    context = page_context(
        state,
        page="quality",
        q=content,
        headings=dict(QUALITY_KPIS),
        sorts=SORTS,
        warn_share=ATTENTION_SHARE,
        no_activity_days=state.ctx.settings.no_activity_days,
        picker_keep=[("sort", content.sort)],
    )
    if wants_partial(request):
        return render(request, "dashboards/partials/quality_reps.html", context)
    return render(request, "dashboards/quality.html", context)
