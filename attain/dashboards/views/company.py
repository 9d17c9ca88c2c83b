"""Company: the executive's page (revenue against target by region and team, trends, tree)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.dashboards.state import page_state
from attain.dashboards.views.base import dashboard_view, page_context


@dashboard_view
def company_page(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    return render(request, "dashboards/company.html", page_context(state, page="company"))
