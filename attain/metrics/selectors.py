"""Reading KPIs: value with target, pace, status and comparisons; trends; leaderboards; records.

This is the one door to every figure in Attain (dashboards, the CLI, later alerts and pay).
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple, cast

from attain.core.errors import NotFound
from attain.core.periods import Period, PeriodError, PeriodKind
from attain.metrics.definitions.catalog import CATALOG, KPIS, Aggregation, Direction, Kpi, StepValue
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.facts import FACT_NAMES
from attain.metrics.engine.factsql import REP_SUMS, RepRow, facts_by_group, reps_with_facts
from attain.metrics.engine.measures import (
    FactsView,
    Measures,
    NotFromFacts,
    Number,
    fact_queryset,
    fact_source,
    measures_preload,
    sum_facts,
    target_resolve,
)
from attain.metrics.engine.rawsql import person_target_rows
from attain.metrics.engine.records import records_for
from attain.metrics.engine.subjects import Subject
from attain.org.models import Team


class Status:
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"


def kpi_get(key: str) -> Kpi:
    """The declared KPI, or NotFound naming the closest keys."""
    kpi = KPIS.get(key.strip().lower())
    if kpi is None:
        close = difflib.get_close_matches(key.strip().lower(), list(KPIS), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise NotFound(f"No KPI is named {key!r}.{hint} `attain kpi list` shows them all.")
    return kpi


def kpi_catalog() -> tuple[Kpi, ...]:
    return CATALOG


@dataclass(frozen=True)
class KpiValue:
    kpi: Kpi
    subject: Subject
    period: Period
    value: Decimal | None
    target: Decimal | None
    pace: Decimal | None
    projected: Decimal | None
    status: str | None
    previous: Decimal | None
    last_year: Decimal | None
    breakdown: tuple[StepValue, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: decimals as strings, so money keeps its cents exactly."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        data: dict[str, Any] = {
            "kpi": self.kpi.key,
            "subject": self.subject.spec,
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "value": text(self.value),
            "unit": self.kpi.unit.value,
            "target": text(self.target),
            "pace": text(self.pace),
            "projected": text(self.projected),
            "status": self.status,
            "previous": text(self.previous),
            "last_year": text(self.last_year),
        }
        if self.breakdown:
            data["breakdown"] = [
                {
                    "label": step.label,
                    "value": text(step.value),
                    "count": step.count,
                    "rate": text(step.rate.quantize(Decimal("0.0001")) if step.rate else None),
                }
                for step in self.breakdown
            ]
        return data


def _evaluate(kpi: Kpi, measures: Measures) -> Decimal | None:
    return kpi.quantize(kpi.compute(measures))


def _status(
    kpi: Kpi, value: Decimal | None, pace: Decimal | None, ctx: MetricsContext
) -> str | None:
    if value is None or pace is None:
        return None
    if kpi.direction is Direction.HIGHER:
        if pace == 0:
            return Status.ON_TRACK
        score = value / pace
    else:
        score = Decimal(1) if value == 0 else pace / value
    if score >= ctx.settings.on_track:
        return Status.ON_TRACK
    if score >= ctx.settings.at_risk:
        return Status.AT_RISK
    return Status.BEHIND


def _elapsed_share(measures: Measures) -> Decimal | None:
    if not measures.working_days:
        return None
    return Decimal(measures.working_days_elapsed) / Decimal(measures.working_days)


def _target_pace_projection(
    kpi: Kpi, value: Decimal | None, measures: Measures
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(target, pace, projected) as the KPI's nature allows."""
    share = _elapsed_share(measures)
    if kpi.target_key is not None:  # a ratio to another KPI's target: the target is 100 %
        if measures.target(kpi.target_key) is None:
            return None, None, None
        pace = kpi.quantize(share) if share is not None else None
        projected = kpi.quantize(value / share) if value is not None and share else None
        return Decimal(1), pace, projected
    target = measures.target(kpi.key)
    if kpi.aggregation is Aggregation.SUM:
        pace = kpi.quantize(target * share) if target is not None and share is not None else None
        projected = kpi.quantize(value / share) if value is not None and share else None
        return target, pace, projected
    return target, target, None


