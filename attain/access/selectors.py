"""Who may see what: the one place a viewer's scope is decided.

Every page, partial and drill-down asks these selectors; templates never decide visibility.

- An **executive** sees everything. So does an **admin** (they manage people and settings and can
  read every record in the Django admin anyway; hiding figures from them would protect nothing).
  A login without a person but with superuser rights is treated as an admin.
- A **manager** sees themself and the whole subtree of every team they manage (`Team.manager`).
  Managing a team is what grants the view, whatever the person's role says.
- A **rep** sees only their own numbers, deals and activities.
- **Finance** is reserved for pay (a later issue): until then they see only their own (empty)
  figures, like any other person without a team to manage.

Something outside the viewer's scope is answered exactly like something that does not exist
(`NotFound`, a 404), so a URL never hints that a record exists.

Time: team scope is dated like the metrics engine. A manager sees a person for a period when the
person had a membership anywhere in a managed subtree overlapping that period — so a rep who moved
from North to South mid-quarter is visible to both managers for that quarter, and to neither
manager's successor team for the quarters before or after. A deal is visible to a manager when its
owner was in a managed subtree at some time during the deal's life (created → closed, or today for
an open deal); an activity when its owner was in a managed subtree on the activity's day. So every
record a team figure counts can be drilled into by that team's manager.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import DateField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from attain.core.errors import NotFound, ValidationFailed
from attain.core.periods import Period
from attain.crm.models import Activity, Deal
from attain.metrics.engine.subjects import SUBJECT_FORMS, Subject
from attain.org.models import Person, Role, Team, TeamMembership

NOT_FOUND = "Nothing with that name is visible to you."


@dataclass(frozen=True)
class Viewer:
    """The signed-in person a page is rendered for, with their scope resolved once per request."""

    user: AbstractBaseUser
    person: Person | None
    role: str  # a Role value, or "" for a login without a person
    sees_everything: bool
    managed_team_paths: tuple[str, ...]  # subtrees they manage (nested ones already folded in)

    @property
    def person_id(self) -> int | None:
        return self.person.pk if self.person is not None else None

    @property
    def is_manager(self) -> bool:
        """Manages at least one team (and sees its subtree)."""
        return bool(self.managed_team_paths)

    def manages_path(self, path: str) -> bool:
        return any(path.startswith(managed) for managed in self.managed_team_paths)


def viewer_for(*, user: AbstractBaseUser | AnonymousUser) -> Viewer:
    """The viewer for a signed-in user (two queries); anonymous visitors are refused."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    assert isinstance(user, AbstractBaseUser)
    person = Person.objects.filter(user_id=user.pk).first()
    if person is None:
        superuser = bool(getattr(user, "is_superuser", False))
        return Viewer(
            user=user,
            person=None,
            role=Role.ADMIN if superuser else "",
            sees_everything=superuser,
            managed_team_paths=(),
        )
    sees_everything = person.role in (Role.EXECUTIVE, Role.ADMIN)
    paths: tuple[str, ...] = ()
    if not sees_everything:
        paths = _outermost(
            list(
                Team.objects.filter(manager=person).order_by("path").values_list("path", flat=True)
            )
        )
    return Viewer(
        user=user,
        person=person,
        role=person.role,
        sees_everything=sees_everything,
        managed_team_paths=paths,
    )


def _outermost(paths: list[str]) -> tuple[str, ...]:
    """Drop paths that lie inside another path of the list (sorted input)."""
    kept: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(other) for other in kept):
            kept.append(path)
    return tuple(kept)


def _managed_q(viewer: Viewer, prefix: str = "team__path") -> Q:
    condition = Q(pk__in=[])
    for path in viewer.managed_team_paths:
        condition |= Q(**{f"{prefix}__startswith": path})
    return condition


# ----------------------------------------------------------------------------- people


def person_ids_visible(*, viewer: Viewer, start: date, end: date) -> frozenset[int] | None:
    """People whose figures the viewer may see for [start, end); None means everyone."""
    if viewer.sees_everything:
        return None
    ids: set[int] = set()
    if viewer.person_id is not None:
        ids.add(viewer.person_id)
    if viewer.managed_team_paths:
        ids.update(
            TeamMembership.objects.filter(_managed_q(viewer), start_date__lt=end)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=start))
            .values_list("person_id", flat=True)
        )
    return frozenset(ids)


