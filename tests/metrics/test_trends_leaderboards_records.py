"""Trends per fiscal grain, leaderboards, and the records behind a value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from attain.core.periods import Period, PeriodKind
from attain.crm.models import Stage
from attain.crm.services import deal_change_stage, deal_create
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import (
    kpi_catalog,
    kpi_leaderboard,
    kpi_leaderboards,
    kpi_records,
    kpi_trend,
    kpi_value,
)
from attain.metrics.services import target_set
from attain.org.models import Person, Team
from attain.org.services import membership_start, person_create
from tests.conftest import berlin
from tests.metrics.conftest import History


def test_company_revenue_trend_by_quarter_and_by_month(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    year = ctx.calendar.year(2026)
    quarters = kpi_trend(
        key="revenue_won", subject=Subject.company(), period=year, grain=PeriodKind.QUARTER, ctx=ctx
    )
    months = kpi_trend(
        key="revenue_won", subject=Subject.company(), period=q2, grain=PeriodKind.MONTH, ctx=ctx
    )

    assert [(p.period.label, p.value) for p in quarters] == [
        ("FY2026-Q1", Decimal("4000.00")),
        ("FY2026-Q2", Decimal("15000.00")),
        ("FY2026-Q3", Decimal("0.00")),
        ("FY2026-Q4", Decimal("0.00")),
    ]
    assert [p.value for p in months] == [
        Decimal("10000.00"),
        Decimal("2000.00"),
        Decimal("3000.00"),
    ]


def test_a_ratio_trend_recomputes_each_bucket_from_its_parts(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    points = kpi_trend(
        key="win_rate", subject=Subject.company(), period=q2, grain=PeriodKind.MONTH, ctx=ctx
    )
    # April: Alpha won; May: Epsilon won, Gamma lost; June: Zeta won.
    assert [p.value for p in points] == [Decimal("1.0000"), Decimal("0.5000"), Decimal("1.0000")]


def test_trend_of_a_record_based_kpi_matches_the_value_of_each_period(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    points = kpi_trend(
        key="new_customers", subject=Subject.company(), period=q2, grain=PeriodKind.MONTH, ctx=ctx
    )
    assert [p.value for p in points] == [Decimal(1), Decimal(1), Decimal(1)]


def test_leaderboard_ranks_reps_best_first_and_puts_no_data_last(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    revenue = kpi_leaderboard(key="revenue_won", period=q2, ctx=ctx)
    win_rate = kpi_leaderboard(key="win_rate", period=q2, ctx=ctx)

    assert [(r.rank, r.name, r.value) for r in revenue] == [
        (1, "Alice Rep", Decimal("10000.00")),
        (2, "Bob Rep", Decimal("5000.00")),
        (3, "Carol Rep", Decimal("0.00")),
    ]
    assert [(r.rank, r.name, r.value) for r in win_rate] == [
        (1, "Bob Rep", Decimal("1.0000")),
        (2, "Alice Rep", Decimal("0.5000")),
        (None, "Carol Rep", None),
    ]


def test_a_team_leaderboard_counts_each_rep_only_while_in_the_team(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    rows = kpi_leaderboard(key="revenue_won", period=q2, team=history.north, ctx=ctx)
    assert [(r.name, r.value) for r in rows] == [
        ("Alice Rep", Decimal("10000.00")),
        ("Bob Rep", Decimal("2000.00")),
    ]


def test_lower_is_better_leaderboards_rank_the_smallest_first(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    rows = kpi_leaderboard(key="sales_cycle_days", period=q2, ctx=ctx, limit=2)
    assert [(r.name, r.value) for r in rows] == [
        ("Bob Rep", Decimal("48.0")),  # (35 + 61) / 2
        ("Alice Rep", Decimal("69.0")),
    ]


def test_records_behind_a_value_are_exactly_the_records_it_counts(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    north = Subject.for_team(history.north)
    page = kpi_records(key="revenue_won", subject=north, period=q2, ctx=ctx)
    total = sum((row["amount_base"] for row in page.rows), start=Decimal(0))

    assert {row["name"] for row in page.rows} == {"Alpha", "Epsilon"}
    assert total == kpi_value(key="revenue_won", subject=north, period=q2, ctx=ctx).value
    assert page.total == 2


def test_records_are_paginated(history: History, ctx: MetricsContext, q2: Period) -> None:
    first = kpi_records(key="calls", subject=Subject.company(), period=q2, ctx=ctx, page_size=4)
    third = kpi_records(
        key="calls", subject=Subject.company(), period=q2, ctx=ctx, page=3, page_size=4
    )
    assert (first.total, first.pages, len(first.rows), len(third.rows)) == (10, 3, 4, 2)


def test_drill_down_of_snapshot_kpis_lists_the_flagged_deals(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    stalled = kpi_records(key="stalled_deals", subject=Subject.company(), period=q2, ctx=ctx)
    past = kpi_records(key="deals_past_close_date", subject=Subject.company(), period=q2, ctx=ctx)
    assert [row["name"] for row in stalled.rows] == ["Delta"]
    assert {row["name"] for row in past.rows} == {"Delta", "Eta"}


def test_several_leaderboards_at_once_equal_one_at_a_time(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    keys = ["revenue_won", "win_rate", "calls", "sales_cycle_days_median"]
    together = kpi_leaderboards(keys=keys, period=q2, ctx=ctx)
    assert list(together) == keys
    for key in keys:
        assert together[key] == kpi_leaderboard(
            key=key, period=q2, ctx=MetricsContext.load(today=ctx.today)
        )
    in_team = kpi_leaderboards(keys=keys, period=q2, team=history.north, ctx=ctx)
    assert in_team["revenue_won"] == kpi_leaderboard(
        key="revenue_won", period=q2, team=history.north, ctx=MetricsContext.load(today=ctx.today)
    )


def _rep(name: str, team: Team, *, fte: str = "1.00") -> Person:
    person = person_create(
        actor=None,
        full_name=name,
        email=f"{name.split()[0].lower()}@acme.test",
        hire_date=date(2024, 1, 1),
        fte=Decimal(fte),
    )
    membership_start(actor=None, person=person, team=team, start_date=date(2024, 1, 1))
    return person


def test_every_rollup_board_gives_each_rep_the_value_kpi_value_gives(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    """Boards evaluate a formula once per distinct set of facts, on rows read in one statement;
    each rep's figure must still be the one computed for that rep alone (quota attainment reads
    the rep's own target, so it takes the per-rep path)."""
    _rep("Erin Rep", history.north)  # no rollup rows at all
    target_set(
        actor=None,
        kpi="revenue_won",
        subject=Subject.for_person(history.alice),
        period=q2,
        value=Decimal("20000"),
    )
    keys = [kpi.key for kpi in kpi_catalog() if kpi.from_rollups_only]
    boards = kpi_leaderboards(keys=keys, period=q2, ctx=ctx)
    people = {p.pk: p for p in Person.objects.all()}
    for key in keys:
        for row in boards[key]:
            alone = kpi_value(
                key=key,
                subject=Subject.for_person(people[row.person_id]),
                period=q2,
                ctx=MetricsContext.load(today=ctx.today),
                comparisons=False,
            )
            assert row.value == alone.value, (key, row.name)
    assert [(r.rank, r.name, r.value) for r in boards["quota_attainment"]] == [
        (1, "Alice Rep", Decimal("0.5000")),
        (None, "Bob Rep", None),
        (None, "Carol Rep", None),
        (None, "Erin Rep", None),
    ]


