"""Pipeline review (the subject's open deals with health flags) and the deal page."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.access.selectors import (
    activities_visible,
    deal_get_visible,
    person_ids_visible,
)
from attain.core.errors import ValidationFailed
from attain.dashboards.pipeline import SORTS, PipelineFilters, deal_page, pipeline_review
from attain.dashboards.state import InvalidPageState, page_state
from attain.dashboards.views.base import dashboard_view, page_context


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap asks for the partial; htmx restoring history after a cache miss needs the
    whole page (it replaces the body with what it gets)."""
    details = getattr(request, "htmx", None)  # set by django_htmx's middleware
    return details is not None and bool(details) and not details.history_restore_request


def page_number(request: HttpRequest) -> int:
    """`?page=N` (1 when absent); anything but a positive whole number is a 400."""
    text = (request.GET.get("page") or "1").strip()
    if not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise InvalidPageState({"page": f"{text!r} is not a page number; use 1, 2, 3…"})
    return int(text)


@dashboard_view
def pipeline(request: HttpRequest) -> HttpResponse:
    """The open deals of the picked subject now; htmx requests get only the results partial."""
    state = page_state(request)
    try:
        filters = PipelineFilters.from_query(request.GET)
    except ValidationFailed as error:
        raise InvalidPageState(error.problems) from None
    owner_ids = person_ids_visible(
        viewer=state.viewer, start=state.today, end=state.today + timedelta(days=1)
    )
    review = pipeline_review(
        subject=state.subject,
        period=state.period,
        owner_ids=owner_ids,
        filters=filters,
        page=page_number(request),
        ctx=state.ctx,
    )
    # A new period or subject keeps the health filters and the sort (owner and stage belong to
    # the old subject, so they are dropped).
    keep = filters.query(owner=None, stage=None)
    context = page_context(
        state, page="pipeline", review=review, sorts=SORTS, picker_keep=sorted(keep.items())
    )
    if wants_partial(request):
        return render(request, "dashboards/partials/pipeline_results.html", context)
    return render(request, "dashboards/pipeline.html", context)


@dashboard_view
def deal(request: HttpRequest, deal_id: int) -> HttpResponse:
    """One deal with its stage history and activities; outside the viewer's scope it is a 404."""
    state = page_state(request)
    found = deal_get_visible(viewer=state.viewer, deal_id=deal_id, today=state.today)
    content = deal_page(
        deal=found, activities=activities_visible(viewer=state.viewer), ctx=state.ctx
    )
    return render(request, "dashboards/deal.html", page_context(state, page="pipeline", d=content))
