"""Reads about the organisation: its calendars, the team tree and who was in which team when."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from attain.core.errors import NotFound
from attain.core.periods import FiscalCalendar, Period, PeriodType, WeekRule, YearNaming
from attain.core.periods import parse_period as _parse_period
from attain.org.models import Holiday, Organisation, Person, Team, TeamMembership


def organisation_get() -> Organisation:
    org = Organisation.objects.filter(singleton=True).first()
    if org is None:
        raise NotFound(
            "No organisation is set up yet. Run `attain demo` for demo data, or create the "
            "organisation in the admin (/admin/org/organisation/add/)."
        )
    return org


def org_time_zone(org: Organisation | None = None) -> ZoneInfo:
    return ZoneInfo((org or organisation_get()).time_zone)


def org_today(org: Organisation | None = None) -> date:
    """Today's date where the organisation is, not where the server is."""
    return timezone.now().astimezone(org_time_zone(org)).date()


def fiscal_calendar(org: Organisation | None = None) -> FiscalCalendar:
    org = org or organisation_get()
    return FiscalCalendar(
        start_month=org.fiscal_year_start_month,
        period_type=PeriodType(org.period_type),
        week_start=org.week_start,
        week_rule=WeekRule(org.week_rule),
        naming=YearNaming(org.fiscal_year_naming),
        working_weekdays=frozenset(int(c) for c in org.working_weekdays),
        holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
    )


def period_parse(
    text: str, *, org: Organisation | None = None, today: date | None = None
) -> Period:
    """Parse a period string with the organisation's calendar (raises PeriodError)."""
    org = org or organisation_get()
    return _parse_period(text, fiscal_calendar(org), today or org_today(org))


def person_for_user(user: User | AnonymousUser) -> Person | None:
    if not user.is_authenticated:
        return None
    return Person.objects.filter(user_id=user.pk).first()


def team_subtree(team: Team) -> QuerySet[Team]:
    """The team and every team below it."""
    return Team.objects.filter(path__startswith=team.path)


def membership_on(person: Person, day: date) -> TeamMembership | None:
    return (
        TeamMembership.objects.filter(person=person, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=day))
        .select_related("team")
        .first()
    )


def team_of(person: Person, day: date) -> Team | None:
    """The team a person belonged to on a day (None outside any membership)."""
    membership = membership_on(person, day)
    return membership.team if membership else None


def memberships_overlapping(
    team: Team, start: date, end: date, *, subtree: bool = True
) -> QuerySet[TeamMembership]:
    """Memberships in the team (and its subtree) that overlap [start, end).

    Metrics attribute a dated record to a team when the record's date falls inside one of these.
    """
    teams = team_subtree(team) if subtree else Team.objects.filter(pk=team.pk)
    return (
        TeamMembership.objects.filter(team__in=teams, start_date__lt=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=start))
        .select_related("person", "team")
    )


def team_members_on(team: Team, day: date, *, subtree: bool = True) -> QuerySet[Person]:
    """People in the team (and its subtree) on a day."""
    teams = team_subtree(team) if subtree else Team.objects.filter(pk=team.pk)
    return Person.objects.filter(
        Q(memberships__team__in=teams, memberships__start_date__lte=day)
        & (Q(memberships__end_date__isnull=True) | Q(memberships__end_date__gt=day))
    ).distinct()


def team_get(name: str) -> Team:
    team = Team.objects.filter(name__iexact=name.strip()).first()
    if team is None:
        raise NotFound(f"No team is named {name!r}.")
    return team


def company_team() -> Team | None:
    """The root of the team tree (the company node), if the tree exists."""
    return Team.objects.filter(parent__isnull=True).first()


def teams_managed_by(*, person: Person) -> QuerySet[Team]:
    """Teams the person manages, in tree order."""
    return Team.objects.filter(manager=person).order_by("path")
