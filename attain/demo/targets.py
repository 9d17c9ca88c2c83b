"""Demo targets for every rep, team and the company, the way a sales org usually sets them.

Quotas are equal per full-time rep (a role quota), scaled by FTE and by the share of the period the
rep was employed (new hires and leavers get pro-rated quotas). The revenue quota is the first
fiscal year's average revenue per rep-quarter plus 10 %, rounded to 1,000; activity targets are
8 calls and 1 meeting per working day. Team and company targets are the sums of their reps'
targets (by membership on the period's first day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from attain.core.bulk import bulk_insert
from attain.core.periods import FiscalCalendar, Period
from attain.metrics.engine.rollups import TeamLookup
from attain.metrics.models import PersonDay, SubjectKind, Target
from attain.org.models import Person, Role

REVENUE_UPLIFT = Decimal("1.10")
CALLS_PER_DAY = Decimal(8)
MEETINGS_PER_DAY = Decimal(1)
TARGET_COLUMNS = (
    "kpi",
    "subject_kind",
    "person_id",
    "team_id",
    "period_start",
    "period_end",
    "period_label",
    "value",
    "updated_at",
)


def _employed_share(person: Person, period: Period) -> Decimal:
    start = max(period.start, person.hire_date)
    end = min(period.end, person.leave_date) if person.leave_date else period.end
    if end <= start:
        return Decimal(0)
    return Decimal((end - start).days) / Decimal(period.days)


def revenue_quota(calendar: FiscalCalendar, first_year: int, reps: list[Person]) -> Decimal:
    """Average revenue per full-time rep-quarter in the first fiscal year, plus 10 %."""
    year = calendar.year(first_year)
    revenue = PersonDay.objects.filter(
        day__gte=year.start, day__lt=year.end, person__role=Role.REP
    ).aggregate(total=Sum("revenue_won"))["total"] or Decimal(0)
    rep_quarters = sum(
        (r.fte * _employed_share(r, q) for r in reps for q in calendar.quarters(first_year)),
        start=Decimal(0),
    )
    if not rep_quarters:
        return Decimal(0)
    quota = revenue / rep_quarters * REVENUE_UPLIFT
    return (quota / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000


def demo_targets_create(
    *, calendar: FiscalCalendar, first_year: int, last_year: int, stamp: object
) -> int:
    """Write quarterly revenue and monthly activity targets for reps, teams and the company."""
    reps = list(Person.objects.filter(role=Role.REP).order_by("id"))
    quota = revenue_quota(calendar, first_year, reps)
    lookup = TeamLookup.load()
    return bulk_insert(
        Target._meta.db_table,
        TARGET_COLUMNS,
        _rows(calendar, first_year, last_year, reps, quota, lookup, stamp),
    )


def _rows(
    calendar: FiscalCalendar,
    first_year: int,
    last_year: int,
    reps: list[Person],
    quota: Decimal,
    lookup: TeamLookup,
    stamp: object,
) -> Iterator[tuple[object, ...]]:
    plans: list[tuple[str, Period, Decimal]] = []
    for year in range(first_year, last_year + 1):
        plans += [("revenue_won", q, quota) for q in calendar.quarters(year)]
        for month in calendar.months(year):
            days = Decimal(calendar.working_days(month))
            plans.append(("calls", month, CALLS_PER_DAY * days))
            plans.append(("meetings", month, MEETINGS_PER_DAY * days))
    for kpi, period, per_rep in plans:
        nodes: dict[int | None, Decimal] = defaultdict(Decimal)
        for rep in reps:
            value = _round(per_rep * rep.fte * _employed_share(rep, period))
            if not value:
                continue
            yield (kpi, SubjectKind.PERSON, rep.pk, None, *_when(period), value, stamp)
            team_id = lookup.team_on(rep.pk, _first_employed_day(rep, period))
            for node in lookup.nodes_for(team_id):
                nodes[node] += value
        for node_id, total in nodes.items():
            kind = SubjectKind.COMPANY if node_id == lookup.root_id else SubjectKind.TEAM
            team = None if kind == SubjectKind.COMPANY else node_id
            yield (kpi, kind, None, team, *_when(period), total, stamp)


def _first_employed_day(person: Person, period: Period) -> date:
    return max(period.start, person.hire_date)


def _when(period: Period) -> tuple[date, date, str]:
    return period.start, period.end, period.label


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
