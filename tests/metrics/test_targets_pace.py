"""Targets, pace from working days, projection, status, and the comparison periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from attain.core.periods import Period
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import kpi_value
from attain.metrics.services import target_set
from tests.metrics.conftest import History


def test_value_carries_target_pace_projection_status_and_comparisons(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    result = kpi_value(key="revenue_won", subject=Subject.company(), period=q2, ctx=ctx)

    assert result.as_dict() == {
        "kpi": "revenue_won",
        "subject": "company",
        "period": {"label": "FY2026-Q2", "start": "2026-04-01", "end": "2026-07-01"},
        "value": "15000.00",
        "unit": "money",
        "target": "20000.00",
        "pace": "20000.00",  # the quarter is over: all 65 working days elapsed
        "projected": "15000.00",
        "status": "behind",  # 0.75 of pace, under the 0.80 at-risk threshold
        "previous": "4000.00",  # FY2026-Q1: Beta
        "last_year": "0.00",  # FY2025-Q2
    }


def test_pace_follows_working_days_elapsed_mid_quarter(history: History, q2: Period) -> None:
    carol = Subject.for_person(history.carol)
    target_set(actor=None, kpi="calls", subject=carol, period=q2, value=Decimal("65"))
    mid = MetricsContext.load(today=date(2026, 5, 15))  # 33 of 65 working days elapsed

    result = kpi_value(key="calls", subject=carol, period=q2, ctx=mid)

    assert (result.value, result.target, result.pace) == (Decimal(1), Decimal(65), Decimal(33))
    assert result.projected == Decimal(2)  # 1 call × 65 / 33 = 1.97
    assert result.status == "behind"


def test_quota_attainment_is_measured_against_100_percent_of_the_revenue_target(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    result = kpi_value(key="quota_attainment", subject=Subject.company(), period=q2, ctx=ctx)

    assert (result.value, result.target, result.pace) == (
        Decimal("0.7500"),
        Decimal(1),
        Decimal("1.0000"),
    )
    assert result.status == "behind"


def test_without_a_target_there_is_no_pace_or_status(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    result = kpi_value(
        key="revenue_won", subject=Subject.for_person(history.alice), period=q2, ctx=ctx
    )
    assert (result.target, result.pace, result.status) == (None, None, None)
    assert result.value == Decimal("10000.00")


def test_monthly_targets_add_up_to_a_quarter_target(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    alice = Subject.for_person(history.alice)
    for month in (4, 5, 6):
        target_set(
            actor=None,
            kpi="calls",
            subject=alice,
            period=ctx.calendar.month(2026, month),
            value=Decimal("20"),
        )

    assert kpi_value(key="calls", subject=alice, period=q2, ctx=ctx).target == Decimal("60")


def test_lower_is_better_kpis_are_on_track_below_target(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    target_set(
        actor=None, kpi="sales_cycle_days", subject=Subject.company(), period=q2, value=Decimal(60)
    )
    result = kpi_value(key="sales_cycle_days", subject=Subject.company(), period=q2, ctx=ctx)
    assert (result.value, result.status) == (Decimal("55.0"), "on_track")
