"""Static files come from the installed packages and our app, never from a CDN."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

from attain.org.models import Person


@pytest.mark.parametrize(
    "name",
    [
        "vendor/plotly.min.js",
        "django_htmx/htmx-2.min.js",
        "web/app.css",
        "dashboards/dashboards.js",
    ],
)
def test_static_file_resolves_through_the_finders(name: str) -> None:
    found = finders.find(name)

    assert isinstance(found, str)
    assert found


def test_the_plotly_finder_lists_its_file_for_collectstatic() -> None:
    listed = [
        path for finder in finders.get_finders() for path, _ in finder.list([]) if "plotly" in path
    ]

    assert "plotly.min.js" in listed


@pytest.mark.django_db
def test_pages_load_htmx_and_our_css_from_our_own_static_url(client: Client, alice: Person) -> None:
    assert alice.user is not None
    client.force_login(alice.user)

    html = client.get("/").content.decode()

    assert f'src="{static("django_htmx/htmx-2.min.js")}"' in html
    assert f'href="{static("web/app.css")}"' in html


@pytest.mark.django_db
def test_plotly_is_served_by_the_app_itself(client: Client) -> None:
    response = client.get(static("vendor/plotly.min.js"))

    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    response.close()
