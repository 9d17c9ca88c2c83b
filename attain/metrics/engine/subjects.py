"""Who a figure is about: a person, a team with its whole subtree, or the company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from attain.core.errors import NotFound
from attain.org.models import Person, Team, TeamMembership


@dataclass(frozen=True)
class Subject:
    kind: str  # "person" | "team" | "company"
    label: str
    spec: str  # the string that selects it again: person:EMAIL, team:NAME or company
    person_id: int | None = None
    team_id: int | None = None
    team_path: str = ""

    @classmethod
    def company(cls) -> Subject:
        return cls(kind="company", label="Company", spec="company")

    @classmethod
    def for_person(cls, person: Person) -> Subject:
        return cls(
            kind="person",
            label=person.full_name,
            person_id=person.pk,
            spec=f"person:{person.email}",
        )

    @classmethod
    def for_team(cls, team: Team) -> Subject:
        return cls(
            kind="team",
            label=team.name,
            team_id=team.pk,
            team_path=team.path,
            spec=f"team:{team.name}",
        )


SUBJECT_FORMS = "company, team:NAME (a team, region or the company node) or person:EMAIL"


def subject_parse(text: str) -> Subject:
    """Parse `company`, `team:NAME` or `person:EMAIL`; NotFound names what was not found."""
    raw = text.strip()
    kind, _, value = raw.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind == "company" and not value:
        return Subject.company()
    if kind == "team" and value:
        team = Team.objects.filter(name__iexact=value).first()
        if team is None:
            raise NotFound(f"No team is named {value!r}.")
        if team.parent_id is None:
            return Subject.company()
        return Subject.for_team(team)
    if kind == "person" and value:
        person = Person.objects.filter(email__iexact=value).first()
        if person is None:
            raise NotFound(f"No person has the e-mail {value!r}.")
        return Subject.for_person(person)
    raise NotFound(f"{text!r} is not a subject; use {SUBJECT_FORMS}.")


Span = tuple[int, date, date | None]  # (person id, first day, first day after; None = open)


def subtree_spans(subject: Subject) -> list[Span]:
    """Every membership in the team subject's subtree, past and present (one or two a person),
    by person and start. Raw SQL: every team figure of a request starts with this read."""
    sql = (
        f"SELECT m.person_id, m.start_date, m.end_date FROM {TeamMembership._meta.db_table} m"
        f" JOIN {Team._meta.db_table} t ON t.id = m.team_id WHERE t.path LIKE %s"
        " ORDER BY m.person_id, m.start_date"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [subject.team_path + "%"])
        rows = cursor.fetchall()
    return [(person, db_date(start), db_date(end)) for person, start, end in rows]  # type: ignore[misc]


def db_date(value: Any) -> date | None:
    """A date column read with raw SQL (SQLite may give its text, as stored)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def attributed(
    queryset: QuerySet[Any],
    subject: Subject,
    *,
    owner: str,
    day: str | date,
    within: tuple[date, date] | None = None,
    spans: list[Span] | None = None,
) -> QuerySet[Any]:
    """Records of the subject: owned by the person, or by someone who was in the team's subtree
    on the record's local day (`day` is a date field name, or one fixed date for snapshots).

    `within` is the [start, end) the queryset already limits `day` to: memberships outside it are
    dropped and edges it already enforces are left out, so the SQL stays short. `spans` are the
    subtree's memberships when the caller has them already (see `subtree_spans`).
    """
    if subject.kind == "company":
        return queryset
    if subject.kind == "person":
        return queryset.filter(**{f"{owner}_id": subject.person_id})
    # The subtree's memberships are few (one or two per person), so they become plain conditions
    # the owner/date indexes can serve, instead of a correlated subquery run for every row.
    if spans is None:
        spans = subtree_spans(subject)
    if not isinstance(day, str):
        return queryset.filter(**{f"{owner}_id__in": members_on(spans, day)})
    low, high = within if within is not None else (None, None)
    whole, partial = spans_split(spans, within)
    condition = Q(**{f"{owner}_id__in": sorted(whole)}) if whole else Q(pk__in=[])
    for person_id, start, end in partial:
        span = Q(**{f"{owner}_id": person_id})
        if low is None or start > low:
            span &= Q(**{f"{day}__gte": start})
        if end is not None and (high is None or end < high):
            span &= Q(**{f"{day}__lt": end})
        condition |= span
    return queryset.filter(condition)


def members_on(spans: list[Span], day: date) -> list[int]:
    """The people of the subtree on one day, sorted."""
    return sorted({p for p, start, end in spans if start <= day and (end is None or end > day)})


def spans_split(spans: list[Span], within: tuple[date, date] | None) -> tuple[set[int], list[Span]]:
    """People in the subtree for the whole of `within`, and the memberships that cover only part
    of it (each then needs its own date condition); memberships outside `within` are dropped."""
    low, high = within if within is not None else (None, None)
    whole: set[int] = set()
    partial: list[Span] = []
    for person_id, start, end in spans:
        if high is not None and start >= high:
            continue
        if low is not None and end is not None and end <= low:
            continue
        covers_start = low is not None and start <= low
        covers_end = end is None or (high is not None and end >= high)
        if covers_start and covers_end:
            whole.add(person_id)
        else:
            partial.append((person_id, start, end))
    return whole, [span for span in partial if span[0] not in whole]
