"""My performance: a rep's own page (managers open it for anyone in their subtree)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.dashboards.state import page_state
from attain.dashboards.views.base import dashboard_view, page_context


@dashboard_view
def my_performance(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    return render(request, "dashboards/me.html", page_context(state, page="me"))
