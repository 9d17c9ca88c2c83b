"""Friendly error pages: our templates, no traceback, no session needed."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, reverse
from django.utils.html import strip_tags
from pytest_django import Settings

from attain.org.models import Person
from tests.conftest import PASSWORD
from tests.web import offsite_urls

pytestmark = pytest.mark.django_db


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals that must not leak")


# This module doubles as a URLconf: the app's URLs plus three views that fail on purpose.
urlpatterns = [
    path("boom/403/", _forbidden),
    path("boom/400/", _suspicious),
    path("boom/500/", _broken),
    path("", include("config.urls")),
]


@pytest.fixture
def failing_urls(settings: Settings) -> None:
    settings.ROOT_URLCONF = __name__


def test_unknown_address_gets_our_404_page(client: Client) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert "We can’t find that page" in response.content.decode()


def test_404_page_links_home_and_stays_offline(client: Client) -> None:
    html = client.get("/no/such/page/").content.decode()

    assert f'href="{reverse("home")}"' in html
    assert offsite_urls(html) == []


def test_permission_denied_gets_our_403_page(client: Client, failing_urls: None) -> None:
    response = client.get("/boom/403/")

    assert response.status_code == 403
    assert "This page isn’t available to you" in response.content.decode()


def test_a_suspicious_request_gets_our_400_page(client: Client, failing_urls: None) -> None:
    response = client.get("/boom/400/")

    assert response.status_code == 400
    assert "We couldn’t understand that request" in response.content.decode()


def test_a_server_error_shows_a_friendly_page_without_a_traceback(
    client: Client, failing_urls: None
) -> None:
    client.raise_request_exception = False

    response = client.get("/boom/500/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "Traceback" not in html
    assert "secret internals" not in html
    assert offsite_urls(html) == []


def test_an_expired_form_gets_our_csrf_page(alice: Person) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    text = re.sub(r"\s+", " ", strip_tags(response.content.decode()))
    assert "That form had expired" in text
