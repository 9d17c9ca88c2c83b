"""The Team page's rep comparison and funnel by rep, in a fixed number of queries.

Values come from `kpi_leaderboards` (every column in one call: one read of the reps and one of the
rollup facts all rollup columns need).
Status colours need each rep's target and pace; `kpi_value` would read targets once per rep, so
`targets_for_people` reads them for all reps in one query with the engine's rule (the exact
period's target, or targets that tile it), and `cell_status` applies the engine's pace and
thresholds. tests/dashboards/test_team.py proves both agree with `kpi_value` for every rep.

Known cost: a KPI that is not a function of rollup facts (medians, snapshots, follow-up rate…)
makes `kpi_leaderboards` evaluate each rep separately, so picking such a column costs a few queries
per rep. The default columns are all rollup KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from attain.access.selectors import person_ids_visible
from attain.core.errors import ValidationFailed
from attain.core.periods import Period
from attain.dashboards.charts import heatmap
from attain.dashboards.state import PageState
from attain.dashboards.templatetags.dashboards import records_href
from attain.metrics.definitions.catalog import Aggregation, Direction, Kpi
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.measures import target_resolve
from attain.metrics.engine.rawsql import TargetRow
from attain.metrics.formatting import format_value
from attain.metrics.models import SubjectKind, Target
from attain.metrics.selectors import LeaderboardRow, kpi_catalog, kpi_get, kpi_leaderboards
from attain.org.models import Team

DEFAULT_COLUMNS = (
    "revenue_won",
    "quota_attainment",
    "deals_won",
    "win_rate",
    "avg_deal_size",
    "sales_cycle_days",
    "pipeline_created",
    "calls",
    "meetings",
)
MAX_COLUMNS = 12
ROW_LIMIT = 100  # rows shown unless `all=1`: a company of 2,000 reps is a list nobody reads
FUNNEL_REPS = 40  # reps in the funnel heat map: those with the most leads and calls
WEAK_STEP = Decimal("0.8")  # a rep's step rate under 80 % of the team's is called out
FUNNEL_STEPS = (
    ("leads", "Leads"),
    ("calls", "Calls"),
    ("meetings", "Meetings"),
    ("quotes", "Quotes"),
    ("deals_won", "Won"),
)


def targets_for_people(*, key: str, person_ids: list[int], period: Period) -> dict[int, Decimal]:
    """Each person's target for the period: exact, or the sum of targets tiling it (one query)."""
    return targets_for_people_many(keys=[key], person_ids=person_ids, period=period)[key]


def targets_for_people_many(
    *, keys: list[str], person_ids: list[int] | None, period: Period
) -> dict[str, dict[int, Decimal]]:
    """Per KPI key, each person's target for the period, all in one query (`person_ids` None:
    everyone's, without a long id list)."""
    rows = Target.objects.filter(
        kpi__in=sorted(set(keys)),
        subject_kind=SubjectKind.PERSON,
        period_start__gte=period.start,
        period_end__lte=period.end,
    )
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    by_person: dict[tuple[str, int], list[TargetRow]] = {}
    for key, person_id, start, end, value in rows.values_list(
        "kpi", "person_id", "period_start", "period_end", "value"
    ):
        by_person.setdefault((key, person_id), []).append((key, start, end, value))
    targets: dict[str, dict[int, Decimal]] = {key: {} for key in keys}
    for (key, person_id), spans in by_person.items():
        # The engine's own rule (exact period, else targets tiling it), per person.
        target = target_resolve(key, period, spans)
        if target is not None:
            targets[key][person_id] = target
    return targets


def elapsed_share(period: Period, ctx: MetricsContext) -> Decimal | None:
    days = ctx.calendar.working_days(period)
    if not days:
        return None
    return Decimal(ctx.calendar.working_days_elapsed(period, ctx.today)) / Decimal(days)


