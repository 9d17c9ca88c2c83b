"""My performance: what a rep (or their manager, looking at them) sees for one period.

Attainment with its pace marker, KPI tiles with trend lines, this week's activities against goals,
the open pipeline by stage, the deals that need attention and the volume funnel. Every figure comes
from `attain.metrics.selectors`; the pipeline split sums the records behind `pipeline_value`, so
its total is that KPI's value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from attain.core.periods import Period
from attain.crm.models import DealStageChange, Stage
from attain.dashboards.charts import horizontal_bars
from attain.dashboards.state import PageState
from attain.dashboards.templatetags.dashboards import records_href
from attain.dashboards.tiles import (
    TILE_KEYS,
    Attainment,
    Tile,
    WeekGoal,
    attainment,
    kpi_tiles,
    this_week_label,
    week_goals,
)
from attain.metrics.engine.subjects import Subject
from attain.metrics.formatting import format_value
from attain.metrics.selectors import kpi_get, kpi_records, kpi_value

ATTENTION = (
    ("stalled_deals", "Stalled", "No activity or stage change for longer than the stage allows."),
    ("deals_missing_next_step", "No next step", "Open deals with no next step recorded."),
    ("deals_past_close_date", "Close date passed", "Expected close date is before today."),
)
ATTENTION_ROWS = 5
PIPELINE_RECORDS_MAX = 5000


@dataclass(frozen=True)
class AttentionList:
    key: str
    title: str
    why: str
    total: int
    rows: list[dict[str, Any]]
    href: str


@dataclass(frozen=True)
class StageSlice:
    stage: str
    deals: int
    amount: Decimal


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    rate_text: str


@dataclass(frozen=True)
class PerformancePage:
    subject: Subject
    attainment: Attainment
    tiles: list[Tile]
    week: Period
    week_label: str
    week_goals: list[WeekGoal]
    stages: list[StageSlice]
    pipeline_total: str
    pipeline_href: str
    pipeline_figure: dict[str, Any] | None
    attention: list[AttentionList]
    funnel_steps: list[FunnelStep]
    funnel_figure: dict[str, Any] | None
    funnel_href: str


def attention_lists(state: PageState, *, subject: Subject) -> list[AttentionList]:
    """The first few deals of each health flag, with how many there are in all."""
    lists = []
    for key, title, why in ATTENTION:
        page = kpi_records(
            key=key, subject=subject, period=state.period, page_size=ATTENTION_ROWS, ctx=state.ctx
        )
        lists.append(
            AttentionList(
                key=key,
                title=title,
                why=why,
                total=page.total,
                rows=page.rows,
                href=records_href(kpi=key, period=state.period_param, subject=subject.spec),
            )
        )
    return lists


def pipeline_by_stage(state: PageState, *, subject: Subject) -> list[StageSlice]:
    """Open deals at the period end split by stage, in pipeline order (the records behind the
    `pipeline_value` KPI, grouped, so the total is that KPI).

    For a past period a deal is placed in the stage it was in at the period end (its last stage
    change before then), as the engine values it — not in the stage it has reached since.
    """
    page = kpi_records(
        key="pipeline_value",
        subject=subject,
        period=state.period,
        page_size=PIPELINE_RECORDS_MAX,
        ctx=state.ctx,
    )
    stages = list(Stage.objects.order_by("pipeline_id", "position").values_list("id", "name"))
    names = dict(stages)
    order = {name: i for i, (_, name) in enumerate(stages)}
    stage_then: dict[int, str] = {}
    if not state.ctx.is_live(state.period) and page.rows:
        changes = (
            DealStageChange.objects.filter(
                deal_id__in=[row["id"] for row in page.rows],
                changed_at__lt=state.ctx.as_of(state.period),
            )
            .order_by("deal_id", "changed_at", "id")
            .values_list("deal_id", "to_stage_id")
        )
        for deal_id, stage_id in changes:  # the last change before the period end wins
            stage_then[deal_id] = names.get(stage_id, str(stage_id))
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for row in page.rows:
        stage = stage_then.get(row["id"], row["stage__name"])
        counts[stage] += 1
        amounts[stage] += row["amount_base"]
    return [
        StageSlice(name, counts[name], amounts[name])
        for name in sorted(counts, key=lambda n: (order.get(n, len(order)), n))
    ]


def funnel_steps(state: PageState, *, subject: Subject) -> list[FunnelStep]:
    value = kpi_value(
        key="funnel_conversion",
        subject=subject,
        period=state.period,
        ctx=state.ctx,
        comparisons=False,
    )
    ratio_kpi = kpi_get("win_rate")
    steps = []
    for step in value.breakdown:
        rate = "" if step.rate is None else format_value(ratio_kpi, step.rate, state.currency)
        steps.append(FunnelStep(step.label, step.count or 0, rate))
    return steps


def performance_page(state: PageState) -> PerformancePage:
    subject = state.subject
    pipeline_kpi = kpi_get("pipeline_value")
    stages = pipeline_by_stage(state, subject=subject)
    total = sum((s.amount for s in stages), start=Decimal("0.00"))
    week, goals = week_goals(state, subject=subject)
    steps = funnel_steps(state, subject=subject)
    return PerformancePage(
        subject=subject,
        attainment=attainment(state, subject=subject),
        tiles=kpi_tiles(state, subject=subject, keys=TILE_KEYS),
        week=week,
        week_label=this_week_label(week),
        week_goals=goals,
        stages=stages,
        pipeline_total=format_value(pipeline_kpi, total, state.currency),
        pipeline_href=records_href(
            kpi="pipeline_value", period=state.period_param, subject=subject.spec
        ),
        pipeline_figure=(
            horizontal_bars(
                [s.stage for s in stages],
                [s.amount for s in stages],
                text=[
                    f"{format_value(pipeline_kpi, s.amount, state.currency)} · {s.deals} "
                    + ("deal" if s.deals == 1 else "deals")
                    for s in stages
                ],
                money=True,
            )
            if stages
            else None
        ),
        attention=attention_lists(state, subject=subject),
        funnel_steps=steps,
        funnel_figure=(
            horizontal_bars(
                [s.label for s in steps],
                [Decimal(s.count) for s in steps],
                text=[f"{s.count}" + (f" · {s.rate_text}" if s.rate_text else "") for s in steps],
            )
            if any(s.count for s in steps)
            else None
        ),
        funnel_href=records_href(
            kpi="funnel_conversion", period=state.period_param, subject=subject.spec
        ),
    )