def kpi_value(
    *,
    key: str,
    subject: Subject,
    period: Period,
    ctx: MetricsContext | None = None,
    comparisons: bool = True,
) -> KpiValue:
    """One KPI for one subject and period, with target, pace, status and comparisons."""
    return kpi_values(keys=[key], subject=subject, period=period, ctx=ctx, comparisons=comparisons)[
        0
    ]


def kpi_values(
    *,
    keys: list[str],
    subject: Subject,
    period: Period,
    ctx: MetricsContext | None = None,
    comparisons: bool = True,
) -> list[KpiValue]:
    """Several KPIs for one subject and period, sharing one read of the rollups."""
    ctx = ctx or MetricsContext.load()
    kpis = [kpi_get(key) for key in keys]
    measures = Measures(subject, period, ctx)
    previous = last_year = None
    if comparisons:
        previous = _shifted(ctx.calendar.previous, subject, period, ctx)
        last_year = _shifted(ctx.calendar.same_period_last_year, subject, period, ctx)
    # Facts and targets of all three periods in one query each, not one per period and KPI.
    measures_preload(
        [m for m in (measures, previous, last_year) if m is not None],
        facts=any(kpi.facts for kpi in kpis),
        target_keys=_target_keys(kpis),
        shared=comparisons or len(kpis) > 1,
        many_kpis=len(kpis) > 1,
    )
    results = []
    for kpi in kpis:
        value = _evaluate(kpi, measures)
        target, pace, projected = _target_pace_projection(kpi, value, measures)
        if not kpi.pace:
            pace = target if kpi.target_key is None else pace
        results.append(
            KpiValue(
                kpi=kpi,
                subject=subject,
                period=period,
                value=value,
                target=target,
                pace=pace,
                projected=projected,
                status=_status(kpi, value, pace, ctx),
                previous=_evaluate(kpi, previous) if previous is not None else None,
                last_year=_evaluate(kpi, last_year) if last_year is not None else None,
                breakdown=tuple(kpi.breakdown(measures)) if kpi.breakdown else (),
            )
        )
    return results


def _target_keys(kpis: list[Kpi]) -> set[str]:
    """Every target the KPIs' formulas and paces may read (attainment reads revenue's)."""
    return (
        {kpi.key for kpi in kpis} | {k.target_key for k in kpis if k.target_key} | {"revenue_won"}
    )


def _shifted(
    shift: Callable[[Period], Period], subject: Subject, period: Period, ctx: MetricsContext
) -> Measures | None:
    """Measures for the comparison period, or None when the calendar has no such period."""
    try:
        return Measures(subject, shift(period), ctx)
    except PeriodError:
        return None


# ----------------------------------------------------------------------------- trends


@dataclass(frozen=True)
class TrendPoint:
    period: Period
    value: Decimal | None


def kpi_trend(
    *,
    key: str,
    subject: Subject,
    period: Period,
    grain: PeriodKind,
    ctx: MetricsContext | None = None,
) -> list[TrendPoint]:
    """The KPI for each fiscal week, month or quarter of the period (clipped at its edges)."""
    ctx = ctx or MetricsContext.load()
    kpi = kpi_get(key)
    buckets = ctx.calendar.subperiods(period, grain)
    if not kpi.from_rollups_only:
        return [TrendPoint(p, _evaluate(kpi, Measures(subject, p, ctx))) for p in buckets]
    starts = [p.start for p in buckets]
    totals: list[dict[str, Number]] = [_zero_facts() for _ in buckets]
    kind, source_id = fact_source(subject, ctx)
    by_day = facts_by_group(
        kind=kind,
        key=source_id,
        start=period.start,
        end=period.end,
        group="day",
        names=kpi.facts,
    )
    for day, facts in by_day.items():
        bucket = totals[bisect.bisect_right(starts, day) - 1]
        for name, value in facts.items():
            bucket[name] += value
    return [
        TrendPoint(p, _evaluate(kpi, Measures(subject, p, ctx, facts=facts)))
        for p, facts in zip(buckets, totals, strict=True)
    ]