# ----------------------------------------------------------------------------- subjects

_SPEC_RE = re.compile(r"^(company|team:.+|person:.+)$", re.IGNORECASE | re.DOTALL)


def subject_visible(*, viewer: Viewer, subject: Subject, period: Period) -> bool:
    """Whether the viewer may see figures of the subject for the period."""
    if viewer.sees_everything:
        return True
    if subject.kind == "company":
        return False
    if subject.kind == "team":
        return viewer.manages_path(subject.team_path)
    if subject.person_id is None:
        return False
    if subject.person_id == viewer.person_id:
        return True
    visible = person_ids_visible(viewer=viewer, start=period.start, end=period.end)
    return visible is None or subject.person_id in visible


def subject_get_visible(*, viewer: Viewer, spec: str, period: Period) -> Subject:
    """The subject named by `spec` if the viewer may see it for the period.

    A malformed spec raises ValidationFailed (a 400); an unknown one and one outside the viewer's
    scope both raise the same NotFound (a 404), so the answer never reveals that it exists.
    """
    text = spec.strip()
    kind, _, value = text.partition(":")
    if not _SPEC_RE.match(text) or (kind.lower() != "company" and not value.strip()):
        raise ValidationFailed({"subject": f"{spec!r} is not a subject; use {SUBJECT_FORMS}."})
    kind = kind.lower()
    value = value.strip()
    subject: Subject | None = None
    if kind == "company":
        subject = Subject.company()
    elif kind == "team":
        team = Team.objects.filter(name__iexact=value).first()
        if team is not None:
            subject = Subject.company() if team.parent_id is None else Subject.for_team(team)
    else:
        person = Person.objects.filter(email__iexact=value).first()
        if person is not None:
            subject = Subject.for_person(person)
    if subject is None or not subject_visible(viewer=viewer, subject=subject, period=period):
        raise NotFound(NOT_FOUND)
    return subject


@dataclass(frozen=True)
class PickableSubject:
    """One entry of the subject picker: the subject and its depth in the tree (for indenting)."""

    subject: Subject
    depth: int


def subjects_pickable(*, viewer: Viewer, period: Period) -> list[Subject]:
    """Company, teams and people the viewer may pick for the period, in tree order."""
    return [item.subject for item in subject_tree_pickable(viewer=viewer, period=period)]


def subject_tree_pickable(
    *, viewer: Viewer, period: Period, people_under: str | None = None
) -> list[PickableSubject]:
    """The picker's tree: each visible team followed by its sub-teams, then its people.

    A person appears under the team of their latest membership in the period; people the viewer
    may see but who were in no visible team (e.g. the viewer themself) come last. With
    `people_under` (a team path; "" for none) only the people of that subtree are listed — for
    an executive, whose whole company would otherwise put thousands of names in one <select>.
    Three queries.
    """
    teams_qs = Team.objects.order_by("path")
    if not viewer.sees_everything:
        teams_qs = teams_qs.filter(_managed_q(viewer, prefix="path"))
    teams = list(teams_qs)
    listed = teams
    if people_under is not None:
        listed = [t for t in teams if people_under and t.path.startswith(people_under)]
    memberships = (
        TeamMembership.objects.filter(team__in=[t.pk for t in listed], start_date__lt=period.end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=period.start))
        .select_related("person")
        .order_by("person_id", "start_date")
    )
    team_of_person: dict[int, int] = {}
    people: dict[int, Person] = {}
    for membership in memberships:
        team_of_person[membership.person_id] = membership.team_id  # the latest wins
        people[membership.person_id] = membership.person
    visible = person_ids_visible(viewer=viewer, start=period.start, end=period.end)
    by_team: dict[int, list[Person]] = {}
    for person_id, team_id in team_of_person.items():
        if visible is None or person_id in visible:
            by_team.setdefault(team_id, []).append(people[person_id])

    items: list[PickableSubject] = []
    base_depth = min((t.path.count("/") for t in teams), default=0)
    for team in teams:
        depth = team.path.count("/") - base_depth
        if team.parent_id is None:
            items.append(PickableSubject(Subject.company(), depth))
        else:
            items.append(PickableSubject(Subject.for_team(team), depth))
        for person in sorted(by_team.get(team.pk, []), key=lambda p: p.full_name):
            items.append(PickableSubject(Subject.for_person(person), depth + 1))
    if not teams and viewer.sees_everything:
        items.append(PickableSubject(Subject.company(), 0))
    placed = set(team_of_person) & (set(visible) if visible is not None else set(team_of_person))
    if viewer.person is not None and viewer.person_id not in placed:
        items.append(PickableSubject(Subject.for_person(viewer.person), 0))
    return items


