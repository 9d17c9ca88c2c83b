"""Leaderboards: any KPI for reps and teams, raw and normalised (per FTE, per working day)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.dashboards.state import page_state
from attain.dashboards.views.base import dashboard_view, page_context


@dashboard_view
def leaderboards_page(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    return render(request, "dashboards/leaderboards.html", page_context(state, page="leaderboards"))


@dashboard_view
def leaderboard_table(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    return render(
        request,
        "dashboards/partials/leaderboard_table.html",
        page_context(state, page="leaderboards"),
    )