def _zero_facts() -> dict[str, Number]:
    return dict.fromkeys(FACT_NAMES, 0)


# ----------------------------------------------------------------------------- leaderboards


class LeaderboardRow(NamedTuple):
    """One rep on a board (a NamedTuple: a company board builds thousands, twice as fast as a
    frozen dataclass)."""

    rank: int | None
    person_id: int
    name: str
    email: str
    fte: Decimal
    value: Decimal | None


def kpi_leaderboard(
    *,
    key: str,
    period: Period,
    team: Team | None = None,
    limit: int | None = None,
    ctx: MetricsContext | None = None,
) -> list[LeaderboardRow]:
    """Reps ranked by a KPI (best first; "no data" last, unranked).

    With a team, each rep's figure counts only what they did while in its subtree. A KPI made of
    rollup facts is one grouped read for everyone; other KPIs are computed rep by rep.
    """
    rows = kpi_leaderboards(keys=[key], period=period, team=team, ctx=ctx)[kpi_get(key).key]
    return rows[:limit] if limit else rows


def kpi_leaderboards(
    *,
    keys: list[str],
    period: Period,
    team: Team | None = None,
    ctx: MetricsContext | None = None,
) -> dict[str, list[LeaderboardRow]]:
    """Several leaderboards over the same reps: one statement reads the reps with the summed
    rollup facts every rollup KPI among `keys` needs (a rep comparison table asks for eight)."""
    ctx = ctx or MetricsContext.load()
    kpis = [kpi_get(key) for key in keys]
    scope = (period.start, period.end, team.path if team is not None else None)
    # Boards already computed in this request (a page's rep table and funnel share columns).
    cached: dict[str, list[LeaderboardRow]] = {
        kpi.key: ctx.cache[("leaderboard", kpi.key, scope)]
        for kpi in kpis
        if ("leaderboard", kpi.key, scope) in ctx.cache
    }
    todo = [kpi for kpi in kpis if kpi.key not in cached]
    if not todo:
        return cached
    names = sorted({name for kpi in todo if kpi.from_rollups_only for name in kpi.facts})
    people = reps_with_facts(
        start=period.start,
        end=period.end,
        names=names,
        start_month=ctx.org.fiscal_year_start_month,
        team_path=team.path if team is not None else None,
    )
    boards = dict(cached)
    for kpi in todo:
        if kpi.from_rollups_only:
            values = _rollup_values(kpi, people, names, period, ctx)
        else:
            values = [_evaluate(kpi, Measures(_rep_subject(rep), period, ctx)) for rep in people]
        boards[kpi.key] = _ranked_rows(kpi, people, values)
        ctx.cache[("leaderboard", kpi.key, scope)] = boards[kpi.key]
    return {kpi.key: boards[kpi.key] for kpi in kpis}


def _rep_subject(rep: RepRow) -> Subject:
    pk, full_name, email = rep[:3]
    return Subject(kind="person", label=full_name, spec=f"person:{email}", person_id=pk)


