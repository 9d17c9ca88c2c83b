"""KPI tiles, the attainment bar, the week's activity goals and trend windows, shared by pages.

Every value comes from `attain.metrics.selectors`; this module only arranges them (and derives a
week's activity goal from the monthly targets, pro-rated by working days — see `week_goals`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_compact_currency

from attain.core.periods import FiscalCalendar, Period, PeriodError, PeriodKind
from attain.dashboards.charts import STATUS_COLORS, sparkline
from attain.dashboards.state import PageState
from attain.dashboards.templatetags.dashboards import records_href
from attain.metrics.definitions.catalog import Aggregation, Direction, Kpi, Unit
from attain.metrics.engine.context import MetricSettings
from attain.metrics.engine.subjects import Subject
from attain.metrics.formatting import format_value
from attain.metrics.selectors import KpiValue, kpi_get, kpi_trend, kpi_values

TILE_KEYS = (
    "revenue_won",
    "deals_won",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
    "pipeline_coverage",
)
WEEK_ACTIVITY_KEYS = ("calls", "meetings", "emails", "quotes", "follow_ups")
TREND_LENGTH = {
    PeriodKind.YEAR: 3,
    PeriodKind.QUARTER: 6,
    PeriodKind.MONTH: 6,
    PeriodKind.WEEK: 8,
}


@dataclass(frozen=True)
class TrendWindow:
    """The span a tile's trend line covers and its grain: the period and the ones before it."""

    period: Period
    grain: PeriodKind


def trend_window(period: Period, calendar: FiscalCalendar) -> TrendWindow:
    """Six quarters (or months, eight weeks, three years) ending with the period; a free date
    range is shown by week (or by day when it is shorter than three weeks)."""
    if period.kind in TREND_LENGTH:
        first = period
        for _ in range(TREND_LENGTH[period.kind] - 1):
            try:
                first = calendar.previous(first)
            except PeriodError:
                break
        label = f"{first.label} – {period.label}"
        span = Period(PeriodKind.RANGE, first.start, period.end, label)
        return TrendWindow(span, period.kind)
    grain = PeriodKind.WEEK if period.days >= 21 else PeriodKind.DAY
    return TrendWindow(period, grain)


@dataclass(frozen=True)
class Delta:
    """Change against the previous period, and whether that change is good news."""

    arrow: str  # ▲ ▼ or =
    good: bool | None
    text: str


def delta(kv: KpiValue, currency: str) -> Delta | None:
    if kv.value is None or kv.previous is None:
        return None
    if kv.value == kv.previous:
        return Delta("=", None, "same as the previous period")
    up = kv.value > kv.previous
    good = up if kv.kpi.direction is Direction.HIGHER else not up
    was = format_value(kv.kpi, kv.previous, currency)
    return Delta("▲" if up else "▼", good, f"previous period {was}")


def short_text(kv: KpiValue, text: str, currency: str) -> str:
    """Millions and more as "$8.61M" so a tile never truncates; the full value is its title."""
    if kv.kpi.unit is Unit.MONEY and kv.value is not None and abs(kv.value) >= 1_000_000:
        return str(format_compact_currency(kv.value, currency, locale="en_US", fraction_digits=2))
    return text


@dataclass(frozen=True)
class Tile:
    kv: KpiValue
    text: str
    short: str
    target_text: str | None
    pace_text: str | None
    delta: Delta | None
    href: str
    figure_id: str
    figure: dict[str, Any]

    @property
    def kpi(self) -> Kpi:
        return self.kv.kpi


def kpi_tiles(
    state: PageState,
    *,
    subject: Subject,
    keys: tuple[str, ...],
    id_prefix: str = "tile",
    snapshot_trends: bool = True,
) -> list[Tile]:
    """One tile per KPI: value, target and pace, status, change, trend line and drill-down link.

    One `kpi_values` read plus one `kpi_trend` per tile, whatever the number of records. A
    snapshot KPI's trend and comparisons replay the pipeline at past period ends (stage history),
    which is costly for a whole team or the company; `snapshot_trends=False` leaves those tiles
    without a line and without the change against the previous period.
    """
    values = _tile_values(state, subject=subject, keys=keys, snapshot_history=snapshot_trends)
    window = trend_window(state.period, state.ctx.calendar)
    tiles = []
    for kv in values:
        points = []
        if snapshot_trends or kv.kpi.aggregation is not Aggregation.SNAPSHOT:
            points = kpi_trend(
                key=kv.kpi.key,
                subject=subject,
                period=window.period,
                grain=window.grain,
                ctx=state.ctx,
            )
        color = STATUS_COLORS.get(kv.status, STATUS_COLORS[None])
        text = format_value(kv.kpi, kv.value, state.currency)
        tiles.append(
            Tile(
                kv=kv,
                text=text,
                short=short_text(kv, text, state.currency),
                target_text=(
                    format_value(kv.kpi, kv.target, state.currency)
                    if kv.target is not None
                    else None
                ),
                pace_text=(
                    format_value(kv.kpi, kv.pace, state.currency) if kv.pace is not None else None
                ),
                delta=delta(kv, state.currency),
                href=records_href(kpi=kv.kpi.key, period=state.period_param, subject=subject.spec),
                figure_id=f"{id_prefix}-{kv.kpi.key}",
                figure=(
                    sparkline(
                        [p.value for p in points], [p.period.label for p in points], color=color
                    )
                    if points
                    else {}
                ),
            )
        )
    return tiles


