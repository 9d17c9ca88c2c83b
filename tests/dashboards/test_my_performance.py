# ruff: noqa: F811  (fixtures imported from review_fixtures are redefined as parameters)
"""My performance on the hand-checked history (tests/metrics/conftest.py), today 10 Jul 2026.

Alice in FY2026-Q2: Alpha won (10,000, 69 days), Gamma lost, Delta open (8,000, Proposal, no next
step, close date 20 Jun passed, stalled); 2 leads, 3 calls, 1 meeting, 2 quotes.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attain.crm.models import Stage
from attain.crm.services import activity_log, deal_create
from tests.conftest import berlin
from tests.dashboards.review_fixtures import History, client_for, ctx, history, pinned, q2  # noqa: F401
from tests.web import offsite_urls

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]
Q2 = {"period": "FY2026-Q2"}


def test_alices_quarter_in_exact_figures(history: History) -> None:
    response = client_for(history.alice).get(reverse("dashboards:me"), Q2)
    assert response.status_code == 200
    page = response.context["p"]
    tiles = {t.kpi.key: t for t in page.tiles}
    assert tiles["revenue_won"].text == "€10,000.00"
    assert tiles["deals_won"].text == "1"
    assert tiles["win_rate"].text == "50.0 %"
    assert tiles["avg_deal_size"].text == "€10,000.00"
    assert tiles["sales_cycle_days"].text == "69.0 days"
    assert tiles["revenue_won"].delta is not None  # Q1 had Beta (4,000): up, good news
    assert (tiles["revenue_won"].delta.arrow, tiles["revenue_won"].delta.good) == ("▲", True)
    # Six quarters of trend ending with Q2, the last point the tile's own value.
    spark = tiles["revenue_won"].figure["data"][0]
    assert spark["x"][-1] == "FY2026-Q2" and len(spark["x"]) == 6
    assert spark["y"][-2:] == ["4000.00", "10000.00"]
    assert not page.attainment.has_target  # only the company has a target


def test_pipeline_by_stage_is_the_open_pipeline_at_the_period_end(history: History) -> None:
    page = client_for(history.alice).get(reverse("dashboards:me"), Q2).context["p"]
    assert [(s.stage, s.deals, s.amount) for s in page.stages] == [
        ("Proposal", 1, Decimal("8000.00"))
    ]
    assert page.pipeline_total == "€8,000.00"


def test_a_past_pipeline_puts_each_deal_in_the_stage_it_was_in_then(history: History) -> None:
    """At the end of Q1 Alpha (won on 20 Apr) was open in Proposal."""
    page = client_for(history.alice).get(reverse("dashboards:me"), {"period": "FY2026-Q1"})
    assert [(s.stage, s.deals, s.amount) for s in page.context["p"].stages] == [
        ("Proposal", 1, Decimal("10000.00"))
    ]


def test_needs_attention_lists_delta_for_each_flag(history: History) -> None:
    page = client_for(history.alice).get(reverse("dashboards:me"), Q2).context["p"]
    assert {a.key: (a.total, [r["name"] for r in a.rows]) for a in page.attention} == {
        "stalled_deals": (1, ["Delta"]),
        "deals_missing_next_step": (1, ["Delta"]),
        "deals_past_close_date": (1, ["Delta"]),
    }


def test_funnel_counts_and_step_conversion(history: History) -> None:
    page = client_for(history.alice).get(reverse("dashboards:me"), Q2).context["p"]
    assert [(s.label, s.count, s.rate_text) for s in page.funnel_steps] == [
        ("Leads", 2, ""),
        ("Calls", 3, "150.0 %"),
        ("Meetings", 1, "33.3 %"),
        ("Quotes", 2, "200.0 %"),
        ("Won", 1, "50.0 %"),
    ]


def test_every_number_links_to_its_records(history: History) -> None:
    html = client_for(history.alice).get(reverse("dashboards:me"), Q2).content.decode()
    records = reverse("dashboards:records")
    for key in ("revenue_won", "win_rate", "pipeline_value", "stalled_deals", "funnel_conversion"):
        assert (
            f"{records}?kpi={key}&amp;period=FY2026-Q2&amp;subject=person%3Aalice%40acme.test"
            in html
        )
    assert offsite_urls(html) == []


def test_week_goals_come_from_the_monthly_targets_pro_rated(history: History) -> None:
    """A July calls target of 115 (23 working days): the week of 6–10 Jul holds 5 → goal 25."""
    from attain.metrics.engine.context import MetricsContext
    from attain.metrics.engine.subjects import Subject
    from attain.metrics.services import target_set

    ctx = MetricsContext.load()
    july = ctx.calendar.month(2026, 7)
    target_set(
        actor=None,
        kpi="calls",
        subject=Subject.for_person(history.alice),
        period=july,
        value=Decimal("115"),
    )
    activity_log(actor=None, kind="call", owner=history.alice, occurred_at=berlin(2026, 7, 7, 10))
    page = client_for(history.alice).get(reverse("dashboards:me"), Q2).context["p"]
    calls = next(g for g in page.week_goals if g.kv.kpi.key == "calls")
    assert (calls.kv.value, calls.goal) == (Decimal(1), Decimal(25))
    # By Friday the whole week has elapsed: pace is the goal, 1 of 25 is behind.
    assert (calls.pace, calls.status) == (Decimal("25.0"), "behind")
    emails = next(g for g in page.week_goals if g.kv.kpi.key == "emails")
    assert emails.goal is None and emails.status is None


def test_a_manager_opens_a_reps_page_and_a_team_pick_goes_to_the_team_page(
    history: History, maria: object
) -> None:
    client = client_for(history.north.manager)  # type: ignore[arg-type]
    response = client.get(reverse("dashboards:me"), {**Q2, "subject": "person:alice@acme.test"})
    assert response.status_code == 200
    assert "Performance of Alice Rep" in response.content.decode()
    response = client.get(reverse("dashboards:me"), {**Q2, "subject": "team:North"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboards:team"))


def _count(client: object, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200  # type: ignore[attr-defined]
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_deals_and_activities(
    history: History, stages: dict[str, Stage]
) -> None:
    client = client_for(history.alice)
    before = _count(client, reverse("dashboards:me"), Q2)
    for i in range(12):
        deal = deal_create(
            actor=None,
            name=f"Extra {i}",
            owner=history.alice,
            amount=Decimal("100"),
            stage=stages["Qualification" if i % 2 else "Proposal"],
            created_at=berlin(2026, 4, 2 + i, 9),
            expected_close_date=berlin(2026, 5, 1).date() + timedelta(days=i),
        )
        activity_log(
            actor=None,
            kind="call",
            owner=history.alice,
            deal=deal,
            occurred_at=berlin(2026, 5, 2 + i, 9),
        )
    after = _count(client, reverse("dashboards:me"), Q2)
    assert after <= before