def cell_status(
    kpi: Kpi,
    value: Decimal | None,
    target: Decimal | None,
    share: Decimal | None,
    ctx: MetricsContext,
) -> str | None:
    """The engine's status rule: value against pace (target × elapsed share for summed KPIs)."""
    if value is None or target is None:
        return None
    if kpi.target_key is not None:
        pace = kpi.quantize(share) if share is not None else None
    elif kpi.aggregation is Aggregation.SUM and kpi.pace:
        pace = kpi.quantize(target * share) if share is not None else None
    else:
        pace = target
    if pace is None:
        return None
    if kpi.direction is Direction.HIGHER:
        if pace == 0:
            return "on_track"
        score = value / pace
    else:
        score = Decimal(1) if value == 0 else pace / value
    if score >= ctx.settings.on_track:
        return "on_track"
    if score >= ctx.settings.at_risk:
        return "at_risk"
    return "behind"


@dataclass(frozen=True)
class Cell:
    value: Decimal | None
    text: str
    status: str | None
    href: str


@dataclass(frozen=True)
class RepRow:
    person_id: int
    name: str
    email: str
    cells: list[Cell]
    href: str  # the rep's My performance page with this state


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    description: str
    page_url: str  # the whole Team page sorted by this column (works without JavaScript)
    partial_url: str  # the table alone, for htmx
    sorted_dir: str | None  # "asc" / "desc" when the table is sorted by it


@dataclass(frozen=True)
class RepTable:
    keys: list[str]  # the KPI columns, in order
    columns: list[Column]
    rows: list[RepRow]
    total: int  # reps in the comparison (rows may show the first ROW_LIMIT of them)
    all_url: str
    sort: str
    direction: str
    all_kpis: tuple[Kpi, ...]
    selected: frozenset[str]


def parse_columns(values: list[str]) -> list[str]:
    """The `col` parameters (each may hold comma-separated keys); unknown keys are a 400."""
    keys: list[str] = []
    for value in values:
        for key in value.split(","):
            key = key.strip().lower()
            if key and key not in keys:
                keys.append(key)
    problems = []
    for key in keys:
        try:
            kpi_get(key)
        except Exception as error:  # NotFound names the closest keys
            problems.append(str(error))
    if problems:
        raise ValidationFailed({"col": " ".join(problems)})
    if len(keys) > MAX_COLUMNS:
        raise ValidationFailed({"col": f"at most {MAX_COLUMNS} columns at once"})
    return keys or list(DEFAULT_COLUMNS)


def _team(state: PageState) -> Team | None:
    if state.subject.kind == "team" and state.subject.team_id is not None:
        return Team.objects.get(pk=state.subject.team_id)
    return None


def _leaderboards(
    state: PageState, keys: list[str], team: Team | None
) -> tuple[list[LeaderboardRow], dict[str, dict[int, Decimal | None]]]:
    """The leaderboards of every key in one engine call; the people are the same for all."""
    boards = kpi_leaderboards(keys=keys, period=state.period, team=team, ctx=state.ctx)
    values: dict[str, dict[int, Decimal | None]] = {
        key: {row.person_id: row.value for row in rows} for key, rows in boards.items()
    }
    people: list[LeaderboardRow] = sorted(boards[keys[0]], key=lambda r: r.name) if keys else []
    return people, values


