"""Team: the manager's page (tiles, rep comparison, funnel by rep, trends)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.dashboards.state import page_state
from attain.dashboards.views.base import dashboard_view, page_context


@dashboard_view
def team_page(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    return render(request, "dashboards/team.html", page_context(state, page="team"))


@dashboard_view
def rep_table(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    return render(request, "dashboards/partials/rep_table.html", page_context(state, page="team"))
