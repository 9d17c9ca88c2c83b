"""Password reset by e-mail, and login throttling (django-axes) with its unlock command."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from attain.org.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_offers_a_password_reset(client: Client, org: object) -> None:
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in html


def test_a_reset_link_by_mail_sets_a_new_password(client: Client, alice: Person) -> None:
    response = client.post(reverse("password_reset"), {"email": "alice@acme.test"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_reset_done")
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@acme.test"] and message.subject == "Reset your Attain password"
    link = re.search(r"http://testserver(/password-reset/[^\s]+/)", str(message.body))
    assert link is not None, message.body

    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert Client().login(username="alice", password="a-new-long-pass-42")
    # The link works once.
    again = client.get(link.group(1), follow=True)
    assert "This link no longer works" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: Client, alice: Person) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@acme.test"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_reset_done")
    assert mail.outbox == []


def _sign_in(client: Client, password: str) -> int:
    response = client.post(reverse("login"), {"username": "alice", "password": password})
    return response.status_code


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_login_until_an_admin_unlocks_it(alice: Person) -> None:
    client = Client()
    assert [_sign_in(client, "wrong") for _ in range(2)] == [200, 200]  # the form, with an error
    locked = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Locked: even the right password is refused now.
    assert _sign_in(client, PASSWORD) == 429
    call_command("axes_reset_username", "alice", verbosity=0)
    assert _sign_in(client, PASSWORD) == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_lock_is_per_username_and_a_success_resets_the_count(alice: Person, bob: Person) -> None:
    client = Client()
    assert [_sign_in(client, "wrong") for _ in range(2)] == [200, 200]
    assert _sign_in(client, PASSWORD) == 302  # a success clears the failures
    client = Client()
    assert [_sign_in(client, "wrong") for _ in range(3)] == [200, 200, 429]
    other = Client().post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert other.status_code == 302
