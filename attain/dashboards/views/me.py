"""My performance: a rep's own page (a manager opens it for anyone in their subtree)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from attain.dashboards.performance import performance_page
from attain.dashboards.state import page_state
from attain.dashboards.views.base import dashboard_view, page_context


@dashboard_view
def my_performance(request: HttpRequest) -> HttpResponse:
    """A team or the company picked here opens the Team page with the same state."""
    state = page_state(request, default_self=True)
    if state.subject.kind != "person":
        return redirect(state.url("dashboards:team"))
    page = performance_page(state)
    return render(request, "dashboards/me.html", page_context(state, page="me", p=page))
