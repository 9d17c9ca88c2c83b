"""Company: the executive's page — revenue against target by region and team, trends, the tree."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from attain.core.errors import NotFound
from attain.dashboards.company_review import company_page as company_content
from attain.dashboards.state import page_state
from attain.dashboards.views.base import dashboard_view, page_context


@dashboard_view
def company_page(request: HttpRequest) -> HttpResponse:
    """For executives and admins (others get the same 404 as an unknown page); a person picked
    here opens their My performance page with the same state."""
    state = page_state(request)
    if not state.viewer.sees_everything:
        raise NotFound("This page is not available to you.")
    if state.subject.kind == "person":
        return redirect(state.url("dashboards:me"))
    page = company_content(state)
    return render(request, "dashboards/company.html", page_context(state, page="company", p=page))