def _rollup_values(
    kpi: Kpi, people: list[RepRow], names: list[str], period: Period, ctx: MetricsContext
) -> list[Decimal | None]:
    """Each rep's value (in `people` order) of a KPI made of rollup facts.

    A formula that reads only facts gives equal values for equal facts, so it runs once per
    distinct set of the KPI's facts (win rate: a few hundred (won, lost) pairs among 2,000 reps),
    through a FactsView on a row that has them, not with a Subject and Measures per rep. Reps
    whose formula asks for more (quota attainment reads the rep's target) are evaluated each
    with a full Measures.
    """
    positions = {name: REP_SUMS + names.index(name) for name in kpi.facts}
    keys = list(map(itemgetter(*positions.values()), people))  # the KPI's own facts, per rep
    view = FactsView(positions, Measures(Subject.company(), period, ctx))
    by_facts: dict[Any, Decimal | None] = {}
    per_rep: set[Any] = set()
    for key, rep in dict(zip(keys, people, strict=True)).items():  # one rep per distinct key
        view.sums = rep
        try:
            by_facts[key] = _evaluate(kpi, cast(Measures, view))
        except NotFromFacts:
            per_rep.add(key)
    if not per_rep:
        return [by_facts[key] for key in keys]
    # Their targets in one read for all of them, not one query per rep.
    target_keys = sorted(_target_keys([kpi]))
    targets = person_target_rows(
        target_keys,
        [rep[0] for key, rep in zip(keys, people, strict=True) if key in per_rep],
        period.start,
        period.end,
    )
    values: list[Decimal | None] = []
    for key, rep in zip(keys, people, strict=True):
        if key not in per_rep:
            values.append(by_facts[key])
            continue
        m = Measures(
            _rep_subject(rep), period, ctx, facts={n: rep[i] for n, i in positions.items()}
        )
        rows = targets.get(rep[0], [])
        m._targets.update({k: target_resolve(k, period, rows) for k in target_keys})
        values.append(_evaluate(kpi, m))
    return values


def _ranked_rows(
    kpi: Kpi, people: list[RepRow], values: list[Decimal | None]
) -> list[LeaderboardRow]:
    """Best first, equal values sharing a rank and ordered by name; "no data" last, unranked.

    `people` come by name (code-point order, then id), and a stable sort by value keeps that
    order among equal values. Positions are sorted, not (value, rep) pairs: thousands of pairs
    would cost their allocation and wake the garbage collector.
    """
    ranked = [i for i, value in enumerate(values) if value is not None]
    scores = cast(list[Decimal], values)  # at the positions in `ranked`, never None
    ranked.sort(key=scores.__getitem__, reverse=kpi.direction is Direction.HIGHER)
    # Rows made as tuples of the NamedTuple's class (what `_make` does, without its per-row
    # call and length check); equal values are adjacent now, and each shares the rank of the
    # first (1, 2, 2, 4, …). A RepRow starts with the row's fields after the rank.
    new, row = tuple.__new__, LeaderboardRow
    rows_out: list[LeaderboardRow] = []
    append = rows_out.append
    rank, previous = 0, None
    for position, i in enumerate(ranked, start=1):
        value = scores[i]
        if value != previous:
            rank, previous = position, value
        rep = people[i]
        append(new(row, (rank, rep[0], rep[1], rep[2], rep[3], value)))
    rows_out += [
        new(row, (None, rep[0], rep[1], rep[2], rep[3], None))
        for rep, value in zip(people, values, strict=True)
        if value is None
    ]
    return rows_out


# ----------------------------------------------------------------------------- drill-down


@dataclass(frozen=True)
class RecordPage:
    model: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def kpi_records(
    *,
    key: str,
    subject: Subject,
    period: Period,
    page: int = 1,
    page_size: int = 50,
    ctx: MetricsContext | None = None,
) -> RecordPage:
    """The records behind a KPI value, one page at a time."""
    ctx = ctx or MetricsContext.load()
    kpi = kpi_get(key)
    record_set = records_for(kpi.records, Measures(subject, period, ctx))
    page = max(1, page)
    offset = (page - 1) * page_size
    rows = list(record_set.queryset.values(*record_set.columns)[offset : offset + page_size])
    return RecordPage(
        model=record_set.model,
        columns=record_set.columns,
        rows=rows,
        page=page,
        page_size=page_size,
        total=record_set.queryset.count(),
    )


def facts_for(subject: Subject, start: date, end: date) -> dict[str, Number]:
    """The subject's summed rollup facts in [start, end) (for verification and debugging)."""
    return sum_facts(fact_queryset(subject, start, end))