def test_equal_values_share_a_rank_in_name_order_and_a_rep_without_rows_counts_zero(
    history: History, ctx: MetricsContext, q2: Period, stages: dict[str, Stage]
) -> None:
    dan = _rep("Dan Rep", history.south, fte="0.50")
    _rep("Erin Rep", history.north)  # no rollup rows at all
    deal = deal_create(
        actor=None,
        name="Dan's",
        owner=dan,
        amount=Decimal("10000"),
        stage=stages["Qualification"],
        created_at=berlin(2026, 4, 1, 9),
    )
    deal_change_stage(actor=None, deal=deal, stage=stages["Won"], changed_at=berlin(2026, 6, 2))

    revenue = kpi_leaderboard(key="revenue_won", period=q2, ctx=ctx)
    win_rate = kpi_leaderboard(key="win_rate", period=q2, ctx=ctx)

    assert [(r.rank, r.name, r.value, r.fte) for r in revenue] == [
        (1, "Alice Rep", Decimal("10000.00"), Decimal("1.00")),
        (1, "Dan Rep", Decimal("10000.00"), Decimal("0.50")),
        (3, "Bob Rep", Decimal("5000.00"), Decimal("1.00")),
        (4, "Carol Rep", Decimal("0.00"), Decimal("1.00")),
        (4, "Erin Rep", Decimal("0.00"), Decimal("1.00")),
    ]
    assert [(r.rank, r.name, r.value) for r in win_rate] == [
        (1, "Bob Rep", Decimal("1.0000")),
        (1, "Dan Rep", Decimal("1.0000")),
        (3, "Alice Rep", Decimal("0.5000")),
        (None, "Carol Rep", None),
        (None, "Erin Rep", None),
    ]


def test_a_team_ratio_board_counts_only_the_days_each_rep_spent_in_the_team(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    # Bob won Epsilon in May while in North and Zeta in June after moving to South.
    north = kpi_leaderboard(key="win_rate", period=q2, team=history.north, ctx=ctx)
    south = kpi_leaderboard(key="win_rate", period=q2, team=history.south, ctx=ctx)
    assert [(r.rank, r.name, r.value) for r in north] == [
        (1, "Bob Rep", Decimal("1.0000")),
        (2, "Alice Rep", Decimal("0.5000")),
    ]
    assert [(r.rank, r.name, r.value) for r in south] == [
        (1, "Bob Rep", Decimal("1.0000")),
        (None, "Carol Rep", None),
    ]


def test_a_quota_board_reads_every_rep_s_target_in_one_statement(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    """Quota attainment takes the per-rep path (it reads a target); the targets of all reps
    are one read, so the statements do not grow with the number of reps."""

    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            kpi_leaderboards(
                keys=["quota_attainment"], period=q2, ctx=MetricsContext.load(today=ctx.today)
            )
        return len(captured.captured_queries)

    for person in (history.alice, history.bob):
        target_set(
            actor=None,
            kpi="revenue_won",
            subject=Subject.for_person(person),
            period=q2,
            value=Decimal("10000"),
        )
    few = statements()
    for name in ("Erin Rep", "Finn Rep", "Gina Rep"):
        rep = _rep(name, history.north)
        target_set(
            actor=None,
            kpi="revenue_won",
            subject=Subject.for_person(rep),
            period=q2,
            value=Decimal("5000"),
        )
    assert statements() == few
    board = kpi_leaderboards(keys=["quota_attainment"], period=q2, ctx=ctx)["quota_attainment"]
    assert [(r.name, r.value) for r in board[:2]] == [
        ("Alice Rep", Decimal("1.0000")),  # 10,000 won of 10,000
        ("Bob Rep", Decimal("0.5000")),  # Epsilon 2,000 + Zeta 3,000 of 10,000
    ]
