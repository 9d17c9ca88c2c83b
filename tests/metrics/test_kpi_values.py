"""Every KPI against values worked out by hand from the history in conftest.py (FY2026-Q2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from attain.core.periods import Period
from attain.metrics.definitions.catalog import CATALOG
from attain.metrics.engine import measures
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import kpi_value, kpi_values
from tests.metrics.conftest import History

D = Decimal


def value(key: str, subject: Subject, period: Period, ctx: MetricsContext) -> Decimal | None:
    return kpi_value(key=key, subject=subject, period=period, ctx=ctx, comparisons=False).value


COMPANY_Q2 = {
    "revenue_won": D("15000.00"),  # Alpha 10,000 + Epsilon 2,000 + Zeta 3,000 (Beta is Q1)
    "deals_won": D("3"),
    "deals_lost": D("1"),  # Gamma
    "win_rate": D("0.7500"),  # 3 / (3 + 1)
    "avg_deal_size": D("5000.00"),  # 15,000 / 3
    "sales_cycle_days": D("55.0"),  # (69 + 35 + 61) / 3
    "sales_cycle_days_median": D("61.0"),
    "quota_attainment": D("0.7500"),  # 15,000 / 20,000
    "new_customers": D("3"),  # Acme, Echo, Foxtrot (Beta GmbH first won in Q1)
    "value_per_customer": D("5000.00"),  # 15,000 / 3 accounts
    "customer_lifetime_value": D("4750.00"),  # 19,000 ever won / 4 accounts
    "customer_lifetime_value_predicted": D("15000.00"),  # 5,000 × (4 deals / 4 accounts) × 3
    "gross_margin": D("4000.00"),  # Alpha: 10,000 × (1,000 − 600) / 1,000
    "gross_margin_rate": D("0.4000"),  # 4,000 / 10,000 of costed revenue
    "pipeline_value": D("9000.00"),  # Delta 8,000 + Eta 1,000 open at the quarter's end
    "weighted_pipeline": D("4100.00"),  # 8,000 × 50 % + 1,000 × 10 %
    "pipeline_created": D("20000.00"),  # Gamma, Delta, Epsilon, Zeta, Eta
    "deals_created": D("5"),
    "pipeline_coverage": D("1.8000"),  # 9,000 due in Q2 / (20,000 − 15,000)
    "stage_conversion": D("0.5000"),  # (3 past Qualification + 0 past Proposal) / (5 + 1)
    "deal_age_days": D("53.5"),  # Delta 77 days, Eta 30 days on 1 Jul
    "stalled_deals": D("1"),  # Delta: last touch 12 May, Proposal stalls after 30 days
    "deals_missing_next_step": D("1"),  # Delta
    "deals_past_close_date": D("2"),  # Delta (20 Jun), Eta (30 May) on 10 Jul
    "sales_velocity": D("136.36"),  # 2 open × 0.75 × 5,000 / 55
    "leads": D("2"),
    "calls": D("10"),  # Alice 3, Bob 6, Carol 1 (Alice's 31 Mar 23:59 call is Q1)
    "emails": D("2"),
    "meetings": D("1"),
    "quotes": D("2"),
    "follow_ups": D("1"),
    "activities_per_day": D("0.25"),  # 16 activities / 65 working days
    "follow_up_rate": D("0.5000"),  # 10 May quote followed on 12 May; 1 Jun quote not
    "funnel_conversion": D("1.5000"),  # 3 won / 2 leads
    "dq_no_next_step_share": D("0.5000"),  # 1 of 2 open deals
    "dq_stale_close_date_share": D("1.0000"),  # 2 of 2
    "dq_no_recent_activity_share": D("1.0000"),  # Delta since 12 May, Eta never
}


def test_every_kpi_of_the_catalog_has_a_hand_computed_company_value() -> None:
    assert set(COMPANY_Q2) == {kpi.key for kpi in CATALOG}


@pytest.mark.parametrize("key", sorted(COMPANY_Q2))
def test_company_kpi_for_the_quarter_matches_the_hand_computed_value(
    key: str, history: History, ctx: MetricsContext, q2: Period
) -> None:
    assert value(key, Subject.company(), q2, ctx) == COMPANY_Q2[key]


ALICE_Q2 = {
    "revenue_won": D("10000.00"),
    "deals_won": D("1"),
    "win_rate": D("0.5000"),  # Alpha won, Gamma lost
    "sales_cycle_days": D("69.0"),
    "new_customers": D("1"),
    "gross_margin_rate": D("0.4000"),
    "pipeline_value": D("8000.00"),
    "leads": D("2"),
    "calls": D("3"),  # 1 Apr 00:30 local counts; 31 Mar 23:59 does not
    "activities_per_day": D("0.14"),  # 9 / 65
    "follow_up_rate": D("0.5000"),
    "funnel_conversion": D("0.5000"),  # 1 won / 2 leads
}


@pytest.mark.parametrize("key", sorted(ALICE_Q2))
def test_a_rep_s_kpis_count_only_her_records(
    key: str, history: History, ctx: MetricsContext, q2: Period
) -> None:
    assert value(key, Subject.for_person(history.alice), q2, ctx) == ALICE_Q2[key]


@pytest.mark.parametrize(
    "key", ["win_rate", "avg_deal_size", "sales_cycle_days", "sales_cycle_days_median"]
)
def test_a_rep_with_no_closed_deals_has_no_data_for_ratios_not_zero(
    key: str, history: History, ctx: MetricsContext, q2: Period
) -> None:
    assert value(key, Subject.for_person(history.carol), q2, ctx) is None


@pytest.mark.parametrize(
    ("key", "north", "south"),
    [
        ("revenue_won", D("12000.00"), D("3000.00")),  # Bob's Epsilon in North, Zeta in South
        ("deals_won", D("2"), D("1")),
        ("win_rate", D("0.6667"), D("1.0000")),
        ("calls", D("5"), D("5")),  # Bob: 2 calls in North on 1 May, 4 in South on 1 Jun
        ("new_customers", D("2"), D("1")),
        ("pipeline_created", D("19000.00"), D("1000.00")),  # Zeta created in April, in North
        ("pipeline_value", D("8000.00"), D("1000.00")),
        ("stage_conversion", D("0.3333"), D("0.6667")),  # by the owner's team on 1 Jul
    ],
)
def test_a_mid_quarter_team_move_splits_the_rep_s_records_by_date(
    key: str,
    north: Decimal,
    south: Decimal,
    history: History,
    ctx: MetricsContext,
    q2: Period,
) -> None:
    assert value(key, Subject.for_team(history.north), q2, ctx) == north
    assert value(key, Subject.for_team(history.south), q2, ctx) == south
    region = value(key, Subject.for_team(history.region), q2, ctx)
    if key in {"revenue_won", "deals_won", "calls", "pipeline_created", "pipeline_value"}:
        assert region == north + south


def test_a_deal_closed_at_2330_local_on_the_quarter_s_last_day_counts_in_that_quarter(
    history: History, ctx: MetricsContext
) -> None:
    q1 = ctx.calendar.quarter(2026, 1)
    assert value("revenue_won", Subject.for_person(history.alice), q1, ctx) == D("4000.00")


def test_a_4_4_5_calendar_moves_the_quarter_boundaries(
    history: History, ctx: MetricsContext
) -> None:
    from attain.org.services import organisation_configure

    organisation_configure(actor=None, period_type="4-4-5", week_start=0, week_rule="last")
    ctx445 = MetricsContext.load(today=ctx.today)
    q1 = ctx445.calendar.quarter(2026, 1)
    q2 = ctx445.calendar.quarter(2026, 2)

    assert (q1.start.isoformat(), q2.start.isoformat(), q2.end.isoformat()) == (
        "2025-12-29",
        "2026-03-30",
        "2026-06-29",
    )
    assert value("revenue_won", Subject.company(), q1, ctx445) == D("0.00")
    # Beta (31 Mar) now falls in Q2 with Alpha, Epsilon and Zeta.
    assert value("revenue_won", Subject.company(), q2, ctx445) == D("19000.00")


def test_open_pipeline_at_a_past_month_end_uses_each_deal_s_stage_at_that_moment(
    history: History, ctx: MetricsContext
) -> None:
    april = ctx.calendar.month(2026, 4)
    # Open at 1 May 00:00: Gamma 6,000, Delta 8,000 (still Qualification), Epsilon 2,000,
    # Zeta 3,000 — all in Qualification at 10 %.
    assert value("pipeline_value", Subject.company(), april, ctx) == D("19000.00")
    assert value("weighted_pipeline", Subject.company(), april, ctx) == D("1900.00")


def test_breakdowns_give_each_funnel_step_and_stage(
    history: History, ctx: MetricsContext, q2: Period
) -> None:
    funnel = kpi_value(
        key="funnel_conversion", subject=Subject.for_person(history.alice), period=q2, ctx=ctx
    ).breakdown
    assert [(s.label, s.count, s.rate) for s in funnel] == [
        ("Leads", 2, None),
        ("Calls", 3, D("1.5")),
        ("Meetings", 1, D(1) / D(3)),
        ("Quotes", 2, D("2")),
        ("Won", 1, D("0.5")),
    ]
    stages = kpi_value(
        key="stage_conversion", subject=Subject.company(), period=q2, ctx=ctx
    ).breakdown
    assert [(s.label, s.count, s.value) for s in stages] == [
        ("Qualification", 5, D("0.6")),
        ("Proposal", 1, D("0")),
        ("Negotiation", 0, None),
    ]


def _subjects(history: History) -> list[Subject]:
    return [
        Subject.company(),
        Subject.for_person(history.alice),
        Subject.for_person(history.bob),
        Subject.for_team(history.north),
        Subject.for_team(history.south),
        Subject.for_team(history.region),
    ]


@pytest.mark.parametrize("shared_up_to", [50, 0])  # 0: every team too big to share raw reads
@pytest.mark.parametrize("month", [5, 6])
def test_all_kpis_at_once_with_comparisons_equal_each_kpi_and_period_alone(
    month: int,
    shared_up_to: int,
    history: History,
    ctx: MetricsContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One request for every KPI and three periods shares its raw reads (won deals, open deals);
    each figure must equal the same KPI asked alone for that one period."""
    monkeypatch.setattr(measures, "SHARED_HISTORY_PEOPLE", shared_up_to)
    period = ctx.calendar.month(2026, month)
    previous = ctx.calendar.previous(period)
    last_year = ctx.calendar.same_period_last_year(period)
    keys = [kpi.key for kpi in CATALOG]
    for subject in _subjects(history):
        together = kpi_values(keys=keys, subject=subject, period=period, ctx=ctx)
        for result in together:
            alone = (
                value(result.kpi.key, subject, period, ctx),
                value(result.kpi.key, subject, previous, ctx),
                value(result.kpi.key, subject, last_year, ctx),
            )
            assert (result.value, result.previous, result.last_year) == alone, (
                subject.spec,
                result.kpi.key,
            )