def _tile_values(
    state: PageState, *, subject: Subject, keys: tuple[str, ...], snapshot_history: bool
) -> list[KpiValue]:
    """kpi_values in the tiles' order; without `snapshot_history`, snapshot KPIs skip their
    previous-period and last-year comparisons (each is a replay of the past pipeline)."""
    snapshot = {key for key in keys if kpi_get(key).aggregation is Aggregation.SNAPSHOT}
    if snapshot_history or not snapshot:
        return kpi_values(keys=list(keys), subject=subject, period=state.period, ctx=state.ctx)
    rest = [key for key in keys if key not in snapshot]
    by_key = {
        kv.kpi.key: kv
        for kv in kpi_values(keys=rest, subject=subject, period=state.period, ctx=state.ctx)
    }
    by_key.update(
        (kv.kpi.key, kv)
        for kv in kpi_values(
            keys=[key for key in keys if key in snapshot],
            subject=subject,
            period=state.period,
            ctx=state.ctx,
            comparisons=False,
        )
    )
    return [by_key[key] for key in keys]


def percent(part: Decimal | None, whole: Decimal | None, *, cap: int = 100) -> str:
    """part ÷ whole as a CSS percentage ("62.5%"), capped, for bar widths and marker positions."""
    if part is None or not whole:
        return "0%"
    share = min(Decimal(cap), max(Decimal(0), part / whole * 100))
    return f"{share.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Attainment:
    """Revenue won against target, with where the pace says it should be by today."""

    revenue: KpiValue
    attainment: KpiValue
    currency: str
    href: str

    @property
    def has_target(self) -> bool:
        return bool(self.revenue.target)

    @property
    def scale(self) -> Decimal | None:
        """The bar's full width: the target, or the projection when it is beyond the target."""
        target = self.revenue.target
        if not target:
            return None
        return max(target, self.revenue.value or Decimal(0)) * Decimal("1.0")

    @property
    def value_width(self) -> str:
        return percent(self.revenue.value, self.scale)

    @property
    def pace_left(self) -> str:
        return percent(self.revenue.pace, self.scale)

    @property
    def target_left(self) -> str:
        return percent(self.revenue.target, self.scale)


def attainment(state: PageState, *, subject: Subject) -> Attainment:
    revenue, share = kpi_values(
        keys=["revenue_won", "quota_attainment"],
        subject=subject,
        period=state.period,
        ctx=state.ctx,
        comparisons=False,
    )
    return Attainment(
        revenue=revenue,
        attainment=share,
        currency=state.currency,
        href=records_href(kpi="revenue_won", period=state.period_param, subject=subject.spec),
    )


# ----------------------------------------------------------------------------- the week


@dataclass(frozen=True)
class WeekGoal:
    kv: KpiValue
    goal: Decimal | None
    pace: Decimal | None
    status: str | None
    width: str
    pace_left: str
    href: str


def _status(value: Decimal | None, pace: Decimal | None, settings: MetricSettings) -> str | None:
    """The engine's rule for a higher-is-better count: value ÷ pace against the thresholds."""
    if value is None or pace is None:
        return None
    if pace == 0:
        return "on_track"
    score = value / pace
    if score >= settings.on_track:
        return "on_track"
    if score >= settings.at_risk:
        return "at_risk"
    return "behind"


def week_goals(state: PageState, *, subject: Subject) -> tuple[Period, list[WeekGoal]]:
    """This fiscal week's activities against goals.

    Activity targets are set per fiscal month; a week's goal is each overlapping month's target ×
    (the week's working days in that month ÷ the month's working days), and its pace is that goal ×
    the share of the week's working days elapsed — the engine's pace rule at week scale.
    """
    calendar = state.ctx.calendar
    week = calendar.week_of(state.today)
    values = kpi_values(
        keys=list(WEEK_ACTIVITY_KEYS),
        subject=subject,
        period=week,
        ctx=state.ctx,
        comparisons=False,
    )
    goals: dict[str, Decimal | None] = dict.fromkeys(WEEK_ACTIVITY_KEYS, None)
    day = week.start
    months: list[Period] = []
    while day < week.end:
        month = calendar.month_of(day)
        months.append(month)
        day = month.end
    for month in months:
        month_days = calendar.working_days(month)
        overlap = Period(
            PeriodKind.RANGE, max(month.start, week.start), min(month.end, week.end), ""
        )
        share = Decimal(calendar.working_days(overlap)) / month_days if month_days else Decimal(0)
        for kv in kpi_values(
            keys=list(WEEK_ACTIVITY_KEYS),
            subject=subject,
            period=month,
            ctx=state.ctx,
            comparisons=False,
        ):
            if kv.target is None:
                continue
            previous = goals[kv.kpi.key] or Decimal(0)
            goals[kv.kpi.key] = previous + kv.target * share
    working = calendar.working_days(week)
    elapsed = calendar.working_days_elapsed(week, state.today)
    rows = []
    for kv in values:
        goal = goals[kv.kpi.key]
        goal = goal.quantize(Decimal(1), rounding=ROUND_HALF_UP) if goal is not None else None
        pace = (
            (goal * elapsed / working).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if goal is not None and working
            else None
        )
        scale = max(goal or Decimal(0), kv.value or Decimal(0)) or None
        rows.append(
            WeekGoal(
                kv=kv,
                goal=goal,
                pace=pace,
                status=_status(kv.value, pace, state.ctx.settings),
                width=percent(kv.value, scale),
                pace_left=percent(pace, scale),
                href=records_href(kpi=kv.kpi.key, period=week.label, subject=subject.spec),
            )
        )
    return week, rows


def this_week_label(period: Period) -> str:
    last = period.end - timedelta(days=1)
    return f"{period.label} · {period.start:%-d %b} – {last:%-d %b}"