def rep_table(
    state: PageState, *, keys: list[str], sort: str, direction: str, show_all: bool = False
) -> RepTable:
    """One row per rep in the subject's team during the period, one cell per chosen KPI (the
    first ROW_LIMIT rows in the chosen order unless `show_all`)."""
    team = _team(state)
    need = list(keys)
    if "quota_attainment" in need and "revenue_won" not in need:
        need.append("revenue_won")
    board_keys = [k for k in need if k != "quota_attainment"] or ["revenue_won"]
    people, values = _leaderboards(state, board_keys, team)
    visible = person_ids_visible(
        viewer=state.viewer, start=state.period.start, end=state.period.end
    )
    people = [p for p in people if visible is None or p.person_id in visible]
    ids = [p.person_id for p in people]
    share = elapsed_share(state.period, state.ctx)
    target_keys: dict[str, str] = {}  # column → whose target it is measured against
    for key in keys:
        kpi = kpi_get(key)
        if kpi.target_key is not None or kpi.aggregation is Aggregation.SUM:
            target_keys[key] = kpi.target_key or key
    if "quota_attainment" in keys:
        # Sorting by attainment needs every rep's revenue target; other targets only colour the
        # rows shown, so they are read after the cut.
        goal = targets_for_people_many(
            keys=["revenue_won"],
            person_ids=None if visible is None and team is None else ids,
            period=state.period,
        )["revenue_won"]
        attainment_kpi = kpi_get("quota_attainment")
        revenue = values["revenue_won"]
        values["quota_attainment"] = {
            pid: attainment_kpi.quantize((revenue.get(pid) or Decimal(0)) / goal[pid])
            if goal.get(pid)
            else None
            for pid in ids
        }
    # Sort and cut on the bare values first: formatting, status and links are built only for the
    # rows shown (a company of 2,000 reps shows ROW_LIMIT of them unless `show_all`).
    people = _sorted_people(people, values, keys, sort, direction)
    total = len(people)
    if not show_all:
        people = people[:ROW_LIMIT]
    by_key = targets_for_people_many(
        keys=list(target_keys.values()),
        person_ids=[p.person_id for p in people],
        period=state.period,
    )
    targets: dict[str, dict[int, Decimal]] = {
        key: by_key[target_key] for key, target_key in target_keys.items()
    }
    rows = []
    for person in people:
        cells = []
        for key in keys:
            kpi = kpi_get(key)
            value = values[key].get(person.person_id)
            target_map = targets.get(key, {})
            target = target_map.get(person.person_id)
            if kpi.target_key is not None:
                target = Decimal(1) if target is not None else None
            cells.append(
                Cell(
                    value,
                    format_value(kpi, value, state.currency),
                    cell_status(kpi, value, target, share, state.ctx),
                    records_href(
                        kpi=key, period=state.period_param, subject=f"person:{person.email}"
                    ),
                )
            )
        rows.append(
            RepRow(
                person_id=person.person_id,
                name=person.name,
                email=person.email,
                cells=cells,
                href=state.url("dashboards:me", subject=f"person:{person.email}"),
            )
        )
    columns = [_column(state, keys, "name", "Rep", "", sort, direction)]
    for key in keys:
        kpi = kpi_get(key)
        columns.append(_column(state, keys, key, kpi.label, kpi.description, sort, direction))
    return RepTable(
        keys=list(keys),
        columns=columns,
        rows=rows,
        total=total,
        all_url=state.url("dashboards:team", sort=sort, dir=direction, col=",".join(keys), all="1")
        + "#reps",
        sort=sort,
        direction=direction,
        all_kpis=kpi_catalog(),
        selected=frozenset(keys),
    )


def _column(
    state: PageState,
    keys: list[str],
    key: str,
    label: str,
    description: str,
    sort: str,
    direction: str,
) -> Column:
    """A header: clicking it sorts by it (best first), clicking again flips the direction."""
    first = "asc" if key == "name" else "desc"
    flipped = "asc" if direction == "desc" else "desc"
    next_dir = flipped if sort == key else first
    params = {"sort": key, "dir": next_dir, "col": ",".join(keys)}
    return Column(
        key=key,
        label=label,
        description=description,
        page_url=state.url("dashboards:team", **params) + "#reps",
        partial_url=state.url("dashboards:team_reps", **params),
        sorted_dir=direction if sort == key else None,
    )


def _sorted_people(
    people: list[LeaderboardRow],
    values: dict[str, dict[int, Decimal | None]],
    keys: list[str],
    sort: str,
    direction: str,
) -> list[LeaderboardRow]:
    """Sort by a KPI column ("no data" always last) or by name; ties by name."""
    if sort == "name" or sort not in keys:
        return sorted(people, key=lambda p: p.name, reverse=direction == "desc")
    column = values[sort]
    present = [p for p in people if column.get(p.person_id) is not None]
    missing = [p for p in people if column.get(p.person_id) is None]
    present.sort(key=lambda p: p.name)
    present.sort(key=lambda p: column[p.person_id], reverse=direction == "desc")  # type: ignore[arg-type,return-value]
    return present + sorted(missing, key=lambda p: p.name)


