"""The Team page: the team's attainment and tiles, funnel by rep and trend charts.

The rep comparison table is `attain.dashboards.comparison.rep_table` (also served alone to htmx).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attain.dashboards.charts import trend_lines
from attain.dashboards.comparison import FunnelByRep, funnel_by_rep, funnel_href
from attain.dashboards.state import PageState
from attain.dashboards.templatetags.dashboards import records_href
from attain.dashboards.tiles import TILE_KEYS, Attainment, Tile, attainment, kpi_tiles, trend_window
from attain.metrics.selectors import kpi_get, kpi_trend

TREND_KEYS = ("revenue_won", "win_rate", "sales_cycle_days")


@dataclass(frozen=True)
class TrendChart:
    key: str
    title: str
    figure_id: str
    figure: dict[str, Any]
    href: str


@dataclass(frozen=True)
class TeamPage:
    attainment: Attainment
    tiles: list[Tile]
    funnel: FunnelByRep
    funnel_href: str
    trends: list[TrendChart]
    trend_label: str
    running: str  # "FY2027-Q4 is still running" when the last point is partial, else ""


def trend_charts(
    state: PageState, *, keys: tuple[str, ...] = TREND_KEYS
) -> tuple[str, list[TrendChart]]:
    window = trend_window(state.period, state.ctx.calendar)
    charts = []
    for key in keys:
        kpi = kpi_get(key)
        points = kpi_trend(
            key=key, subject=state.subject, period=window.period, grain=window.grain, ctx=state.ctx
        )
        charts.append(
            TrendChart(
                key=key,
                title=kpi.label,
                figure_id=f"trend-{key}",
                figure=trend_lines(
                    kpi,
                    [(state.subject.label, [p.value for p in points])],
                    [p.period.label for p in points],
                ),
                href=records_href(kpi=key, period=state.period_param, subject=state.subject.spec),
            )
        )
    return window.period.label, charts


def team_page(state: PageState) -> TeamPage:
    label, trends = trend_charts(state)
    return TeamPage(
        attainment=attainment(state, subject=state.subject),
        # Replaying a whole team's past pipelines for the coverage trend costs seconds; the
        # coverage tile keeps its value and change, without the line.
        tiles=kpi_tiles(state, subject=state.subject, keys=TILE_KEYS, snapshot_trends=False),
        funnel=funnel_by_rep(state),
        funnel_href=funnel_href(state),
        trends=trends,
        trend_label=label,
        running=running_note(state),
    )


def running_note(state: PageState) -> str:
    """Trend lines end with the chosen period; say so when it is not over (a partial point)."""
    if state.ctx.is_live(state.period):
        return f"The last point, {state.period.label}, is still running."
    return ""
