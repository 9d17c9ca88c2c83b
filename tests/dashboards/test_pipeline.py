# ruff: noqa: F811  (fixtures imported from review_fixtures are redefined as parameters)
"""Pipeline review and the deal page: scope, health flags that agree with the KPIs, filters,
pagination, htmx partials, friendly 400s and query counts that do not grow with deals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attain.core.periods import Period
from attain.crm.models import Deal, Stage
from attain.crm.services import deal_create
from attain.dashboards.pipeline import PipelineFilters, pipeline_review
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import kpi_values
from attain.org.models import Person
from tests.conftest import berlin
from tests.dashboards.review_fixtures import (  # noqa: F401
    History,
    client_for,
    ctx,
    history,
    pinned,
    q2,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned")]

PIPELINE = reverse("dashboards:pipeline")
HEALTH_KPIS = ["stalled_deals", "deals_missing_next_step", "deals_past_close_date"]


def deal_names(response: object) -> list[str]:
    return [row.deal.name for row in response.context["review"].rows]  # type: ignore[attr-defined]


def test_a_manager_reviews_their_teams_open_deals_only(history: History, maria: Person) -> None:
    response = client_for(maria).get(PIPELINE, {"subject": "team:North"})
    assert response.status_code == 200
    assert deal_names(response) == ["Delta"]
    html = response.content.decode()
    assert "Delta" in html and "Eta" not in html and "Carol Rep" not in html


def test_the_headline_counts_are_the_health_kpis(
    history: History, eve: Person, ctx: MetricsContext, q2: Period
) -> None:
    for spec, subject in (
        ("company", Subject.company()),
        ("team:North", Subject.for_team(history.north)),
        ("team:South", Subject.for_team(history.south)),
        (f"person:{history.alice.email}", Subject.for_person(history.alice)),
    ):
        review = client_for(eve).get(PIPELINE, {"subject": spec}).context["review"]
        values = {
            v.kpi.key: v.value
            for v in kpi_values(
                keys=HEALTH_KPIS, subject=subject, period=q2, ctx=ctx, comparisons=False
            )
        }
        assert (review.stalled, review.no_next_step, review.past_close) == (
            values["stalled_deals"],
            values["deals_missing_next_step"],
            values["deals_past_close_date"],
        ), spec


def test_each_row_carries_its_flags_with_the_reason(history: History, eve: Person) -> None:
    response = client_for(eve).get(PIPELINE, {"subject": "company"})
    rows = {row.deal.name: row for row in response.context["review"].rows}
    delta = {flag.key: flag for flag in rows["Delta"].flags}
    assert set(delta) == {"stalled", "past_close", "no_next_step"}
    # Last touch 12 May (a follow-up), 59 days before 10 Jul; Proposal's limit is 30 days.
    assert delta["stalled"].reason == (
        "No activity and no stage change for 59 days (limit in Proposal: 30)"
    )
    assert delta["past_close"].reason == "Expected to close on 20 Jun 2026, 20 days ago"
    eta = {flag.key for flag in rows["Eta"].flags}
    assert eta == {"past_close"}  # 39 days in Qualification, whose limit is 45
    assert rows["Delta"].age_days == (date(2026, 7, 10) - date(2026, 4, 15)).days
    assert rows["Delta"].days_since_activity == 59
    assert rows["Eta"].days_since_activity is None
    html = response.content.decode()
    assert "59 days quiet, limit 30" in html and "20 days overdue" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stalled": "1"}, ["Delta"]),
        ({"no_next_step": "1"}, ["Delta"]),
        ({"past_close": "1"}, ["Delta", "Eta"]),
        ({"past_close": "1", "stalled": "1"}, ["Delta"]),
        ({"closing": "1", "period": "FY2026-M06"}, ["Delta"]),
        ({"closing": "1", "period": "FY2026-M05"}, ["Eta"]),
    ],
)
def test_filters_narrow_the_list(
    history: History, eve: Person, params: dict[str, str], expected: list[str]
) -> None:
    response = client_for(eve).get(PIPELINE, {"subject": "company", **params})
    assert response.status_code == 200
    assert sorted(deal_names(response)) == expected


def test_owner_and_stage_filters(history: History, eve: Person, stages: dict[str, Stage]) -> None:
    client = client_for(eve)
    by_owner = client.get(PIPELINE, {"subject": "company", "owner": str(history.carol.pk)})
    assert deal_names(by_owner) == ["Eta"]
    by_stage = client.get(PIPELINE, {"subject": "company", "stage": str(stages["Proposal"].pk)})
    assert deal_names(by_stage) == ["Delta"]


def test_an_htmx_request_gets_only_the_results(history: History, eve: Person) -> None:
    response = client_for(eve).get(PIPELINE, {"stalled": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "Delta" in html and 'id="deals-title"' in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "price"}, "sort"),
        ({"stalled": "maybe"}, "stalled"),
        ({"owner": "bob"}, "owner"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
    ],
)
def test_bad_filters_are_a_friendly_400(
    history: History, eve: Person, params: dict[str, str], field: str
) -> None:
    response = client_for(eve).get(PIPELINE, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert field.capitalize() in html and "Traceback" not in html


def _open_deals(owner: Person, stage: Stage, count: int) -> None:
    for i in range(count):
        deal_create(
            actor=None,
            name=f"Extra {owner.full_name} {i}",
            owner=owner,
            amount=Decimal("100"),
            stage=stage,
            created_at=berlin(2026, 6, 1 + i % 20, 9),
            expected_close_date=date(2026, 7, 1) if i % 2 else None,
            next_step="" if i % 3 else "Call",
        )


def test_pages_are_sorted_stably_and_paginated(
    history: History, ctx: MetricsContext, q2: Period, stages: dict[str, Stage]
) -> None:
    _open_deals(history.alice, stages["Qualification"], 7)
    seen: list[int] = []
    for page in (1, 2, 3):
        review = pipeline_review(
            subject=Subject.company(),
            period=q2,
            owner_ids=None,
            filters=PipelineFilters(sort="amount"),
            page=page,
            ctx=ctx,
            page_size=4,
        )
        seen += [row.deal.pk for row in review.rows]
    assert len(seen) == len(set(seen)) == 9
    amounts = [Deal.objects.get(pk=pk).amount_base for pk in seen]
    assert amounts == sorted(amounts, reverse=True)


def test_query_count_does_not_grow_with_deals(
    history: History, maria: Person, stages: dict[str, Stage]
) -> None:
    client = client_for(maria)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PIPELINE, {"subject": "team:North"}).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    _open_deals(history.alice, stages["Proposal"], 12)
    assert queries() == before
    assert before <= 30


# ----------------------------------------------------------------------------- the deal page


def test_the_deal_page_shows_stage_history_and_activities(history: History, maria: Person) -> None:
    delta = history.deals["delta"]
    response = client_for(maria).get(reverse("dashboards:deal", args=[delta.pk]))
    assert response.status_code == 200
    page = response.context["d"]
    assert [stay.change.to_stage.name for stay in page.history] == ["Qualification", "Proposal"]
    assert [stay.days for stay in page.history] == [16, 70]  # 15 Apr → 1 May → 10 Jul
    assert [a.kind for a in page.activities] == ["follow_up", "quote", "meeting"]
    assert {flag.key for flag in page.flags} == {"stalled", "past_close", "no_next_step"}
    html = response.content.decode()
    assert "Stage history" in html and "Proposal" in html and "No activity and no stage" in html


@pytest.mark.parametrize("who", ["carol", "sam", "bob"])
def test_a_deal_outside_the_viewers_scope_is_a_404(
    history: History, sam: Person, request: pytest.FixtureRequest, who: str
) -> None:
    viewer: Person = request.getfixturevalue(who)
    delta = history.deals["delta"]
    hidden = client_for(viewer).get(reverse("dashboards:deal", args=[delta.pk]))
    missing = client_for(viewer).get(reverse("dashboards:deal", args=[999_999]))
    assert hidden.status_code == missing.status_code == 404
    assert "Delta" not in hidden.content.decode()


def test_the_deal_page_query_count_does_not_grow_with_activities(
    history: History, alice: Person
) -> None:
    from attain.crm.services import activity_log

    delta = history.deals["delta"]
    client = client_for(alice)
    url = reverse("dashboards:deal", args=[delta.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for day in range(1, 11):
        activity_log(
            actor=None, kind="call", owner=alice, deal=delta, occurred_at=berlin(2026, 6, day, 9)
        )
    assert queries() == before


def test_links_and_pickers_say_which_filters_are_off(history: History, eve: Person) -> None:
    """The pickers copy the address bar into hidden fields; an "off" must be in it too."""
    response = client_for(eve).get(PIPELINE, {"subject": "company", "stalled": "1"})
    keep = dict(response.context["picker_keep"])
    assert keep == {
        "stalled": "1",
        "no_next_step": "0",
        "past_close": "0",
        "closing": "0",
        "sort": "stage",
    }
    html = response.content.decode()
    assert "stalled=0&amp;no_next_step=0&amp;past_close=0" in html  # the "all open deals" tile


def test_the_filter_forms_hidden_off_value_gives_way_to_a_ticked_box(
    history: History, eve: Person
) -> None:
    on = client_for(eve).get(f"{PIPELINE}?subject=company&stalled=0&stalled=1")
    off = client_for(eve).get(f"{PIPELINE}?subject=company&stalled=0")
    assert deal_names(on) == ["Delta"]
    assert sorted(deal_names(off)) == ["Delta", "Eta"]


def test_a_rep_who_left_the_team_shows_no_current_deals_to_the_old_manager(
    history: History, maria: Person, stages: dict[str, Stage]
) -> None:
    """Bob moved to South on 15 May: Maria sees his Q2 figures, not his deals of today."""
    _open_deals(history.bob, stages["Proposal"], 2)
    response = client_for(maria).get(
        PIPELINE, {"subject": "person:bob@acme.test", "period": "FY2026-Q2"}
    )
    assert response.status_code == 200
    review = response.context["review"]
    assert review.rows == [] and review.open_count == 0 and review.no_next_step == 0
    assert "Extra Bob Rep" not in response.content.decode()
