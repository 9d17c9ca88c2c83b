# ruff: noqa: F811  (fixtures imported from review_fixtures are redefined as parameters)
"""Data quality and drill-down records: the figures are the KPIs', each number opens exactly the
records behind it, scope is checked, bad input is a friendly 400, and query counts stay flat."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attain.core.periods import Period
from attain.crm.models import Stage
from attain.crm.services import activity_log, deal_create
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import kpi_values
from attain.org.models import Person
from attain.org.services import membership_start
from tests.conftest import _person, berlin
from tests.dashboards.review_fixtures import (  # noqa: F401
    History,
    client_for,
    ctx,
    history,
    pinned,
    q2,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

QUALITY = reverse("dashboards:quality")
RECORDS = reverse("dashboards:records")
KEYS = [
    "dq_no_next_step_share",
    "dq_stale_close_date_share",
    "dq_no_recent_activity_share",
    "deals_missing_next_step",
    "deals_past_close_date",
    "stalled_deals",
]


def engine(subject: Subject, period: Period, ctx: MetricsContext) -> dict[str, Decimal | None]:
    values = kpi_values(keys=KEYS, subject=subject, period=period, ctx=ctx, comparisons=False)
    return {v.kpi.key: v.value for v in values}


def shown(row: object) -> dict[str, Decimal | None]:
    return {kpi.key: value for kpi, value in row.values}  # type: ignore[attr-defined]


def test_every_row_agrees_with_the_kpi_engine(
    history: History, eve: Person, ctx: MetricsContext, q2: Period
) -> None:
    q = client_for(eve).get(QUALITY, {"subject": "company", "period": "FY2026-Q2"}).context["q"]
    assert shown(q.total) == engine(Subject.company(), q2, ctx)
    assert [row.label for row in q.teams] == ["Acme", "Europe"]  # the node and one level down
    assert shown(q.teams[1]) == engine(Subject.for_team(history.region), q2, ctx)
    region = client_for(eve).get(QUALITY, {"subject": "team:Europe", "period": "FY2026-Q2"})
    teams = {row.label: row for row in region.context["q"].teams}
    assert set(teams) == {"Europe", "North", "South"}
    assert shown(teams["North"]) == engine(Subject.for_team(history.north), q2, ctx)
    assert shown(teams["South"]) == engine(Subject.for_team(history.south), q2, ctx)
    people = {row.label: row for row in q.reps.object_list}
    for person in (history.alice, history.bob, history.carol):
        assert shown(people[person.full_name]) == engine(Subject.for_person(person), q2, ctx)
    assert people["Alice Rep"].open == 1
    assert shown(people["Alice Rep"])["dq_no_next_step_share"] == Decimal("1.0000")


def test_a_manager_sees_only_todays_team(history: History, maria: Person) -> None:
    response = client_for(maria).get(QUALITY)
    assert response.status_code == 200
    names = {row.label for row in response.context["q"].reps.object_list}
    assert names == {"Alice Rep", "Maria Manager"}  # Bob moved to South on 15 May
    html = response.content.decode()
    assert "Carol Rep" not in html and "Bob Rep" not in html


def test_each_figure_links_to_its_records(history: History, eve: Person) -> None:
    html = client_for(eve).get(QUALITY, {"subject": "team:North"}).content.decode()
    assert "/records/?kpi=dq_no_next_step_share&amp;period=this-quarter&amp;subject=person" in html
    assert "/records/?kpi=stalled_deals&amp;period=this-quarter&amp;subject=team%3ANorth" in html


def test_sorting_the_people_is_an_htmx_partial(history: History, eve: Person) -> None:
    response = client_for(eve).get(
        QUALITY, {"subject": "company", "sort": "name"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    names = [row.label for row in response.context["q"].reps.object_list]
    assert names == sorted(names)


def test_an_unknown_sort_is_a_friendly_400(history: History, eve: Person) -> None:
    response = client_for(eve).get(QUALITY, {"sort": "salary"})
    assert response.status_code == 400
    assert "salary" in response.content.decode()


def test_quality_queries_do_not_grow_with_people_or_deals(
    history: History, eve: Person, stages: dict[str, Stage]
) -> None:
    client = client_for(eve)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(QUALITY, {"subject": "company"}).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for i in range(5):
        rep = _person(f"Extra{i} Rep", "rep")
        membership_start(actor=None, person=rep, team=history.north, start_date=date(2026, 1, 1))
        deal_create(
            actor=None,
            name=f"Extra deal {i}",
            owner=rep,
            amount=Decimal("500"),
            stage=stages["Qualification"],
            created_at=berlin(2026, 6, 2, 9),
        )
    assert queries() == before


# ----------------------------------------------------------------------------- records


def test_records_are_exactly_what_the_value_counts(history: History, maria: Person) -> None:
    response = client_for(maria).get(
        RECORDS, {"kpi": "deals_won", "period": "FY2026-Q2", "subject": "team:North"}
    )
    assert response.status_code == 200
    page = response.context["r"]
    # Alpha (Alice) and Epsilon (Bob, still in North on 10 May); Zeta was won in South.
    assert sorted(row.title for row in page.rows) == ["Alpha", "Epsilon"]
    assert page.value.value == Decimal(2) and page.total == 2
    html = response.content.decode()
    for name in ("alpha", "epsilon"):
        assert reverse("dashboards:deal", args=[history.deals[name].pk]) in html
    assert "Zeta" not in html


def test_activity_records_link_to_their_deal(history: History, alice: Person) -> None:
    response = client_for(alice).get(RECORDS, {"kpi": "quotes", "period": "FY2026-Q2"})
    page = response.context["r"]
    assert page.model == "activity" and page.total == 2
    assert {row.deal_id for row in page.rows} == {
        history.deals["delta"].pk,
        history.deals["alpha"].pk,
    }


@pytest.mark.parametrize(
    ("who", "subject"),
    [
        ("alice", "team:North"),
        ("alice", "person:bob@acme.test"),
        ("maria", "team:South"),
        ("maria", "person:carol@acme.test"),
        ("sam", "company"),
    ],
)
def test_records_outside_the_viewers_scope_are_a_404(
    history: History, sam: Person, request: pytest.FixtureRequest, who: str, subject: str
) -> None:
    viewer: Person = request.getfixturevalue(who)
    response = client_for(viewer).get(
        RECORDS, {"kpi": "deals_won", "period": "FY2026-Q2", "subject": subject}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({}, "Kpi"),
        ({"kpi": "revenue"}, "revenue_won"),
        ({"kpi": "deals_won", "page": "-1"}, "Page"),
        ({"kpi": "deals_won", "period": "FY2026-Q9"}, "FY2026-Q9"),
    ],
)
def test_bad_records_requests_are_a_friendly_400(
    history: History, alice: Person, params: dict[str, str], text: str
) -> None:
    response = client_for(alice).get(RECORDS, params)
    assert response.status_code == 400
    assert text in response.content.decode()


def test_a_page_past_the_end_shows_the_last_page(history: History, eve: Person) -> None:
    response = client_for(eve).get(
        RECORDS, {"kpi": "calls", "period": "FY2026-Q2", "subject": "company", "page": "9"}
    )
    assert response.status_code == 200
    assert response.context["r"].page == 1 and response.context["r"].total == 10


def test_records_queries_do_not_grow_with_rows(history: History, alice: Person) -> None:
    client = client_for(alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(RECORDS, {"kpi": "calls", "period": "FY2026-Q2"})
            assert response.status_code == 200
        return len(captured.captured_queries)

    def call_on_delta(day: int) -> None:
        activity_log(
            actor=None,
            kind="call",
            owner=alice,
            deal=history.deals["delta"],
            occurred_at=berlin(2026, 6, day, 9),
        )

    call_on_delta(1)  # a row with a deal: the one "which deals may open" query now runs
    before = queries()
    for day in range(2, 17):
        call_on_delta(day)
    assert queries() == before


def test_stage_change_records_link_the_deal_by_name(history: History, alice: Person) -> None:
    response = client_for(alice).get(RECORDS, {"kpi": "stage_conversion", "period": "FY2026-Q2"})
    page = response.context["r"]
    assert page.model == "stage_change" and page.total > 0
    assert [c.kind for c in page.columns].count("deal_link") == 0  # the name is the link
    delta = reverse("dashboards:deal", args=[history.deals["delta"].pk])
    assert f'<a class="deal-name" href="{delta}' in response.content.decode()