def person_team_path(*, person_id: int, period: Period) -> str:
    """The path of the person's latest team in the period ("" when they were in none)."""
    path = (
        TeamMembership.objects.filter(person_id=person_id, start_date__lt=period.end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=period.start))
        .order_by("-start_date")
        .values_list("team__path", flat=True)
        .first()
    )
    return path or ""


def default_subject(*, viewer: Viewer, period: Period) -> Subject:
    """What a page shows when the URL names no subject.

    Executive/admin: the company; a manager: their top managed team; anyone else: themself.
    """
    if viewer.sees_everything:
        return Subject.company()
    if viewer.managed_team_paths:
        team = Team.objects.filter(path=viewer.managed_team_paths[0]).first()
        if team is not None:
            return Subject.company() if team.parent_id is None else Subject.for_team(team)
    if viewer.person is not None:
        return Subject.for_person(viewer.person)
    raise NotFound("This login is not linked to a person, so there is nothing to show yet.")


# ----------------------------------------------------------------------------- records


def _member_during(viewer: Viewer, *, owner_ref: str, start: object, stop: object) -> Exists:
    """The owner had a membership in a managed subtree overlapping [start, stop]."""
    memberships = TeamMembership.objects.filter(
        _managed_q(viewer), person_id=OuterRef(owner_ref), start_date__lte=stop
    ).filter(Q(end_date__isnull=True) | Q(end_date__gt=start))
    return Exists(memberships)


def deals_visible(*, viewer: Viewer, today: date) -> QuerySet[Deal]:
    """Deals the viewer may open: their own, and for a manager those of their subtree's people
    during the deal's life (so every deal a team figure counts can be drilled into)."""
    deals = Deal.objects.all()
    if viewer.sees_everything:
        return deals
    own = Q(owner_id=viewer.person_id) if viewer.person_id is not None else Q(pk__in=[])
    if not viewer.managed_team_paths:
        return deals.filter(own)
    in_subtree = _member_during(
        viewer,
        owner_ref="owner_id",
        start=OuterRef("created_on"),
        stop=Coalesce(OuterRef("closed_on"), Value(today, output_field=DateField())),
    )
    return deals.filter(own | Q(in_subtree))


def deal_get_visible(*, viewer: Viewer, deal_id: int, today: date) -> Deal:
    """One deal with its account, owner and stage, or NotFound (missing and hidden alike)."""
    deal = (
        deals_visible(viewer=viewer, today=today)
        .select_related("account", "owner", "stage", "product")
        .filter(pk=deal_id)
        .first()
    )
    if deal is None:
        raise NotFound("No such deal is visible to you.")
    return deal


def activities_visible(*, viewer: Viewer) -> QuerySet[Activity]:
    """Activities the viewer may see: their own, and for a manager those their subtree's people
    logged while in it (dated by the activity's local day, as the metrics attribute them)."""
    activities = Activity.objects.all()
    if viewer.sees_everything:
        return activities
    own = Q(owner_id=viewer.person_id) if viewer.person_id is not None else Q(pk__in=[])
    if not viewer.managed_team_paths:
        return activities.filter(own)
    in_subtree = _member_during(
        viewer, owner_ref="owner_id", start=OuterRef("occurred_on"), stop=OuterRef("occurred_on")
    )
    return activities.filter(own | Q(in_subtree))


def people_visible(*, viewer: Viewer, period: Period) -> QuerySet[Person]:
    """People the viewer may see for the period, by name."""
    ids = person_ids_visible(viewer=viewer, start=period.start, end=period.end)
    people = Person.objects.order_by("full_name")
    return people if ids is None else people.filter(pk__in=ids)
