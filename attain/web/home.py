"""What the home page shows, assembled from selectors into plain values for the template.

Kept apart from the view so the view stays "parse, call, render" and the page's content can be
tested without HTTP. Every list here comes from one query, so the page's query count is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from attain.core.periods import FiscalCalendar, Period
from attain.crm.models import Activity, ActivityKind, Deal
from attain.crm.selectors import (
    ActivityDayCount,
    activities_between,
    activity_counts_between,
    deals_open_for,
)
from attain.org.models import Organisation, Person, Role, Team
from attain.org.selectors import (
    company_team,
    fiscal_calendar,
    memberships_overlapping,
    org_today,
    team_of,
    team_subtree,
    teams_managed_by,
)

LATEST_ACTIVITIES = 10


@dataclass(frozen=True)
class DealRow:
    """An open deal, flagged where a rep should act: a slipped close, a missing or late step."""

    deal: Deal
    close_overdue: bool
    next_step_missing: bool
    next_step_late: bool


@dataclass(frozen=True)
class TeamLine:
    """A team below the card's root, with its manager and how many people it holds today."""

    team: Team
    depth: int
    headcount: int


@dataclass(frozen=True)
class TeamCard:
    """One team (and its sub-teams) as seen today; `relation` says why it is on the page."""

    relation: str  # "member", "manager" or "company"
    team: Team
    members: list[Person]
    sub_teams: list[TeamLine]
    headcount: int


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    count: int


@dataclass(frozen=True)
class HomePage:
    org: Organisation
    person: Person
    today: date
    week: Period
    team_cards: list[TeamCard]
    deals: list[DealRow]
    overdue_count: int
    missing_next_step_count: int
    activity_kinds: list[KindCount]
    activity_total: int
    latest_activities: list[Activity]
    chart: dict[str, Any]


def home_page(*, org: Organisation, person: Person) -> HomePage:
    """Everything the home page shows for `person`, as of today in the organisation's zone."""
    today = org_today(org)
    calendar = fiscal_calendar(org)
    week = calendar.week_of(today)

    deals = [
        DealRow(
            deal=deal,
            close_overdue=deal.expected_close_date is not None and deal.expected_close_date < today,
            next_step_missing=not deal.next_step.strip(),
            next_step_late=bool(deal.next_step.strip())
            and deal.next_step_date is not None
            and deal.next_step_date < today,
        )
        for deal in deals_open_for(person=person)
    ]

    counts = activity_counts_between(person=person, start=week.start, end=week.end)
    by_kind = dict.fromkeys(ActivityKind.values, 0)
    for row in counts:
        by_kind[row.kind] = by_kind.get(row.kind, 0) + row.count
    labels = {value: str(label) for value, label in ActivityKind.choices}
    activity_kinds = [
        KindCount(kind=kind, label=labels.get(kind, kind), count=n) for kind, n in by_kind.items()
    ]
    total = sum(by_kind.values())
    latest = list(
        activities_between(person=person, start=week.start, end=week.end)[:LATEST_ACTIVITIES]
    )

    return HomePage(
        org=org,
        person=person,
        today=today,
        week=week,
        team_cards=_team_cards(person=person, today=today),
        deals=deals,
        overdue_count=sum(1 for row in deals if row.close_overdue),
        missing_next_step_count=sum(1 for row in deals if row.next_step_missing),
        activity_kinds=activity_kinds,
        activity_total=total,
        latest_activities=latest,
        chart=_activity_chart(
            week=week, today=today, calendar=calendar, counts=counts, labels=labels
        ),
    )


def _team_cards(*, person: Person, today: date) -> list[TeamCard]:
    """The executive sees the company, a manager their teams, everyone else their own team."""
    roots: list[tuple[str, Team]] = []
    if person.role == Role.EXECUTIVE:
        # team_create allows exactly one root, the company.
        company = company_team()
        if company is not None:
            roots.append(("company", company))
    roots.extend(("manager", team) for team in teams_managed_by(person=person))
    if not roots:
        own = team_of(person, today)
        if own is not None:
            roots.append(("member", own))
    # A team inside another root is already shown there.
    kept: list[tuple[str, Team]] = []
    for relation, team in roots:
        if not any(team.path.startswith(other.path) for _, other in kept):
            kept.append((relation, team))
    return [_team_card(relation=relation, root=team, today=today) for relation, team in kept]


def _team_card(*, relation: str, root: Team, today: date) -> TeamCard:
    """Two queries per card: the subtree with managers, and today's memberships in it."""
    teams = list(team_subtree(root).select_related("manager").order_by("path"))
    memberships = list(memberships_overlapping(root, today, today + timedelta(days=1)))
    people_by_team: dict[int, list[Person]] = {}
    for membership in memberships:
        people_by_team.setdefault(membership.team_id, []).append(membership.person)
    root_team = next((team for team in teams if team.pk == root.pk), root)
    root_depth = root.path.count("/")
    sub_teams = [
        TeamLine(
            team=team,
            depth=team.path.count("/") - root_depth,
            headcount=sum(
                len(people_by_team.get(other.pk, []))
                for other in teams
                if other.path.startswith(team.path)
            ),
        )
        for team in teams
        if team.pk != root.pk
    ]
    members = sorted(people_by_team.get(root.pk, []), key=lambda p: p.full_name)
    return TeamCard(
        relation=relation,
        team=root_team,
        members=members,
        sub_teams=sub_teams,
        headcount=len({m.person_id for m in memberships}),
    )


def _activity_chart(
    *,
    week: Period,
    today: date,
    calendar: FiscalCalendar,
    counts: list[ActivityDayCount],
    labels: dict[str, str],
) -> dict[str, Any]:
    """JSON-ready data for the per-day bar chart: a series per activity kind, every day present."""
    days = [week.start + timedelta(days=i) for i in range(week.days)]
    index = {day: i for i, day in enumerate(days)}
    series: dict[str, list[int]] = {kind: [0] * len(days) for kind in ActivityKind.values}
    for row in counts:
        if row.day in index:
            series.setdefault(row.kind, [0] * len(days))[index[row.day]] += row.count
    return {
        "days": [
            {
                "date": day.isoformat(),
                "label": f"{day:%a}<br>{day.day}",
                "today": day == today,
                "working": calendar.is_working_day(day),
            }
            for day in days
        ],
        "series": [
            {"kind": kind, "label": labels.get(kind, kind), "counts": values}
            for kind, values in series.items()
            if any(values)
        ],
    }
