"""Data quality: the CRM-discipline KPIs for a subject, per team of its subtree and per rep.

The figures are the catalog's own (`stalled_deals`, `deals_missing_next_step`,
`deals_past_close_date` and the `dq_*` shares), computed by each KPI's `compute` over counts that
come from the engine's flag querysets grouped by owner — a handful of queries for any number of
reps, instead of one `kpi_value` per row. Like the KPIs, they describe today, with today's team
membership, whatever period is picked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from attain.core.errors import ValidationFailed
from attain.core.periods import Period
from attain.metrics.definitions.catalog import KPIS, Kpi
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.measures import Measures
from attain.metrics.engine.subjects import Subject
from attain.org.models import Person, Team, TeamMembership

# The columns, in order: (kpi key, short heading).
QUALITY_KPIS: tuple[tuple[str, str], ...] = (
    ("dq_no_next_step_share", "No next step, share"),
    ("dq_stale_close_date_share", "Stale close date, share"),
    ("dq_no_recent_activity_share", "No recent activity, share"),
    ("deals_missing_next_step", "No next step, deals"),
    ("deals_past_close_date", "Past close date, deals"),
    ("stalled_deals", "Stalled, deals"),
)
COUNT_PARTS = ("open", "no_next_step", "past_close", "no_recent_activity", "stalled")
SORTS = {"name": "Name", "open": "Open deals"} | dict(QUALITY_KPIS)
PAGE_SIZE = 50
# A share at or above this is highlighted on the page (a reading aid, not a KPI status: these
# KPIs have no targets). One deal in four without a next step is where reviews start to suffer.
ATTENTION_SHARE = Decimal("0.25")


class _Counted(Measures):
    """Measures whose health counts were read in bulk, so `Kpi.compute` needs no query."""

    def __init__(
        self, subject: Subject, period: Period, ctx: MetricsContext, counts: dict[str, int]
    ) -> None:
        super().__init__(subject, period, ctx)
        self.__dict__["health_counts"] = {k: counts[k] for k in COUNT_PARTS if k != "stalled"}
        self.__dict__["stalled_count"] = counts["stalled"]


@dataclass(frozen=True)
class QualityRow:
    subject: Subject
    label: str
    detail: str  # a rep's team, a team's kind
    depth: int
    open: int
    values: tuple[tuple[Kpi, Decimal | None], ...]

    def value(self, key: str) -> Decimal | None:
        return next(value for kpi, value in self.values if kpi.key == key)


@dataclass
class QualityPage:
    subject: Subject
    total: QualityRow
    teams: list[QualityRow]  # the subject's node first, then the teams right below it
    reps: Page[QualityRow]  # the page's rows only; the others were sorted, not built
    sort: str
    kpis: tuple[Kpi, ...]
    columns: tuple[tuple[Kpi, str], ...]  # each KPI with its short column heading


def _grouped(queryset: QuerySet[Any]) -> dict[int, int]:
    return {
        row["owner_id"]: row["n"]
        for row in queryset.order_by().values("owner_id").annotate(n=Count("id"))
    }


def _row(
    subject: Subject,
    label: str,
    detail: str,
    depth: int,
    counts: dict[str, int],
    period: Period,
    ctx: MetricsContext,
) -> QualityRow:
    measures = _Counted(subject, period, ctx, counts)
    values = tuple(
        (KPIS[key], KPIS[key].quantize(KPIS[key].compute(measures))) for key, _ in QUALITY_KPIS
    )
    return QualityRow(subject, label, detail, depth, counts["open"], values)


def _team_detail(person_id: int, team_of: dict[int, Team], *, several: bool) -> str:
    """A person's team today, shown when the subject spans several teams (or they have none)."""
    team = team_of.get(person_id)
    if team is None:
        return "No team today"
    return team.name if several else ""


def _sort_key(sort: str, period: Period, ctx: MetricsContext) -> Any:
    """Key for (person, counts): by name, most open deals, or the KPI worst first ("no data"
    last; every quality KPI is lower-is-better)."""
    if sort == "name":
        return lambda entry: (entry[0].full_name,)
    if sort == "open":
        return lambda entry: (-entry[1]["open"], entry[0].full_name)
    kpi = KPIS[sort]

    def key(entry: tuple[Person, dict[str, int]]) -> tuple[bool, Decimal, str]:
        person, counts = entry
        value = kpi.compute(_Counted(Subject.for_person(person), period, ctx, counts))
        return (value is None, -Decimal(value or 0), person.full_name)

    return key


