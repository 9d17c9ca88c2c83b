"""The home page ("/"): each viewer lands on the page made for their role, with no redirect."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.access.selectors import viewer_for
from attain.dashboards.views import company, me, team
from attain.org.models import Organisation


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Rep: My performance. Manager: their team. Executive or admin: the company."""
    if not Organisation.objects.exists():
        return render(request, "web/home_no_org.html")
    viewer = viewer_for(user=request.user)
    if viewer.person is None and not viewer.sees_everything:
        return render(request, "web/home_no_person.html")
    if viewer.sees_everything:
        return company.company_page(request)
    if viewer.is_manager:
        return team.team_page(request)
    return me.my_performance(request)
