"""Company: the executive's page (also a region manager's view of their region)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from attain.dashboards.company_review import company_page as company_content
from attain.dashboards.state import page_state
from attain.dashboards.views.base import dashboard_view, page_context


@dashboard_view
def company_page(request: HttpRequest) -> HttpResponse:
    """A person picked here opens their My performance page with the same state."""
    state = page_state(request)
    if state.subject.kind == "person":
        return redirect(state.url("dashboards:me"))
    page = company_content(state)
    return render(request, "dashboards/company.html", page_context(state, page="company", p=page))
