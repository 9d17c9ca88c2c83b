# ruff: noqa: F811  (fixtures imported from review_fixtures are redefined as parameters)
"""The Team page on the hand-checked history, today 10 Jul 2026.

North in FY2026-Q2: Alice (Alpha won 10,000; Gamma lost) and Bob until 15 May (Epsilon won
2,000 counted in North; Zeta, won in June, counts in South).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attain.crm.services import activity_log
from attain.dashboards.comparison import RepTable, cell_status, elapsed_share, targets_for_people
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import kpi_get, kpi_value
from attain.metrics.services import target_set
from attain.org.models import Role
from attain.org.services import membership_start, person_create
from tests.conftest import berlin
from tests.dashboards.review_fixtures import TODAY, History, client_for, ctx, history, pinned, q2  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]
NORTH_Q2 = {"period": "FY2026-Q2", "subject": "team:North"}


def _table(history: History, **params: str) -> RepTable:
    response = client_for(history.north.manager).get(  # type: ignore[arg-type]
        reverse("dashboards:team"), {**NORTH_Q2, **params}
    )
    assert response.status_code == 200, response.content.decode()[:500]
    table: RepTable = response.context["table"]
    return table


def test_the_rep_table_counts_each_rep_in_north_only_while_there(history: History) -> None:
    table = _table(history, col="revenue_won,deals_won,win_rate")
    rows = {r.name: [c.text for c in r.cells] for r in table.rows}
    assert rows == {
        "Alice Rep": ["€10,000.00", "1", "50.0 %"],
        "Bob Rep": ["€2,000.00", "1", "100.0 %"],
    }


def test_sorting_by_a_column_and_by_name(history: History) -> None:
    by_revenue = _table(history, col="revenue_won", sort="revenue_won", dir="asc")
    assert [r.name for r in by_revenue.rows] == ["Bob Rep", "Alice Rep"]
    by_name = _table(history, col="revenue_won", sort="name", dir="desc")
    assert [r.name for r in by_name.rows] == ["Bob Rep", "Alice Rep"]
    header = by_revenue.columns[1]
    assert header.sorted_dir == "asc" and "dir=desc" in header.partial_url


def test_any_catalog_kpi_can_be_a_column_and_an_unknown_one_is_a_400(history: History) -> None:
    table = _table(history, col="follow_up_rate")
    assert [c.key for c in table.columns] == ["name", "follow_up_rate"]
    response = client_for(history.north.manager).get(  # type: ignore[arg-type]
        reverse("dashboards:team"), {**NORTH_Q2, "col": "revenue_wonn"}
    )
    assert response.status_code == 400
    assert "revenue_won" in response.content.decode()  # the closest key is suggested


def test_the_htmx_partial_is_the_table_alone(history: History) -> None:
    response = client_for(history.north.manager).get(  # type: ignore[arg-type]
        reverse("dashboards:team_reps"), {**NORTH_Q2, "sort": "name"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="rep-table"') and "<html" not in html


def test_team_tiles_and_funnel_by_rep(history: History) -> None:
    response = client_for(history.north.manager).get(reverse("dashboards:team"), NORTH_Q2)  # type: ignore[arg-type]
    page = response.context["p"]
    tiles = {t.kpi.key: t.text for t in page.tiles}
    assert tiles["revenue_won"] == "€12,000.00" and tiles["deals_won"] == "2"
    figure = page.funnel.figure
    assert figure["data"][0]["y"] == ["Alice Rep", "Bob Rep", "Team"]
    # Alice: 2 leads → 3 calls → 1 meeting → 2 quotes → 1 won; Bob: 2 calls, nothing else.
    assert figure["data"][0]["text"][0] == ["150.0 %", "33.3 %", "200.0 %", "50.0 %"]
    assert figure["data"][0]["text"][1] == ["—", "0.0 %", "—", "—"]
    assert ("Bob Rep", "Calls → Meetings") in page.funnel.weakest


def test_cell_status_agrees_with_the_engine_for_every_rep(history: History) -> None:
    """Bulk targets and the status rule give what kpi_value gives, rep by rep."""
    ctx = MetricsContext.load(today=TODAY)
    q2 = ctx.calendar.quarter(2026, 2)
    months = ctx.calendar.months(2026)[3:6]
    for person, amounts in (
        (history.alice, ("3000", "3000", "4000")),
        (history.bob, ("1000", "1000", "500")),
    ):
        for month, amount in zip(months, amounts, strict=True):
            target_set(
                actor=None,
                kpi="revenue_won",
                subject=Subject.for_person(person),
                period=month,
                value=Decimal(amount),
            )
    ids = [history.alice.pk, history.bob.pk, history.carol.pk]
    for period, today in ((q2, TODAY), (q2, date(2026, 5, 20)), (months[1], date(2026, 5, 20))):
        ctx = MetricsContext.load(today=today)
        targets = targets_for_people(key="revenue_won", person_ids=ids, period=period)
        share = elapsed_share(period, ctx)
        for person in (history.alice, history.bob, history.carol):
            for key in ("revenue_won", "quota_attainment"):
                engine = kpi_value(
                    key=key, subject=Subject.for_person(person), period=period, ctx=ctx
                )
                target = targets.get(person.pk)
                if key == "quota_attainment" and target is not None:
                    target = Decimal(1)
                mine = cell_status(kpi_get(key), engine.value, target, share, ctx)
                assert mine == engine.status, (person, key, period.label, today)


def test_query_count_does_not_grow_with_reps(history: History) -> None:
    client = client_for(history.north.manager)  # type: ignore[arg-type]

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dashboards:team"), NORTH_Q2).status_code == 200
        return len(captured.captured_queries)

    before = count()
    for i in range(6):
        rep = person_create(
            actor=None,
            full_name=f"New Rep{i}",
            email=f"new{i}@acme.test",
            hire_date=date(2026, 1, 1),
            role=Role.REP,
        )
        membership_start(actor=None, person=rep, team=history.north, start_date=date(2026, 1, 1))
        activity_log(actor=None, kind="call", owner=rep, occurred_at=berlin(2026, 5, 4 + i, 10))
    assert count() <= before
    assert len(client.get(reverse("dashboards:team"), NORTH_Q2).context["table"].rows) == 8


def test_a_rep_cannot_open_the_team_page(history: History) -> None:
    assert client_for(history.alice).get(reverse("dashboards:team"), NORTH_Q2).status_code == 404


def test_the_partial_puts_the_whole_pages_address_in_the_bar(history: History) -> None:
    response = client_for(history.north.manager).get(  # type: ignore[arg-type]
        reverse("dashboards:team_reps"),
        {**NORTH_Q2, "col": "calls,revenue_won", "sort": "calls", "dir": "asc"},
        HTTP_HX_REQUEST="true",
    )
    pushed = response["HX-Push-Url"]
    assert pushed.startswith(reverse("dashboards:team") + "?")
    assert "col=calls%2Crevenue_won" in pushed and "sort=calls" in pushed and "dir=asc" in pushed
    page = client_for(history.north.manager).get(pushed)  # type: ignore[arg-type]
    assert [c.key for c in page.context["table"].columns] == ["name", "calls", "revenue_won"]


def test_a_long_table_shows_the_first_rows_and_offers_all(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("attain.dashboards.comparison.ROW_LIMIT", 1)
    monkeypatch.setattr("attain.dashboards.comparison.FUNNEL_REPS", 1)
    response = client_for(history.north.manager).get(reverse("dashboards:team"), NORTH_Q2)  # type: ignore[arg-type]
    table = response.context["table"]
    assert ([r.name for r in table.rows], table.total) == (["Alice Rep"], 2)
    assert "Show all 2 reps" in response.content.decode()
    everyone = client_for(history.north.manager).get(table.all_url)  # type: ignore[arg-type]
    assert [r.name for r in everyone.context["table"].rows] == ["Alice Rep", "Bob Rep"]
    # The heat map keeps the reps with the most leads and calls: Alice (2 + 3), not Bob (0 + 2).
    funnel = response.context["p"].funnel
    assert funnel.figure["data"][0]["y"] == ["Alice Rep", "Team"] and funnel.capped
