"""The dashboard frame: sign-in, URL state (period and subject), pickers, friendly 400 and 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from attain.org.models import Person, Team
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAGES = ("dashboards:me", "dashboards:team", "dashboards:company", "dashboards:leaderboards")


def client_for(person: Person) -> Client:
    client = Client()
    assert person.user is not None
    assert client.login(username=person.user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("name", ["home", *PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(name: str, org: object) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_period_is_a_friendly_400(alice: Person) -> None:
    response = client_for(alice).get(reverse("dashboards:me"), {"period": "FY2026-Q9"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "FY2026-Q9" in text and "does not exist" in text
    assert "this-quarter" in text  # the accepted forms are listed
    assert "Traceback" not in text


def test_a_malformed_subject_is_a_friendly_400(maria: Person, team_north: Team) -> None:
    response = client_for(maria).get(reverse("dashboards:team"), {"subject": "squad:North"})
    assert response.status_code == 400
    assert "is not a subject" in response.content.decode()


def test_an_overlong_parameter_is_refused(alice: Person) -> None:
    response = client_for(alice).get(reverse("dashboards:me"), {"period": "x" * 500})
    assert response.status_code == 400


def test_another_teams_subject_is_a_404_like_a_missing_one(
    maria: Person, team_north: Team, carol: Person
) -> None:
    client = client_for(maria)
    hidden = client.get(reverse("dashboards:me"), {"subject": "person:carol@acme.test"})
    missing = client.get(reverse("dashboards:me"), {"subject": "person:ghost@acme.test"})
    assert hidden.status_code == missing.status_code == 404
    assert _without_tokens(hidden.content) == _without_tokens(missing.content)


def _without_tokens(content: bytes) -> str:
    """The page with its per-response CSRF tokens blanked, to compare two answers."""
    text = content.decode()
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", text)


def test_short_fiscal_forms_are_read_and_links_carry_the_canonical_label(alice: Person) -> None:
    response = client_for(alice).get(reverse("dashboards:me"), {"period": "2026-q3"})
    assert response.status_code == 200
    assert response.context["state"].period.label == "FY2026-Q3"
    assert "period=FY2026-Q3" in response.context["nav"][0].url


def test_the_free_text_box_wins_over_the_preset(alice: Person) -> None:
    response = client_for(alice).get(
        reverse("dashboards:me"), {"period": "this-week", "period_custom": "FY2026-M05"}
    )
    assert response.context["state"].period.label == "FY2026-M05"


def test_a_relative_preset_stays_relative_in_links(alice: Person) -> None:
    response = client_for(alice).get(reverse("dashboards:me"), {"period": "Last-Month"})
    assert response.context["state"].period_param == "last-month"


def test_navigation_follows_the_role(
    alice: Person, maria: Person, team_north: Team, eve: Person, company: Team
) -> None:
    def keys(person: Person) -> list[str]:
        response = client_for(person).get(reverse("dashboards:leaderboards"))
        return [item.key for item in response.context["nav"]]

    assert "team" not in keys(alice) and "company" not in keys(alice)
    assert "team" in keys(maria) and "company" not in keys(maria)
    assert {"team", "company"} <= set(keys(eve))


def test_the_picker_lists_only_what_the_viewer_may_see(
    maria: Person, alice: Person, carol: Person, team_north: Team
) -> None:
    text = client_for(maria).get(reverse("dashboards:team")).content.decode()
    assert 'value="person:alice@acme.test"' in text
    assert "carol@acme.test" not in text and "Carol" not in text


def test_a_short_form_error_quotes_what_was_typed(alice: Person) -> None:
    response = client_for(alice).get(reverse("dashboards:me"), {"period": "2026-Q9"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "&#x27;2026-Q9&#x27; does not exist" in text and "FY2026-Q9" not in text


def test_an_executive_picks_from_the_tree_and_the_people_of_the_team_in_view(
    eve: Person, company: Team, alice: Person, carol: Person
) -> None:
    client = client_for(eve)
    at_company = client.get(reverse("dashboards:leaderboards")).content.decode()
    assert 'value="team:North"' in at_company and 'value="team:South"' in at_company
    assert "person:alice@acme.test" not in at_company
    in_north = client.get(reverse("dashboards:leaderboards"), {"subject": "team:North"})
    assert 'value="person:alice@acme.test"' in in_north.content.decode()
    assert 'value="person:carol@acme.test"' not in in_north.content.decode()
    on_alice = client.get(reverse("dashboards:me"), {"subject": "person:alice@acme.test"})
    assert 'value="person:alice@acme.test" selected' in on_alice.content.decode()
