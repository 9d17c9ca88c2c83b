"""Sign in and out. The home page ("/") is the dashboards' (attain.dashboards.views.home)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse


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
