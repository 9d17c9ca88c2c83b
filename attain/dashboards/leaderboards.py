"""Leaderboards: any KPI for reps or teams, raw or normalised so people are compared fairly.

- **Raw**: the KPI's value (reps from `kpi_leaderboard`, teams from `kpi_values` per team).
- **Per FTE**: value ÷ FTE, so a half-time rep is compared with half a quota's effort. A team's FTE
  is the sum over its reps of FTE × the share of the period's (elapsed) working days they were in
  the team.
- **Per working day present**: value ÷ the working days (org calendar, holidays excluded) the rep
  was employed — and, for a team, in the team — within the period's elapsed part. A new hire in
  week 6 is measured over the days they were there.

Only additive KPIs (counts and sums) are normalised; a ratio, average or snapshot is already
comparable (win rate, deal size…) and is ranked as it is. Normalisation divides the value the
engine computed; it never recomputes the KPI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q

from attain.access.selectors import person_ids_visible
from attain.core.periods import FiscalCalendar, Period, PeriodKind
from attain.dashboards.charts import ACCENT, horizontal_bars
from attain.dashboards.state import PageState
from attain.dashboards.templatetags.dashboards import records_href
from attain.metrics.definitions.catalog import Aggregation, Direction, Kpi, Unit
from attain.metrics.engine.subjects import Subject
from attain.metrics.formatting import format_value
from attain.metrics.selectors import kpi_get, kpi_leaderboard, kpi_values
from attain.org.models import Person, Team, TeamKind, TeamMembership
from attain.org.selectors import team_of

NORMALISATIONS = {"raw": "Raw", "fte": "Per FTE", "day": "Per working day present"}
BOARDS = {"reps": "Reps", "teams": "Teams"}
CHART_ROWS = 15
ROW_LIMIT = 100  # reps shown before "show all" (a company board can have thousands)


@dataclass(frozen=True)
class BoardRow:
    rank: int | None
    name: str
    subject_spec: str
    raw: Decimal | None
    raw_text: str
    fte: Decimal | None
    days: int
    score: Decimal | None
    score_text: str
    href: str  # the records behind the raw value
    page_url: str  # the rep's or team's page
    is_viewer: bool


@dataclass(frozen=True)
class Board:
    kpi: Kpi
    board: str
    norm: str
    normalisable: bool
    rows: list[BoardRow]
    figure: dict[str, Any] | None
    own_rank: tuple[int | None, int] | None  # a rep's (rank, of how many), when others are hidden
    note: str
    total: int = 0  # rows before the ROW_LIMIT cut (0: not cut)
    all_url: str = ""  # the whole board, uncut

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def normalisable(kpi: Kpi) -> bool:
    return kpi.aggregation is Aggregation.SUM


def _measured_span(period: Period, today: date) -> tuple[date, date]:
    """The part of the period that has happened (all of it once it is over)."""
    return period.start, min(period.end, today + timedelta(days=1))


def working_days_between(calendar: FiscalCalendar, start: date, end: date) -> int:
    if end <= start:
        return 0
    return calendar.working_days(Period(PeriodKind.RANGE, start, end, ""))


def days_present(
    calendar: FiscalCalendar, span: tuple[date, date], hire: date, leave: date | None
) -> int:
    """Working days in the span while employed (hire date inclusive, leave date exclusive)."""
    start = max(span[0], hire)
    end = min(span[1], leave) if leave else span[1]
    return working_days_between(calendar, start, end)


def _score(
    kpi: Kpi, raw: Decimal | None, norm: str, fte: Decimal | None, days: int
) -> Decimal | None:
    if raw is None or norm == "raw" or not normalisable(kpi):
        return raw
    if norm == "fte":
        return (raw / fte).quantize(Decimal("0.01"), ROUND_HALF_UP) if fte else None
    return (raw / days).quantize(Decimal("0.01"), ROUND_HALF_UP) if days else None


def _score_text(kpi: Kpi, score: Decimal | None, norm: str, currency: str) -> str:
    if norm == "raw" or not normalisable(kpi) or score is None:
        return format_value(kpi, score, currency)
    per = "/FTE" if norm == "fte" else "/day"
    if kpi.unit is Unit.MONEY:
        return f"{format_value(kpi, score, currency)}{per}"
    return f"{score:,.2f}{per}"


def _ranked(rows: list[BoardRow], kpi: Kpi) -> list[BoardRow]:
    """Best first (by the score), equal scores share a rank, "no data" last and unranked."""
    higher = kpi.direction is Direction.HIGHER
    present = sorted(
        (r for r in rows if r.score is not None),
        key=lambda r: ((-r.score if higher else r.score), r.name),  # type: ignore[operator]
    )
    out: list[BoardRow] = []
    rank, previous = 0, None
    for position, row in enumerate(present, start=1):
        if row.score != previous:
            rank, previous = position, row.score
        out.append(_with_rank(row, rank))
    out += [_with_rank(r, None) for r in sorted(rows, key=lambda r: r.name) if r.score is None]
    return out


def _with_rank(row: BoardRow, rank: int | None) -> BoardRow:
    return BoardRow(**{**row.__dict__, "rank": rank})


def _scope_team(state: PageState) -> Team | None:
    """The team whose reps are ranked: the subject's team, a rep's own team, or everyone."""
    if state.subject.kind == "team" and state.subject.team_id is not None:
        return Team.objects.get(pk=state.subject.team_id)
    if state.subject.kind == "person" and state.subject.person_id is not None:
        person = Person.objects.get(pk=state.subject.person_id)
        return team_of(person, min(state.period.end - timedelta(days=1), state.today))
    return None


def _formatted(state: PageState, kpi: Kpi, norm: str, row: BoardRow) -> BoardRow:
    """The row's texts and links (built only for rows that are shown)."""
    return replace(
        row,
        raw_text=format_value(kpi, row.raw, state.currency),
        score_text=_score_text(kpi, row.score, norm, state.currency),
        href=records_href(kpi=kpi.key, period=state.period_param, subject=row.subject_spec),
        page_url=state.url("dashboards:me", subject=row.subject_spec),
    )


