"""Thin views: parse the request, call selectors, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.core.errors import NotFound
from attain.org.selectors import organisation_get, person_for_user
from attain.web.home import home_page


class SignInView(LoginView):
    """Django's login with our template; a signed-in visitor goes straight home."""

    template_name = "web/login.html"
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    """Django 5's POST-only logout, plus a note on the login page so the person knows it worked."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Who you are, your team, your open deals and this fiscal week's activities."""
    try:
        org = organisation_get()
    except NotFound:
        return render(request, "web/home_no_org.html")
    person = person_for_user(request.user)
    if person is None:
        return render(request, "web/home_no_person.html")
    page = home_page(org=org, person=person)
    return render(request, "web/home.html", {"page": page, "person": person})
