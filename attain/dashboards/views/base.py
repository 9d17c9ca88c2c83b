"""What every dashboard view shares: sign-in, the page state, and the friendly 400/404 answers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from attain.core.errors import NotFound
from attain.dashboards.navigation import nav_items
from attain.dashboards.state import InvalidPageState, PageState
from attain.org.models import Organisation
from attain.org.selectors import person_for_user

View = Callable[..., HttpResponse]


def dashboard_view(view: View) -> View:
    """Wrap a page or partial view: signed-in only; a bad period or subject answers 400 with the
    reason; anything missing or outside the viewer's scope answers the same 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except InvalidPageState as error:
            return render(
                request,
                "dashboards/400.html",
                {"problems": error.problems, "hints": error.hints},
                status=400,
            )
        except NotFound as error:
            if not Organisation.objects.exists():
                return render(request, "web/home_no_org.html")
            if not request.user.is_superuser and person_for_user(request.user) is None:
                return render(request, "web/home_no_person.html")
            raise Http404(str(error)) from None

    return login_required(wrapper)


def page_context(state: PageState, *, page: str, **context: Any) -> dict[str, Any]:
    """Template context every dashboard page gets: the state, the navigation, the pickers."""
    return {
        "state": state,
        "person": state.viewer.person,
        "page_name": page,
        "nav": nav_items(state, current=page),
        **context,
    }
