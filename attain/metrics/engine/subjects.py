"""Who a figure is about: a person, a team with its whole subtree, or the company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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


def attributed(
    queryset: QuerySet[Any], subject: Subject, *, owner: str, day: str | date
) -> QuerySet[Any]:
    """Records of the subject: owned by the person, or by someone who was in the team's subtree
    on the record's local day (`day` is a date field name, or one fixed date for snapshots)."""
    if subject.kind == "company":
        return queryset
    if subject.kind == "person":
        return queryset.filter(**{f"{owner}_id": subject.person_id})
    day_ref: Any = OuterRef(day) if isinstance(day, str) else day
    membership = TeamMembership.objects.filter(
        person_id=OuterRef(f"{owner}_id"),
        team__path__startswith=subject.team_path,
        start_date__lte=day_ref,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gt=day_ref))
    return queryset.filter(Exists(membership))
