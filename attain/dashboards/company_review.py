"""The Company page: revenue against target by region and team, pipeline, trends and the tree.

Works for the company or any team node the viewer may see (a region's manager gets the same view
of their region). Each node's figures are one `kpi_values` call, so the page costs a few queries
per team in the tree — teams are few (the medium demo has 25 nodes); reps are never iterated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attain.dashboards.charts import STATUS_COLORS, horizontal_bars, trend_lines
from attain.dashboards.state import PageState
from attain.dashboards.team_review import running_note
from attain.dashboards.templatetags.dashboards import records_href
from attain.dashboards.tiles import Tile, kpi_tiles, trend_window
from attain.metrics.engine.subjects import Subject
from attain.metrics.formatting import format_value
from attain.metrics.selectors import KpiValue, kpi_get, kpi_trend, kpi_values
from attain.org.models import Team, TeamKind

COMPANY_TILES = (
    "revenue_won",
    "quota_attainment",
    "weighted_pipeline",
    "deals_won",
    "win_rate",
    "sales_cycle_days",
)
NODE_KEYS = ["revenue_won", "quota_attainment", "win_rate"]
# The weighted pipeline replays each open deal's stage at the period end; it is read for the
# subject and the level below it (regions), not for every team of the tree.
WEIGHTED_DEPTH = 1
MAX_TREE_NODES = 40  # above this, the tree shows the subject and its children (one read each)
TREND_KEYS = ("win_rate", "sales_cycle_days")


@dataclass(frozen=True)
class NodeRow:
    team: Team
    subject: Subject
    depth: int
    manager: str
    revenue: KpiValue
    attainment: KpiValue
    weighted: KpiValue | None
    win_rate: KpiValue
    revenue_text: str
    target_text: str
    attainment_text: str
    weighted_text: str
    win_rate_text: str
    team_url: str
    revenue_href: str


@dataclass(frozen=True)
class CompanyPage:
    tiles: list[Tile]
    nodes: list[NodeRow]
    revenue_figure: dict[str, Any] | None
    trends: list[tuple[str, str, dict[str, Any], str]]  # (title, figure id, figure, href)
    trend_label: str
    running: str
    hidden_nodes: int  # teams below the children, left out of a large tree


def _nodes(state: PageState) -> tuple[list[tuple[Team, int]], int]:
    """The subject's node and the teams below it, in tree order, with depth (root = 0), and how
    many nodes were left out: a tree of more than MAX_TREE_NODES shows two levels (the subject
    and its children), and picking a child shows its own teams."""
    if state.subject.kind == "company":
        teams = list(Team.objects.select_related("manager").order_by("path"))
    else:
        teams = list(
            Team.objects.filter(path__startswith=state.subject.team_path)
            .select_related("manager")
            .order_by("path")
        )
    if not teams:
        return [], 0
    base = min(t.path.count("/") for t in teams)
    nodes = [(t, t.path.count("/") - base) for t in teams]
    if len(nodes) <= MAX_TREE_NODES:
        return nodes, 0
    shown = [(t, depth) for t, depth in nodes if depth <= 1]
    return shown, len(nodes) - len(shown)


def _subject(team: Team) -> Subject:
    return Subject.company() if team.parent_id is None else Subject.for_team(team)


def company_page(state: PageState) -> CompanyPage:
    currency = state.currency
    rows: list[NodeRow] = []
    nodes, hidden = _nodes(state)
    for team, depth in nodes:
        subject = _subject(team)
        keys = NODE_KEYS + (["weighted_pipeline"] if depth <= WEIGHTED_DEPTH else [])
        values = kpi_values(
            keys=keys, subject=subject, period=state.period, ctx=state.ctx, comparisons=False
        )
        revenue, attainment, win_rate = values[:3]
        weighted = values[3] if len(values) > 3 else None
        rows.append(
            NodeRow(
                team=team,
                subject=subject,
                depth=depth,
                manager=team.manager.full_name if team.manager else "",
                revenue=revenue,
                attainment=attainment,
                weighted=weighted,
                win_rate=win_rate,
                revenue_text=format_value(revenue.kpi, revenue.value, currency),
                target_text=(
                    format_value(revenue.kpi, revenue.target, currency)
                    if revenue.target is not None
                    else "no target"
                ),
                attainment_text=format_value(attainment.kpi, attainment.value, currency),
                weighted_text=(
                    format_value(weighted.kpi, weighted.value, currency) if weighted else ""
                ),
                win_rate_text=format_value(win_rate.kpi, win_rate.value, currency),
                # A region opens this page for its own teams; a team opens its Team page.
                team_url=state.url(
                    "dashboards:team" if team.kind == TeamKind.TEAM else "dashboards:company",
                    subject=subject.spec,
                ),
                revenue_href=records_href(
                    kpi="revenue_won", period=state.period_param, subject=subject.spec
                ),
            )
        )
    children = [r for r in rows if r.depth == 1]
    figure = None
    if children:
        labels = [r.team.name for r in children]
        figure = horizontal_bars(
            labels,
            [r.revenue.value for r in children],
            colors=[STATUS_COLORS.get(r.revenue.status, STATUS_COLORS[None]) for r in children],
            text=[r.attainment_text for r in children],
            markers=[r.revenue.target for r in children],
            money=True,
        )
        figure["layout"]["margin"]["l"] = 170
    window = trend_window(state.period, state.ctx.calendar)
    trend_subjects = [rows[0]] + [r for r in rows if r.depth == 1] if rows else []
    trends = []
    for key in TREND_KEYS:
        kpi = kpi_get(key)
        series = []
        labels_out: list[str] = []
        for row in trend_subjects:
            points = kpi_trend(
                key=key,
                subject=row.subject,
                period=window.period,
                grain=window.grain,
                ctx=state.ctx,
            )
            labels_out = [p.period.label for p in points]
            series.append(
                (row.team.name if row.depth else row.subject.label, [p.value for p in points])
            )
        trends.append(
            (
                kpi.label,
                f"company-trend-{key}",
                trend_lines(kpi, series, labels_out),
                records_href(kpi=key, period=state.period_param, subject=state.subject.spec),
            )
        )
    return CompanyPage(
        tiles=kpi_tiles(state, subject=state.subject, keys=COMPANY_TILES, snapshot_trends=False),
        nodes=rows,
        revenue_figure=figure,
        trends=trends,
        trend_label=window.period.label,
        running=running_note(state),
        hidden_nodes=hidden,
    )
