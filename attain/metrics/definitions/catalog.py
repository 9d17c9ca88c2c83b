"""The KPI catalog: every figure Attain shows is declared here, once.

A declaration says what the number means (label, unit, direction, leading or lagging), where it
comes from (the records behind it), how it aggregates from people to teams to the company, and the
formula over measures (attain.metrics.engine.measures). Nothing computes a KPI anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from attain.metrics.engine.measures import Measures


class Unit(StrEnum):
    MONEY = "money"
    COUNT = "count"
    RATIO = "ratio"
    DAYS = "days"
    PER_DAY = "per_day"
    MONEY_PER_DAY = "money_per_day"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Indicator(StrEnum):
    LEADING = "leading"
    LAGGING = "lagging"


class Category(StrEnum):
    RESULTS = "results"
    PIPELINE = "pipeline"
    ACTIVITY = "activity"
    DATA_QUALITY = "data_quality"


class Aggregation(StrEnum):
    SUM = "sum"  # additive facts summed over people and days
    RATIO = "ratio"  # recomputed from summed parts, never averaged
    RECORDS = "records"  # recomputed from the subject's raw records
    SNAPSHOT = "snapshot"  # the state at a moment (period end, or now)


AGGREGATION_TEXT = {
    Aggregation.SUM: "summed over people and days (rollup facts)",
    Aggregation.RATIO: "recomputed from the summed parts for the subject, never averaged",
    Aggregation.RECORDS: "recomputed from the subject's records",
    Aggregation.SNAPSHOT: "the state at the period end (or now, for the current period)",
}

QUANTUM = {
    Unit.MONEY: Decimal("0.01"),
    Unit.COUNT: Decimal("1"),
    Unit.RATIO: Decimal("0.0001"),
    Unit.DAYS: Decimal("0.1"),
    Unit.PER_DAY: Decimal("0.01"),
    Unit.MONEY_PER_DAY: Decimal("0.01"),
}


@dataclass(frozen=True)
class StepValue:
    """One row of a KPI's breakdown (funnel step, stage conversion, age by stage)."""

    label: str
    value: Decimal | None
    count: int | None = None
    rate: Decimal | None = None


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: Unit
    direction: Direction
    indicator: Indicator
    category: Category
    aggregation: Aggregation
    description: str
    formula: str
    records: str  # the drill-down record set (attain.metrics.engine.records)
    compute: Callable[[Measures], Decimal | int | None]
    facts: tuple[str, ...] = ()  # rollup facts it reads (empty: it reads raw records)
    breakdown: Callable[[Measures], list[StepValue]] | None = None
    target_key: str | None = None  # whose target it is measured against (default: itself)
    pace: bool = field(default=True)  # whether a linear pace to target makes sense

    @property
    def from_rollups_only(self) -> bool:
        """True when the value is a function of rollup facts alone (fast trends/leaderboards)."""
        return bool(self.facts) and self.aggregation in (Aggregation.SUM, Aggregation.RATIO)

    @property
    def additive(self) -> bool:
        return self.aggregation is Aggregation.SUM

    def quantize(self, value: Decimal | int | None) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).quantize(QUANTUM[self.unit], rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """numerator ÷ denominator, or None ("no data") when the denominator is zero."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def _activities(m: Measures) -> int:
    return int(m.facts_sum("calls", "emails", "meetings", "quotes", "follow_ups"))


def _velocity(m: Measures) -> Decimal | None:
    win_rate = ratio(m.fact("deals_won"), m.facts_sum("deals_won", "deals_lost"))
    size = ratio(m.fact("revenue_won"), m.fact("deals_won"))
    cycle = ratio(m.fact("won_cycle_days"), m.fact("deals_won"))
    if win_rate is None or size is None or not cycle:
        return None
    return Decimal(m.open_deal_count) * win_rate * size / cycle


def _coverage(m: Measures) -> Decimal | None:
    target = m.target("revenue_won")
    if target is None:
        return None
    to_go = target - Decimal(m.fact("revenue_won"))
    if to_go <= 0:
        return None
    return m.pipeline_due_in_period / to_go


def _predicted_clv(m: Measures) -> Decimal | None:
    size = ratio(m.fact("revenue_won"), m.fact("deals_won"))
    purchases, customers = m.trailing_year_purchases
    frequency = ratio(purchases, customers)
    if size is None or frequency is None:
        return None
    return size * frequency * m.ctx.settings.customer_lifetime_years


FUNNEL_STEPS = (
    ("Leads", "leads"),
    ("Calls", "calls"),
    ("Meetings", "meetings"),
    ("Quotes", "quotes"),
    ("Won", "deals_won"),
)


def _funnel_steps(m: Measures) -> list[StepValue]:
    steps: list[StepValue] = []
    previous: int | None = None
    for label, fact in FUNNEL_STEPS:
        count = int(m.fact(fact))
        rate = ratio(count, previous) if previous is not None else None
        steps.append(StepValue(label, Decimal(count), count, rate))
        previous = count
    return steps


def _stage_conversion_steps(m: Measures) -> list[StepValue]:
    steps = []
    for step in m.stage_steps:
        rate = ratio(step.advanced, step.entered)
        rate = (
            rate.quantize(QUANTUM[Unit.RATIO], rounding=ROUND_HALF_UP) if rate is not None else None
        )
        steps.append(StepValue(step.stage, rate, step.entered, rate))
    return steps


def _stage_conversion(m: Measures) -> Decimal | None:
    steps = m.stage_steps
    entered = sum(s.entered for s in steps)
    return ratio(sum(s.advanced for s in steps), entered)


def _age_steps(m: Measures) -> list[StepValue]:
    stages = m.stages()
    rows = []
    for stage_id, (count, days) in sorted(
        m.deal_age_by_stage.items(),
        key=lambda kv: stages[kv[0]].position if kv[0] in stages else 0,
    ):
        rows.append(
            StepValue(
                stages[stage_id].name if stage_id in stages else str(stage_id),
                (Decimal(days) / count).quantize(QUANTUM[Unit.DAYS], ROUND_HALF_UP),
                count,
            )
        )
    return rows


def _average_age(m: Measures) -> Decimal | None:
    groups = m.deal_age_by_stage.values()
    return ratio(sum(days for _, days in groups), sum(count for count, _ in groups))


def _share(part: str) -> Callable[[Measures], Decimal | None]:
    def compute(m: Measures) -> Decimal | None:
        counts = m.health_counts
        return ratio(counts[part], counts["open"])

    return compute


R, P, A, Q = Category.RESULTS, Category.PIPELINE, Category.ACTIVITY, Category.DATA_QUALITY
LEAD, LAG = Indicator.LEADING, Indicator.LAGGING
UP, DOWN = Direction.HIGHER, Direction.LOWER

# fmt: off
# Positional fields, in order: key, label, unit, direction, indicator, category, aggregation,
# description, formula, drill-down records, compute; then keywords.
CATALOG: tuple[Kpi, ...] = (
    # ------------------------------------------------------------------ results (lagging)
    Kpi(
        "revenue_won", "Revenue won", Unit.MONEY, UP, LAG, R, Aggregation.SUM,
        "Base-currency amount of deals won in the period.",
        "Σ amount_base of won deals, by local close date",
        "deals_won", lambda m: m.fact("revenue_won"), facts=("revenue_won",),
    ),
    Kpi(
        "deals_won", "Deals won", Unit.COUNT, UP, LAG, R, Aggregation.SUM,
        "Number of deals won in the period.",
        "count of won deals, by local close date",
        "deals_won", lambda m: m.fact("deals_won"), facts=("deals_won",),
    ),
    Kpi(
        "deals_lost", "Deals lost", Unit.COUNT, DOWN, LAG, R, Aggregation.SUM,
        "Number of deals lost in the period.",
        "count of lost deals, by local close date",
        "deals_lost", lambda m: m.fact("deals_lost"), facts=("deals_lost",), pace=False,
    ),
    Kpi(
        "win_rate", "Win rate", Unit.RATIO, UP, LAG, R, Aggregation.RATIO,
        "Share of deals closed in the period that were won.",
        "deals won ÷ (deals won + deals lost)",
        "deals_closed",
        lambda m: ratio(m.fact("deals_won"), m.facts_sum("deals_won", "deals_lost")),
        facts=("deals_won", "deals_lost"),
    ),
    Kpi(
        "avg_deal_size", "Average deal size", Unit.MONEY, UP, LAG, R, Aggregation.RATIO,
        "Average base-currency amount of a won deal.",
        "revenue won ÷ deals won",
        "deals_won", lambda m: ratio(m.fact("revenue_won"), m.fact("deals_won")),
        facts=("revenue_won", "deals_won"),
    ),
    Kpi(
        "sales_cycle_days", "Sales cycle (mean)", Unit.DAYS, DOWN, LAG, R, Aggregation.RATIO,
        "Mean days from creation to win, over deals won in the period.",
        "Σ (local close date − local created date) of won deals ÷ deals won",
        "deals_won", lambda m: ratio(m.fact("won_cycle_days"), m.fact("deals_won")),
        facts=("won_cycle_days", "deals_won"),
    ),
    Kpi(
        "sales_cycle_days_median", "Sales cycle (median)", Unit.DAYS, DOWN, LAG, R,
        Aggregation.RECORDS,
        "Median days from creation to win, over deals won in the period.",
        "median of (local close date − local created date) over won deals",
        "deals_won", lambda m: m.median_cycle_days,
    ),
    Kpi(
        "quota_attainment", "Quota attainment", Unit.RATIO, UP, LAG, R, Aggregation.RATIO,
        "Revenue won against the revenue target for the period.",
        "revenue won ÷ revenue_won target (no data without a target)",
        "deals_won",
        lambda m: (
            ratio(m.fact("revenue_won"), m.target("revenue_won") or 0)
            if m.target("revenue_won") is not None
            else None
        ),
        facts=("revenue_won",), target_key="revenue_won",
    ),
    Kpi(
        "new_customers", "New customers", Unit.COUNT, UP, LAG, R, Aggregation.RECORDS,
        "Accounts whose first-ever won deal closed in the period.",
        "count of accounts whose earliest won deal is a won deal of the subject in the period",
        "new_customers", lambda m: m.new_customers,
    ),
    Kpi(
        "value_per_customer", "Value per customer", Unit.MONEY, UP, LAG, R, Aggregation.RECORDS,
        "Revenue won per distinct customer account in the period.",
        "Σ amount_base of won deals with an account ÷ distinct accounts among them",
        "deals_won", lambda m: ratio(*m.customers_won),
    ),
    Kpi(
        "customer_lifetime_value", "Customer lifetime value (historical)", Unit.MONEY, UP, LAG,
        R, Aggregation.RECORDS,
        "Average revenue won per customer account over its whole life, up to the period end.",
        "Σ amount_base of all won deals up to the period end ÷ distinct accounts among them",
        "deals_won", lambda m: ratio(*m.lifetime_customers), pace=False,
    ),
    Kpi(
        "customer_lifetime_value_predicted", "Customer lifetime value (predicted)", Unit.MONEY,
        UP, LAG, R, Aggregation.RECORDS,
        "Simple predictive CLV: what an average customer is expected to buy over its lifetime.",
        "average deal size × won deals per customer in the 365 days before the period end "
        "× expected customer lifetime in years (setting, default 3)",
        "deals_won", _predicted_clv, pace=False,
    ),
    Kpi(
        "gross_margin", "Gross margin", Unit.MONEY, UP, LAG, R, Aggregation.SUM,
        "Margin on won deals whose product carries a unit cost.",
        "Σ amount_base × (list price − unit cost) ÷ list price, over won deals of costed products",
        "deals_won", lambda m: m.fact("margin_won"), facts=("margin_won",),
    ),
    Kpi(
        "gross_margin_rate", "Gross margin rate", Unit.RATIO, UP, LAG, R, Aggregation.RATIO,
        "Gross margin as a share of the revenue it was earned on.",
        "gross margin ÷ revenue won on products with a unit cost",
        "deals_won", lambda m: ratio(m.fact("margin_won"), m.fact("revenue_with_cost")),
        facts=("margin_won", "revenue_with_cost"),
    ),
    # ------------------------------------------------------------------ pipeline
    Kpi(
        "pipeline_value", "Open pipeline", Unit.MONEY, UP, LEAD, P, Aggregation.SNAPSHOT,
        "Base-currency amount of deals open at the period end (now, for the current period).",
        "Σ amount_base of deals created before and not closed at the as-of moment",
        "open_deals", lambda m: m.pipeline_value, pace=False,
    ),
    Kpi(
        "weighted_pipeline", "Weighted pipeline", Unit.MONEY, UP, LEAD, P, Aggregation.SNAPSHOT,
        "Open pipeline weighted by each deal's probability at the as-of moment.",
        "Σ amount_base × probability ÷ 100 (the deal's override, else its stage's default)",
        "open_deals", lambda m: m.weighted_pipeline, pace=False,
    ),
    Kpi(
        "pipeline_created", "Pipeline created", Unit.MONEY, UP, LEAD, P, Aggregation.SUM,
        "Base-currency amount of deals created in the period.",
        "Σ amount_base of deals by local created date",
        "deals_created", lambda m: m.fact("pipeline_created"), facts=("pipeline_created",),
    ),
    Kpi(
        "deals_created", "Deals created", Unit.COUNT, UP, LEAD, P, Aggregation.SUM,
        "Number of deals created in the period.",
        "count of deals by local created date",
        "deals_created", lambda m: m.fact("deals_created"), facts=("deals_created",),
    ),
    Kpi(
        "pipeline_coverage", "Pipeline coverage", Unit.RATIO, UP, LEAD, P, Aggregation.SNAPSHOT,
        "How many times the open pipeline due in the period covers the revenue still to win.",
        "open pipeline with an expected close date in the period ÷ (revenue target − revenue won)",
        "open_deals_due", _coverage, pace=False,
    ),
    Kpi(
        "stage_conversion", "Stage conversion", Unit.RATIO, UP, LEAD, P, Aggregation.RECORDS,
        "Of the deals that entered an open stage in the period, the share that later reached a "
        "further stage (lost excluded); the breakdown gives each stage.",
        "Σ deals that moved past a stage ÷ Σ deals that entered it (stage history)",
        "stage_changes", _stage_conversion, breakdown=_stage_conversion_steps, pace=False,
    ),
    Kpi(
        "deal_age_days", "Average open deal age", Unit.DAYS, DOWN, LEAD, P, Aggregation.SNAPSHOT,
        "Average age of open deals at the as-of moment; the breakdown gives each stage.",
        "mean of (as-of day − local created date) over open deals",
        "open_deals", _average_age, breakdown=_age_steps, pace=False,
    ),
    Kpi(
        "stalled_deals", "Stalled deals", Unit.COUNT, DOWN, LEAD, P, Aggregation.SNAPSHOT,
        "Open deals with no activity and no stage change for their stage's stall limit (now).",
        "count of open deals whose latest of (last activity, stage entered) is older than the "
        "stage's stall_after_days",
        "stalled_deals", lambda m: m.stalled_count, pace=False,
    ),
    Kpi(
        "deals_missing_next_step", "Deals missing a next step", Unit.COUNT, DOWN, LEAD, P,
        Aggregation.SNAPSHOT,
        "Open deals with no next step recorded (now).",
        "count of open deals whose next step is empty",
        "deals_missing_next_step", lambda m: m.health_counts["no_next_step"], pace=False,
    ),
    Kpi(
        "deals_past_close_date", "Deals past their close date", Unit.COUNT, DOWN, LEAD, P,
        Aggregation.SNAPSHOT,
        "Open deals whose expected close date has passed (now).",
        "count of open deals with expected close date before today",
        "deals_past_close_date", lambda m: m.health_counts["past_close"], pace=False,
    ),
    Kpi(
        "sales_velocity", "Sales velocity", Unit.MONEY_PER_DAY, UP, LEAD, P, Aggregation.RECORDS,
        "Revenue the open pipeline is expected to produce per day.",
        "open deals × win rate × average deal size ÷ mean sales cycle (days)",
        "open_deals", _velocity, pace=False,
    ),
    # ------------------------------------------------------------------ activity (leading)
    Kpi(
        "leads", "Leads", Unit.COUNT, UP, LEAD, A, Aggregation.SUM,
        "Leads created in the period.", "count of leads by local created date",
        "leads", lambda m: m.fact("leads"), facts=("leads",),
    ),
    Kpi(
        "calls", "Calls", Unit.COUNT, UP, LEAD, A, Aggregation.SUM,
        "Calls logged in the period.", "count of call activities by local day",
        "activities:call", lambda m: m.fact("calls"), facts=("calls",),
    ),
    Kpi(
        "emails", "Emails", Unit.COUNT, UP, LEAD, A, Aggregation.SUM,
        "Emails logged in the period.", "count of email activities by local day",
        "activities:email", lambda m: m.fact("emails"), facts=("emails",),
    ),
    Kpi(
        "meetings", "Meetings", Unit.COUNT, UP, LEAD, A, Aggregation.SUM,
        "Meetings (appointments) logged in the period.",
        "count of meeting activities by local day",
        "activities:meeting", lambda m: m.fact("meetings"), facts=("meetings",),
    ),
    Kpi(
        "quotes", "Quotes", Unit.COUNT, UP, LEAD, A, Aggregation.SUM,
        "Quotes sent in the period.", "count of quote activities by local day",
        "activities:quote", lambda m: m.fact("quotes"), facts=("quotes",),
    ),
    Kpi(
        "follow_ups", "Follow-ups", Unit.COUNT, UP, LEAD, A, Aggregation.SUM,
        "Follow-ups logged in the period.", "count of follow_up activities by local day",
        "activities:follow_up", lambda m: m.fact("follow_ups"), facts=("follow_ups",),
    ),
    Kpi(
        "activities_per_day", "Activities per working day", Unit.PER_DAY, UP, LEAD, A,
        Aggregation.RATIO,
        "All activities per working day elapsed in the period (the subject's total, not per "
        "person).",
        "(calls + emails + meetings + quotes + follow-ups) ÷ working days elapsed",
        "activities",
        lambda m: ratio(_activities(m), m.working_days_elapsed),
        facts=("calls", "emails", "meetings", "quotes", "follow_ups"), pace=False,
    ),
    Kpi(
        "follow_up_rate", "Follow-up rate", Unit.RATIO, UP, LEAD, A, Aggregation.RECORDS,
        "Share of quotes followed up within N days (setting follow_up_days, default 3) on the "
        "same deal, or the same account for a quote without a deal.",
        "quotes with a follow-up in (quote time, quote time + N days] ÷ quotes",
        "quotes", lambda m: ratio(*m.quotes_followed_up), pace=False,
    ),
    Kpi(
        "funnel_conversion", "Funnel: lead to win", Unit.RATIO, UP, LEAD, A, Aggregation.RATIO,
        "Volume funnel leads → calls → meetings → quotes → won in the period; the value is won "
        "deals per lead, the breakdown gives each step's conversion.",
        "deals won ÷ leads (each step: its volume ÷ the previous step's volume)",
        "leads", lambda m: ratio(m.fact("deals_won"), m.fact("leads")),
        facts=("leads", "calls", "meetings", "quotes", "deals_won"),
        breakdown=_funnel_steps, pace=False,
    ),
    # ------------------------------------------------------------------ data quality (now)
    Kpi(
        "dq_no_next_step_share", "Open deals without a next step", Unit.RATIO, DOWN, LEAD, Q,
        Aggregation.SNAPSHOT,
        "Share of open deals (now) with no next step.",
        "open deals with an empty next step ÷ open deals",
        "deals_missing_next_step", _share("no_next_step"), pace=False,
    ),
    Kpi(
        "dq_stale_close_date_share", "Open deals with a stale close date", Unit.RATIO, DOWN, LEAD,
        Q, Aggregation.SNAPSHOT,
        "Share of open deals (now) whose expected close date has passed.",
        "open deals with expected close date before today ÷ open deals",
        "deals_past_close_date", _share("past_close"), pace=False,
    ),
    Kpi(
        "dq_no_recent_activity_share", "Open deals without recent activity", Unit.RATIO, DOWN,
        LEAD, Q, Aggregation.SNAPSHOT,
        "Share of open deals (now) with no activity in the last N days (setting "
        "no_activity_days, default 30).",
        "open deals with no activity in N days ÷ open deals",
        "deals_no_recent_activity", _share("no_recent_activity"), pace=False,
    ),
)
# fmt: on

KPIS: dict[str, Kpi] = {kpi.key: kpi for kpi in CATALOG}
