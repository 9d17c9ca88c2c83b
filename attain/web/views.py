"""Sign in and out. The home page ("/") is the dashboards' (attain.dashboards.views.home)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView, LogoutView, PasswordResetDoneView
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


class ResetSentView(PasswordResetDoneView):
    """ "Check your e-mail", saying how long the link lasts."""

    template_name = "web/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["timeout_days"] = settings.PASSWORD_RESET_TIMEOUT // 86400
        return context