def rep_board(state: PageState, *, kpi: Kpi, norm: str, show_all: bool = False) -> Board:
    team = _scope_team(state)
    board = kpi_leaderboard(key=kpi.key, period=state.period, team=team, ctx=state.ctx)
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=[r.person_id for r in board]).only(
            "id", "hire_date", "leave_date", "fte", "email"
        )
    }
    span = _measured_span(state.period, state.today)
    calendar = state.ctx.calendar
    rows = []
    for entry in board:
        person = people[entry.person_id]
        days = days_present(calendar, span, person.hire_date, person.leave_date)
        rows.append(
            BoardRow(
                rank=None,
                name=entry.name,
                subject_spec=f"person:{entry.email}",
                raw=entry.value,
                raw_text="",  # formatted below, for the rows shown only
                fte=entry.fte,
                days=days,
                score=_score(kpi, entry.value, norm, entry.fte, days),
                score_text="",
                href="",
                page_url="",
                is_viewer=entry.person_id == state.viewer.person_id,
            )
        )
    ranked = _ranked(rows, kpi)
    visible = person_ids_visible(
        viewer=state.viewer, start=state.period.start, end=state.period.end
    )
    own_rank = None
    if visible is not None and not state.viewer.is_manager:
        # A rep sees where they stand, not the others' names or numbers.
        mine = [r for r in ranked if r.is_viewer]
        own_rank = (mine[0].rank if mine else None, sum(1 for r in ranked if r.rank is not None))
    if visible is not None:
        ids = {p.email for p in Person.objects.filter(pk__in=visible).only("email")}
        ranked = [r for r in ranked if r.subject_spec.removeprefix("person:") in ids]
    total = len(ranked)
    if not show_all and total > ROW_LIMIT:
        shown = ranked[:ROW_LIMIT]
        shown += [r for r in ranked[ROW_LIMIT:] if r.is_viewer]  # your own row, wherever it is
        ranked = shown
    ranked = [_formatted(state, kpi, norm, row) for row in ranked]
    board_out = _board(state, kpi, "reps", norm, ranked, own_rank)
    return replace(board_out, total=total)


