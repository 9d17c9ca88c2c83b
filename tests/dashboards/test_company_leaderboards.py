# ruff: noqa: F811  (fixtures imported from review_fixtures are redefined as parameters)
"""Company page, leaderboards and the home page on the hand-checked history (today 10 Jul 2026).

FY2026-Q2 revenue: Alice 10,000 (North), Bob 2,000 in North then 3,000 in South, Carol none;
company target 20,000. Q2 has 65 working days; Bob was in North for 32 of them, South for 33.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attain.crm.services import activity_log
from attain.dashboards.leaderboards import Board
from attain.org.models import Person, Role
from attain.org.services import membership_start, person_create
from tests.conftest import PASSWORD, berlin
from tests.dashboards.review_fixtures import History, client_for, ctx, history, pinned, q2  # noqa: F401
from tests.web import offsite_urls

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]
Q2 = {"period": "FY2026-Q2"}


def test_company_revenue_against_target_by_node(history: History, eve: Person) -> None:
    response = client_for(eve).get(reverse("dashboards:company"), Q2)
    assert response.status_code == 200
    page = response.context["p"]
    assert [(n.team.name, n.depth, n.revenue_text, n.target_text) for n in page.nodes] == [
        ("Acme", 0, "€15,000.00", "€20,000.00"),
        ("Europe", 1, "€15,000.00", "no target"),
        ("North", 2, "€12,000.00", "no target"),
        ("South", 2, "€3,000.00", "no target"),
    ]
    company = page.nodes[0]
    assert company.attainment_text == "75.0 %" and company.revenue.status == "behind"
    assert page.revenue_figure["data"][0]["y"] == ["Europe"]  # the chart shows the level below
    assert offsite_urls(response.content.decode()) == []


def test_home_shows_each_role_its_page(history: History, eve: Person, maria: Person) -> None:
    assert client_for(history.alice).get("/").context["page_name"] == "me"
    assert client_for(maria).get("/").context["page_name"] == "team"
    assert client_for(eve).get("/").context["page_name"] == "company"


def test_home_explains_a_login_without_a_person(history: History) -> None:
    client = Client()
    client.force_login(User.objects.create_user("ghost", password=PASSWORD))
    assert "linked to a person" in client.get("/").content.decode()


def _board(person: Person, **params: str) -> Board:
    response = client_for(person).get(reverse("dashboards:leaderboards"), {**Q2, **params})
    assert response.status_code == 200, response.content.decode()[:600]
    board: Board = response.context["b"]
    return board


def test_rep_leaderboard_raw_and_per_working_day(history: History, eve: Person) -> None:
    raw = _board(eve, subject="company")
    assert [(r.rank, r.name, r.raw_text) for r in raw.rows] == [
        (1, "Alice Rep", "€10,000.00"),
        (2, "Bob Rep", "€5,000.00"),
        (3, "Carol Rep", "€0.00"),
    ]
    per_day = _board(eve, subject="company", norm="day")
    assert [(r.name, r.days, r.score_text) for r in per_day.rows][:2] == [
        ("Alice Rep", 65, "€153.85/day"),
        ("Bob Rep", 65, "€76.92/day"),
    ]


def test_a_long_board_shows_the_best_ranked_and_links_to_all(
    history: History, eve: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("attain.dashboards.leaderboards.ROW_LIMIT", 2)
    cut = _board(eve, subject="company")
    assert [r.name for r in cut.rows] == ["Alice Rep", "Bob Rep"]
    assert cut.truncated and cut.total == 3
    assert "all=1" in cut.all_url
    html = client_for(eve).get(reverse("dashboards:leaderboards"), {**Q2, "subject": "company"})
    assert "Show all 3 reps" in html.content.decode()
    whole = _board(eve, subject="company", all="1")
    assert [r.name for r in whole.rows] == ["Alice Rep", "Bob Rep", "Carol Rep"]
    assert not whole.truncated
    assert all(r.raw_text and r.href and r.page_url for r in whole.rows)


def test_a_new_hire_and_a_part_timer_are_compared_fairly(
    history: History, eve: Person, team_north: object
) -> None:
    """Nina joins on 1 Jun at half time and makes 12 calls: 22 working days present, 0.5 FTE."""
    nina = person_create(
        actor=None,
        full_name="Nina Newhire",
        email="nina@acme.test",
        hire_date=date(2026, 6, 1),
        role=Role.REP,
        fte=Decimal("0.50"),
    )
    membership_start(actor=None, person=nina, team=history.north, start_date=date(2026, 6, 1))
    for day in range(1, 13):
        activity_log(actor=None, kind="call", owner=nina, occurred_at=berlin(2026, 6, day + 1, 10))
    raw = {r.name: r for r in _board(eve, subject="company", kpi="calls").rows}
    assert raw["Nina Newhire"].rank == 1 and raw["Alice Rep"].raw_text == "3"
    per_fte = {
        r.name: r.score_text for r in _board(eve, subject="company", kpi="calls", norm="fte").rows
    }
    assert per_fte["Nina Newhire"] == "24.00/FTE"
    per_day = {
        r.name: (r.days, r.score_text)
        for r in _board(eve, subject="company", kpi="calls", norm="day").rows
    }
    assert per_day["Nina Newhire"] == (22, "0.55/day")
    assert per_day["Bob Rep"] == (65, "0.09/day")


def test_ratios_are_ranked_as_they_are(history: History, eve: Person) -> None:
    board = _board(eve, subject="company", kpi="win_rate", norm="fte")
    assert not board.normalisable and "ranked as it is" in board.note
    assert [r.score_text for r in board.rows][:1] == ["100.0 %"]


def test_team_leaderboard_normalised_by_rep_days_in_the_team(history: History, eve: Person) -> None:
    board = _board(eve, subject="company", board="teams", norm="day")
    rows = [(r.rank, r.name, r.raw_text, r.days, r.score_text) for r in board.rows]
    assert rows == [
        (1, "North", "€12,000.00", 97, "€123.71/day"),
        (2, "South", "€3,000.00", 98, "€30.61/day"),
    ]


def test_a_rep_sees_their_rank_but_nobody_elses_numbers(history: History) -> None:
    response = client_for(history.alice).get(reverse("dashboards:leaderboards"), Q2)
    board = response.context["b"]
    assert [r.name for r in board.rows] == ["Alice Rep"]
    assert board.own_rank == (1, 2)  # among North's reps in Q2: Alice and Bob
    assert board.figure is None
    assert "Bob Rep" not in response.content.decode()


def test_bad_leaderboard_parameters_are_a_400(history: History, eve: Person) -> None:
    for params in ({"kpi": "nope"}, {"board": "squads"}, {"norm": "per-hour"}):
        response = client_for(eve).get(reverse("dashboards:leaderboards"), {**Q2, **params})
        assert response.status_code == 400, params


def test_leaderboard_query_count_does_not_grow_with_reps(history: History, eve: Person) -> None:
    client = client_for(eve)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                reverse("dashboards:leaderboards"), {**Q2, "subject": "company", "norm": "day"}
            )
            assert response.status_code == 200
        return len(captured.captured_queries)

    before = count()
    for i in range(5):
        rep = person_create(
            actor=None,
            full_name=f"Extra Rep{i}",
            email=f"x{i}@acme.test",
            hire_date=date(2026, 2, 1),
            role=Role.REP,
        )
        membership_start(actor=None, person=rep, team=history.south, start_date=date(2026, 2, 1))
        activity_log(actor=None, kind="call", owner=rep, occurred_at=berlin(2026, 5, 4, 10))
    assert count() <= before


def test_company_query_count_does_not_grow_with_reps(history: History, eve: Person) -> None:
    client = client_for(eve)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dashboards:company"), Q2).status_code == 200
        return len(captured.captured_queries)

    before = count()
    for i in range(5):
        rep = person_create(
            actor=None,
            full_name=f"More Rep{i}",
            email=f"m{i}@acme.test",
            hire_date=date(2026, 2, 1),
            role=Role.REP,
        )
        membership_start(actor=None, person=rep, team=history.north, start_date=date(2026, 2, 1))
    assert count() <= before


def test_the_board_partial_puts_the_whole_pages_address_in_the_bar(
    history: History, eve: Person
) -> None:
    response = client_for(eve).get(
        reverse("dashboards:leaderboard_table"),
        {**Q2, "subject": "company", "kpi": "calls", "norm": "fte"},
        HTTP_HX_REQUEST="true",
    )
    assert response.content.decode().lstrip().startswith('<div id="board"')
    pushed = response["HX-Push-Url"]
    assert pushed.startswith(reverse("dashboards:leaderboards") + "?")
    assert "kpi=calls" in pushed and "norm=fte" in pushed and "board=reps" in pushed


def test_a_large_tree_shows_two_levels_and_regions_open_their_own_teams(
    history: History, eve: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("attain.dashboards.company_review.MAX_TREE_NODES", 3)
    page = client_for(eve).get(reverse("dashboards:company"), Q2).context["p"]
    assert [n.team.name for n in page.nodes] == ["Acme", "Europe"]
    assert page.hidden_nodes == 2
    europe = page.nodes[1]
    assert europe.team_url.startswith(reverse("dashboards:company") + "?")
    assert "subject=team%3AEurope" in europe.team_url
    region = client_for(eve).get(europe.team_url).context["p"]
    assert [n.team.name for n in region.nodes] == ["Europe", "North", "South"]
    assert region.nodes[1].team_url.startswith(reverse("dashboards:team") + "?")
