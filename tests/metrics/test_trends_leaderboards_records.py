"""Trends per fiscal grain, leaderboards, and the records behind a value."""

from __future__ import annotations

from decimal import Decimal

from attain.core.periods import Period, PeriodKind
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import (
    kpi_leaderboard,
    kpi_leaderboards,
    kpi_records,
    kpi_trend,
    kpi_value,
)
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