def team_board(state: PageState, *, kpi: Kpi, norm: str) -> Board:
    """Teams (the smallest units, kind "team") under the subject, each over its whole subtree."""
    teams = Team.objects.filter(kind=TeamKind.TEAM).order_by("name")
    if state.subject.kind == "team":
        teams = teams.filter(path__startswith=state.subject.team_path)
    elif state.subject.kind != "company":
        teams = teams.none()
    team_list = list(teams)
    span = _measured_span(state.period, state.today)
    calendar = state.ctx.calendar
    span_days = working_days_between(calendar, *span)
    memberships = (
        TeamMembership.objects.filter(
            team__in=team_list, start_date__lt=span[1], person__role="rep"
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=span[0]))
        .select_related("person", "team")
    )
    rep_days: dict[int, int] = {}
    fte_days: dict[int, Decimal] = {}
    for m in memberships:
        start = max(span[0], m.start_date, m.person.hire_date)
        end = min(d for d in (span[1], m.end_date, m.person.leave_date) if d is not None)
        days = working_days_between(calendar, start, end)
        rep_days[m.team_id] = rep_days.get(m.team_id, 0) + days
        fte_days[m.team_id] = fte_days.get(m.team_id, Decimal(0)) + m.person.fte * days
    rows = []
    for team in team_list:
        subject = Subject.for_team(team)
        value = kpi_values(
            keys=[kpi.key], subject=subject, period=state.period, ctx=state.ctx, comparisons=False
        )[0].value
        fte = (
            (fte_days.get(team.pk, Decimal(0)) / span_days).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if span_days
            else None
        )
        days = rep_days.get(team.pk, 0)
        score = _score(kpi, value, norm, fte, days)
        rows.append(
            BoardRow(
                rank=None,
                name=team.name,
                subject_spec=subject.spec,
                raw=value,
                raw_text=format_value(kpi, value, state.currency),
                fte=fte,
                days=days,
                score=score,
                score_text=_score_text(kpi, score, norm, state.currency),
                href=records_href(kpi=kpi.key, period=state.period_param, subject=subject.spec),
                page_url=state.url("dashboards:team", subject=subject.spec),
                is_viewer=False,
            )
        )
    return _board(state, kpi, "teams", norm, _ranked(rows, kpi), None)


def _board(
    state: PageState,
    kpi: Kpi,
    board: str,
    norm: str,
    rows: list[BoardRow],
    own_rank: tuple[int | None, int] | None,
) -> Board:
    top = [r for r in rows if r.score is not None][:CHART_ROWS]
    figure = (
        horizontal_bars(
            [r.name for r in top],
            [r.score for r in top],
            colors=["#059669" if r.is_viewer else ACCENT for r in top],
            text=[r.score_text for r in top],
            money=kpi.unit is Unit.MONEY,
        )
        if top and own_rank is None
        else None
    )
    if figure is not None and kpi.unit is Unit.RATIO:
        figure["layout"]["xaxis"]["tickformat"] = ".0%"
    note = ""
    if norm != "raw" and not normalisable(kpi):
        note = f"{kpi.label} is a ratio, average or snapshot, so it is ranked as it is."
    return Board(
        kpi=kpi,
        board=board,
        norm=norm,
        normalisable=normalisable(kpi),
        rows=rows,
        figure=figure,
        own_rank=own_rank,
        note=note,
    )


def leaderboard(
    state: PageState, *, key: str, board: str, norm: str, show_all: bool = False
) -> Board:
    kpi = kpi_get(key)
    if board == "teams":
        return team_board(state, kpi=kpi, norm=norm)
    result = rep_board(state, kpi=kpi, norm=norm, show_all=show_all)
    all_url = state.url("dashboards:leaderboards", kpi=kpi.key, board=board, norm=norm, all="1")
    return replace(result, all_url=all_url)
