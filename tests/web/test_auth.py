"""Signing in and out: the login form, POST-only logout, the redirect for anonymous visitors."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from attain.org.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_login_page_renders_our_form(client: Client) -> None:
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert "web/login.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "csrfmiddlewaretoken" in html


def test_login_with_the_fixture_password_lands_on_home(client: Client, alice: Person) -> None:
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Alice Rep" in response.content.decode()


def test_login_honours_next(client: Client, alice: Person) -> None:
    response = client.post(
        f"{reverse('login')}?next=/admin/",
        {"username": "alice", "password": PASSWORD, "next": "/admin/"},
    )

    assert response["Location"] == "/admin/"


def test_wrong_password_shows_an_error_and_stays_signed_out(client: Client, alice: Person) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_signed_in_visitor_skips_the_login_page(client: Client, alice: Person) -> None:
    assert alice.user is not None
    client.force_login(alice.user)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logout_by_get_is_refused(client: Client, alice: Person) -> None:
    assert alice.user is not None
    client.force_login(alice.user)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.get(reverse("home")).status_code == 200


def test_logout_form_on_the_page_signs_out_with_its_csrf_token(alice: Person) -> None:
    client = Client(enforce_csrf_checks=True)
    login_page = client.get(reverse("login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token is not None
    client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
    )
    home = client.get(reverse("home")).content.decode()
    form = re.search(
        r'<form class="logout" method="post" action="([^"]+)">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
        home,
    )
    assert form is not None, "the top bar carries a POST logout form with a CSRF token"

    response = client.post(form.group(1), {"csrfmiddlewaretoken": form.group(2)}, follow=True)

    assert response.redirect_chain[0] == (reverse("login"), 302)
    assert "You have signed out." in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
