# ruff: noqa: F811  (fixtures imported from review_fixtures are redefined as parameters)
"""Every dashboard page and partial × every persona: who gets the page, who a 404, who the login.

One table (NetBox's shared permission suite, in miniature). Personas, on the hand-checked history
of tests/metrics/conftest.py with today pinned to 10 Jul 2026:

- anonymous → always the login page;
- `rep` Alice (North), `other_rep` Carol (South);
- `manager` Maria (North), `other_manager` Sam (South);
- `executive` Eve.

A 200 must not show what the persona may not see: names of people and deals outside their scope.
Adding a page to `attain/dashboards/urls.py` without a row here fails
`test_every_dashboard_url_is_in_the_table`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from attain.org.models import Person
from tests.dashboards.review_fixtures import History, client_for, ctx, history, pinned, q2  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

PERSONAS = ("anonymous", "rep", "other_rep", "manager", "other_manager", "executive")
FIXTURE = {
    "rep": "alice",
    "other_rep": "carol",
    "manager": "maria",
    "other_manager": "sam",
    "executive": "eve",
}
# What each persona must never see on a page they are allowed to open (whole words).
HIDDEN = {
    "rep": ("Carol Rep", "Bob Rep", "Eta", "Zeta", "Epsilon", "Sam Southmanager"),
    "other_rep": ("Alice Rep", "Bob Rep", "Maria Manager", "Delta", "Alpha", "Zeta"),
    "manager": ("Carol Rep", "Eta", "Sam Southmanager"),
    "other_manager": ("Alice Rep", "Maria Manager", "Delta", "Alpha", "Epsilon"),
    "executive": (),
}

OK, NOT_FOUND = 200, 404
ALL = dict.fromkeys(PERSONAS[1:], OK)


def only(*personas: str) -> dict[str, int]:
    """200 for these personas, 404 for every other signed-in one."""
    return {p: OK if p in personas else NOT_FOUND for p in PERSONAS[1:]}


@dataclass(frozen=True)
class Case:
    name: str  # URL name in the dashboards namespace (or "home")
    params: dict[str, str]
    expect: dict[str, int]
    htmx: bool = False
    deal: str = ""  # a deal of the history fixture, for dashboards:deal

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.params.items())
        deal = f"[{self.deal}]" if self.deal else ""
        return f"{self.name}{deal}{'[htmx]' if self.htmx else ''}{'?' + extra if extra else ''}"


NORTH = {"subject": "team:North", "period": "FY2026-Q2"}
ALICE = {"subject": "person:alice@acme.test", "period": "FY2026-Q2"}
COMPANY = {"subject": "company", "period": "FY2026-Q2"}
NORTH_MANAGERS = only("manager", "executive")
ALICE_VIEWERS = only("rep", "manager", "executive")

CASES = [
    Case("home", {}, ALL),
    Case("dashboards:me", {}, ALL),
    Case("dashboards:me", ALICE, ALICE_VIEWERS),
    Case("dashboards:team", NORTH, NORTH_MANAGERS),
    Case("dashboards:team_reps", NORTH, NORTH_MANAGERS, htmx=True),
    Case("dashboards:company", {}, only("executive")),
    Case("dashboards:leaderboards", NORTH, NORTH_MANAGERS),
    Case(
        "dashboards:leaderboard_table", {**NORTH, "kpi": "revenue_won"}, NORTH_MANAGERS, htmx=True
    ),
    Case("dashboards:pipeline", {}, ALL),
    Case("dashboards:pipeline", NORTH, NORTH_MANAGERS),
    Case("dashboards:pipeline", ALICE, ALICE_VIEWERS),
    Case("dashboards:pipeline", {**NORTH, "stalled": "1"}, NORTH_MANAGERS, htmx=True),
    Case("dashboards:pipeline", COMPANY, only("executive")),
    Case("dashboards:deal", {}, ALICE_VIEWERS, deal="delta"),
    Case("dashboards:deal", {}, only("other_rep", "other_manager", "executive"), deal="eta"),
    Case("dashboards:quality", {}, ALL),
    Case("dashboards:quality", NORTH, NORTH_MANAGERS),
    Case("dashboards:quality", {**NORTH, "sort": "name"}, NORTH_MANAGERS, htmx=True),
    Case("dashboards:quality", ALICE, ALICE_VIEWERS),
    Case("dashboards:records", {**NORTH, "kpi": "deals_won"}, NORTH_MANAGERS),
    Case("dashboards:records", {**ALICE, "kpi": "calls"}, ALICE_VIEWERS),
    Case("dashboards:records", {**ALICE, "kpi": "calls", "page": "1"}, ALICE_VIEWERS, htmx=True),
    Case("dashboards:records", {**COMPANY, "kpi": "revenue_won"}, only("executive")),
]


def url_of(case: Case, history: History) -> str:
    if case.deal:
        return reverse(case.name, args=[history.deals[case.deal].pk])
    return reverse(case.name)


def check(case: Case, persona: str, url: str, person: Person | None) -> list[str]:
    """What is wrong with the persona's answer (nothing: an empty list)."""
    headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
    client = Client() if person is None else client_for(person)
    response = client.get(url, case.params, **headers)  # type: ignore[arg-type]
    if person is None:
        if response.status_code != 302 or not response["Location"].startswith(reverse("login")):
            return [f"{persona}: {response.status_code}, not a redirect to the login page"]
        return []
    if response.status_code != case.expect[persona]:
        return [f"{persona}: {response.status_code}, expected {case.expect[persona]}"]
    html = response.content.decode()
    # Template syntax never reaches the page (a multi-line {# #} comment is printed as text).
    leaks = [
        f"{persona}: template syntax {t!r} in the page"
        for t in ("{#", "#}", "{%", "{{")
        if t in html
    ]
    if response.status_code == OK:
        return leaks + [
            f"{persona}: shows {hidden!r}"
            for hidden in HIDDEN[persona]
            if re.search(rf"\b{re.escape(hidden)}\b", html)
        ]
    # A 404 is the same page whatever was asked for: nothing of the record leaks.
    body = html.split("</header>", 1)[-1]
    return [
        f"{persona}: its 404 names {name!r}"
        for name in ("Delta", "Eta", "North", "Alice Rep", "Carol Rep")
        if re.search(rf"\b{name}\b", body)
    ]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_page_access(case: Case, history: History, request: pytest.FixtureRequest) -> None:
    """One case, every persona (one fixture build per case keeps the suite fast)."""
    url = url_of(case, history)
    people = {p: request.getfixturevalue(FIXTURE[p]) for p in PERSONAS[1:]}
    problems: list[str] = []
    for persona in PERSONAS:
        problems += check(case, persona, url, people.get(persona))
    assert problems == []


def test_every_dashboard_url_is_in_the_table() -> None:
    patterns = get_resolver("attain.dashboards.urls").url_patterns
    names = {f"dashboards:{p.name}" for p in patterns if isinstance(p, URLPattern)}
    assert len(names) == len(patterns)  # no nested includes to miss
    assert names <= {case.name for case in CASES}