def quality_page(
    *,
    subject: Subject,
    period: Period,
    owner_ids: frozenset[int] | None,
    sort: str,
    page: int,
    ctx: MetricsContext,
    page_size: int = PAGE_SIZE,
) -> QualityPage:
    """The subject's CRM-discipline figures, its sub-teams' and its reps' (paginated, sorted)."""
    measures = Measures(subject, period, ctx)
    scoped = {
        "open": measures.current_open_deals(),
        "no_next_step": measures.missing_next_step_queryset(),
        "past_close": measures.past_close_date_queryset(),
        "no_recent_activity": measures.no_recent_activity_queryset(),
        "stalled": measures.stalled_deals_queryset(),
    }
    per_owner: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_PARTS, 0))
    for part, queryset in scoped.items():
        if owner_ids is not None:
            queryset = queryset.filter(owner_id__in=owner_ids)
        for owner_id, n in _grouped(queryset).items():
            per_owner[owner_id][part] = n

    today = ctx.today
    teams: list[Team] = []
    if subject.kind == "company":
        teams = list(Team.objects.order_by("path"))
    elif subject.kind == "team":
        teams = list(Team.objects.filter(path__startswith=subject.team_path).order_by("path"))
    # Today's team of everyone in the subtree (the engine attributes health flags the same way).
    team_of: dict[int, Team] = {}
    if teams:
        by_id = {t.pk: t for t in teams}
        for person_id, team_id in (
            TeamMembership.objects.filter(team_id__in=by_id, start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
            .values_list("person_id", "team_id")
        ):
            team_of[person_id] = by_id[team_id]
    person_ids = set(per_owner) | {p for p in team_of if owner_ids is None or p in owner_ids}
    if subject.kind == "person" and subject.person_id is not None:
        person_ids = {subject.person_id}
        membership = (
            TeamMembership.objects.filter(person_id=subject.person_id, start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
            .select_related("team")
            .first()
        )
        if membership is not None:
            team_of[membership.person_id] = membership.team
    people = {p.pk: p for p in Person.objects.filter(pk__in=person_ids)}

    def counts_of(ids: list[int]) -> dict[str, int]:
        summed = dict.fromkeys(COUNT_PARTS, 0)
        for pid in ids:
            for part in COUNT_PARTS:
                summed[part] += per_owner.get(pid, {}).get(part, 0)
        return summed

    all_ids = sorted(people)
    total = _row(subject, subject.label, "", 0, counts_of(all_ids), period, ctx)

    # Each person counts in their team and every team above it (within the subject's subtree).
    members: dict[int, list[int]] = defaultdict(list)
    paths = {t.path: t.pk for t in teams}
    for pid, team in team_of.items():
        if pid not in people:
            continue
        prefix = "/"
        for part in team.path.strip("/").split("/"):
            prefix += part + "/"
            if prefix in paths:
                members[paths[prefix]].append(pid)

    team_rows: list[QualityRow] = []
    base_depth = min((t.path.count("/") for t in teams), default=0)
    # Rows for the subject's node and the teams right below it; a team's name opens its own
    # page, so a big tree is walked one level at a time instead of listed whole.
    top = min(teams, key=lambda t: t.path.count("/"), default=None)
    for team in teams:
        if top is not None and team.pk != top.pk and team.parent_id != top.pk:
            continue
        ids = members[team.pk]
        if team.parent_id is None:  # the company node also holds people in no team
            ids = all_ids
        team_subject = Subject.company() if team.parent_id is None else Subject.for_team(team)
        team_rows.append(
            _row(
                team_subject,
                team.name,
                team.get_kind_display(),
                team.path.count("/") - base_depth,
                counts_of(ids),
                period,
                ctx,
            )
        )

    if sort not in SORTS:
        raise ValidationFailed(
            {"sort": f"{sort!r} is not a column; use one of {', '.join(SORTS)}."}
        )
    # Sort everyone on the one sorted column, then build full rows for the page only.
    entries = [(person, counts_of([person.pk])) for person in people.values()]
    entries.sort(key=_sort_key(sort, period, ctx))
    reps: Page[Any] = Paginator(entries, page_size).get_page(page)
    reps.object_list = [
        _row(
            Subject.for_person(person),
            person.full_name,
            _team_detail(person.pk, team_of, several=len(teams) > 1),
            0,
            counts,
            period,
            ctx,
        )
        for person, counts in reps.object_list
    ]
    return QualityPage(
        subject=subject,
        total=total,
        teams=team_rows if len(team_rows) > 1 else [],
        reps=reps,
        sort=sort,
        kpis=tuple(KPIS[key] for key, _ in QUALITY_KPIS),
        columns=tuple((KPIS[key], heading) for key, heading in QUALITY_KPIS),
    )