# ----------------------------------------------------------------------------- funnel by rep


@dataclass(frozen=True)
class FunnelByRep:
    steps: list[str]
    figure: dict[str, Any] | None
    weakest: list[tuple[str, str]]  # (rep, the step where they convert worst against the team)
    out_of: int = 0  # reps in the team (the map shows FUNNEL_REPS of them at most)

    @property
    def capped(self) -> bool:
        return self.out_of > FUNNEL_REPS


def _rate(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def funnel_by_rep(state: PageState) -> FunnelByRep:
    """Each rep's conversion at every funnel step, coloured against the team's own conversion.

    Counts come from one leaderboard per step KPI; a step's conversion is its volume ÷ the previous
    step's (the catalog's `funnel_conversion` breakdown rule). The colour is the rep's rate ÷ the
    team's rate, so the step where a rep falls furthest behind the team stands out.
    """
    team = _team(state)
    keys = [key for key, _ in FUNNEL_STEPS]
    people, counts = _leaderboards(state, keys, team)
    visible = person_ids_visible(
        viewer=state.viewer, start=state.period.start, end=state.period.end
    )
    people = [p for p in people if visible is None or p.person_id in visible]
    steps = [
        f"{FUNNEL_STEPS[i - 1][1]} → {FUNNEL_STEPS[i][1]}" for i in range(1, len(FUNNEL_STEPS))
    ]
    short = [f"→ {FUNNEL_STEPS[i][1]}" for i in range(1, len(FUNNEL_STEPS))]
    totals = {
        key: sum((counts[key].get(p.person_id) or 0 for p in people), start=Decimal(0))
        for key in keys
    }
    team_rates = [_rate(totals[keys[i]], totals[keys[i - 1]]) for i in range(1, len(keys))]
    ratio_kpi = kpi_get("win_rate")
    shown_out_of = len(people)
    if len(people) > FUNNEL_REPS:
        volume = {
            p.person_id: sum(counts[k].get(p.person_id) or 0 for k in keys[:2]) for p in people
        }
        people = sorted(people, key=lambda p: (-volume[p.person_id], p.name))[:FUNNEL_REPS]
        people.sort(key=lambda p: p.name)
    z_rows: list[list[Decimal | None]] = []
    text_rows: list[list[str]] = []
    weakest: list[tuple[str, str]] = []
    for person in people:
        z_row: list[Decimal | None] = []
        text_row: list[str] = []
        worst: tuple[Decimal, str] | None = None
        for i in range(1, len(keys)):
            rate = _rate(
                counts[keys[i]].get(person.person_id), counts[keys[i - 1]].get(person.person_id)
            )
            team_rate = team_rates[i - 1]
            relative = (rate / team_rate) if rate is not None and team_rate else None
            z_row.append(min(relative, Decimal(2)) / 2 if relative is not None else None)
            text_row.append(
                format_value(ratio_kpi, rate, state.currency) if rate is not None else "—"
            )
            if relative is not None and (worst is None or relative < worst[0]):
                worst = (relative, steps[i - 1])
        z_rows.append(z_row)
        text_rows.append(text_row)
        if worst is not None and worst[0] < WEAK_STEP:
            weakest.append((person.name, worst[1]))
    names = [p.name for p in people]
    z_rows.append([Decimal("0.5") if r is not None else None for r in team_rates])
    text_rows.append(
        [format_value(ratio_kpi, r, state.currency) if r is not None else "—" for r in team_rates]
    )
    names.append("Team")
    figure = heatmap(names, short, z_rows, text_rows) if people else None
    return FunnelByRep(steps=steps, figure=figure, weakest=weakest, out_of=shown_out_of)


def funnel_href(state: PageState) -> str:
    return records_href(
        kpi="funnel_conversion", period=state.period_param, subject=state.subject.spec
    )
