"""Writes to the organisation: settings, people, teams, memberships, territories.

Every function is keyword-only, runs in one transaction and writes its audit record in it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from attain.audit.services import Action, Actor, audit_log, created_changes, diff, snapshot
from attain.core.errors import ValidationFailed
from attain.core.money import MoneyError, validate_currency
from attain.core.periods import PeriodType, WeekRule, YearNaming
from attain.metrics.engine.rollups import rollup_quarters_realign, rollup_refresh
from attain.org.models import (
    Holiday,
    Organisation,
    Person,
    Role,
    Team,
    TeamKind,
    TeamMembership,
    Territory,
    TerritoryAssignment,
)

_ORG_FIELDS = (
    "name",
    "base_currency",
    "time_zone",
    "working_weekdays",
    "fiscal_year_start_month",
    "period_type",
    "week_start",
    "week_rule",
    "fiscal_year_naming",
)


def _validate_org_fields(values: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    cleaned = dict(values)
    if "name" in values and not str(values["name"]).strip():
        problems["name"] = "must not be empty"
    if "base_currency" in values:
        try:
            cleaned["base_currency"] = validate_currency(str(values["base_currency"]))
        except MoneyError as exc:
            problems["base_currency"] = str(exc)
    if "time_zone" in values:
        try:
            ZoneInfo(str(values["time_zone"]))
        except (ZoneInfoNotFoundError, ValueError):
            problems["time_zone"] = f"{values['time_zone']!r} is not an IANA time zone name"
    if "working_weekdays" in values:
        days = values["working_weekdays"]
        text = "".join(str(d) for d in days) if not isinstance(days, str) else days
        if not text or any(c not in "0123456" for c in text) or len(set(text)) != len(text):
            problems["working_weekdays"] = "give distinct weekdays 0 (Monday) to 6 (Sunday)"
        cleaned["working_weekdays"] = "".join(sorted(set(text)))
    month = values.get("fiscal_year_start_month")
    if month is not None and not (isinstance(month, int) and 1 <= month <= 12):
        problems["fiscal_year_start_month"] = f"{month!r} is not a month number 1–12"
    week_start = values.get("week_start")
    if week_start is not None and not (isinstance(week_start, int) and 0 <= week_start <= 6):
        problems["week_start"] = f"{week_start!r} is not a weekday 0 (Monday) to 6 (Sunday)"
    for field, enum in (
        ("period_type", PeriodType),
        ("week_rule", WeekRule),
        ("fiscal_year_naming", YearNaming),
    ):
        if field in values:
            allowed = [e.value for e in enum]
            if str(values[field]) not in allowed:
                problems[field] = f"{values[field]!r} is not one of {', '.join(allowed)}"
            else:
                cleaned[field] = str(values[field])
    if problems:
        raise ValidationFailed(problems)
    return cleaned


@transaction.atomic
def organisation_configure(*, actor: Actor, **values: Any) -> Organisation:
    """Create the organisation or change its settings (fields of Organisation as keywords)."""
    unknown = set(values) - set(_ORG_FIELDS)
    if unknown:
        raise ValidationFailed(dict.fromkeys(sorted(unknown), "not an organisation setting"))
    cleaned = _validate_org_fields(values)
    org = Organisation.objects.select_for_update().filter(singleton=True).first()
    if org is None:
        if "name" not in cleaned:
            raise ValidationFailed({"name": "required when creating the organisation"})
        org = Organisation.objects.create(**cleaned)
        audit_log(actor=actor, instance=org, action=Action.CREATE, changes=created_changes(org))
        if org.fiscal_year_start_month != 1:  # rollups written before it used January
            rollup_quarters_realign()
        return org
    if cleaned.get("time_zone", org.time_zone) != org.time_zone and _has_crm_records():
        raise ValidationFailed(
            {
                "time_zone": "cannot change once deals, activities or leads exist: their local "
                "dates and the KPI rollups were computed in the current zone"
            }
        )
    before = snapshot(org, cleaned)
    realign = cleaned.get("fiscal_year_start_month", org.fiscal_year_start_month) != (
        org.fiscal_year_start_month
    )
    for field, value in cleaned.items():
        setattr(org, field, value)
    org.save()
    if realign:  # quarter rollups are blocks of the fiscal year: move them with it
        rollup_quarters_realign()
    audit_log(actor=actor, instance=org, action=Action.UPDATE, changes=diff(before, cleaned))
    return org


def _has_crm_records() -> bool:
    from attain.crm.models import Activity, Deal, Lead  # crm depends on org, not the reverse

    return Deal.objects.exists() or Activity.objects.exists() or Lead.objects.exists()


@transaction.atomic
def holiday_add(*, actor: Actor, day: date, name: str) -> Holiday:
    if Holiday.objects.filter(date=day).exists():
        raise ValidationFailed({"date": f"{day.isoformat()} is already a holiday"})
    holiday = Holiday.objects.create(date=day, name=name.strip() or "Holiday")
    audit_log(actor=actor, instance=holiday, action=Action.CREATE, changes=created_changes(holiday))
    return holiday


def _validate_person(values: dict[str, Any], *, existing: Person | None = None) -> dict[str, Any]:
    problems: dict[str, str] = {}
    cleaned = dict(values)
    if "full_name" in values and not str(values["full_name"]).strip():
        problems["full_name"] = "must not be empty"
    if "email" in values:
        email = str(values["email"]).strip().lower()
        try:
            validate_email(email)
        except DjangoValidationError:
            problems["email"] = f"{values['email']!r} is not an e-mail address"
        else:
            clash = Person.objects.filter(email=email)
            if existing is not None:
                clash = clash.exclude(pk=existing.pk)
            if clash.exists():
                problems["email"] = f"{email} already belongs to another person"
        cleaned["email"] = email
    if "role" in values and values["role"] not in Role.values:
        problems["role"] = f"{values['role']!r} is not one of {', '.join(Role.values)}"
    if "fte" in values:
        try:
            fte = Decimal(str(values["fte"]))
        except InvalidOperation:
            problems["fte"] = f"{values['fte']!r} is not a number"
        else:
            if not (Decimal(0) < fte <= Decimal(1)):
                problems["fte"] = "must be more than 0 and at most 1.00"
            cleaned["fte"] = fte.quantize(Decimal("0.01"))
    hire = values.get("hire_date", existing.hire_date if existing else None)
    leave = values.get("leave_date", existing.leave_date if existing else None)
    if hire is None:
        problems["hire_date"] = "required"
    elif leave is not None and leave <= hire:
        problems["leave_date"] = "must be after the hire date"
    if problems:
        raise ValidationFailed(problems)
    return cleaned


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    full_name: str,
    email: str,
    hire_date: date,
    role: str = Role.REP,
    title: str = "",
    fte: Decimal | str = Decimal("1.00"),
    leave_date: date | None = None,
    user: User | None = None,
) -> Person:
    cleaned = _validate_person(
        {
            "full_name": full_name,
            "email": email,
            "hire_date": hire_date,
            "role": role,
            "fte": fte,
            "leave_date": leave_date,
        }
    )
    person = Person.objects.create(title=title, user=user, **cleaned)
    audit_log(actor=actor, instance=person, action=Action.CREATE, changes=created_changes(person))
    return person


@transaction.atomic
def person_update(*, actor: Actor, person: Person, **values: Any) -> Person:
    """Change a person's fields (full_name, email, title, role, hire_date, leave_date, fte)."""
    allowed = {"full_name", "email", "title", "role", "hire_date", "leave_date", "fte"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(dict.fromkeys(sorted(unknown), "cannot be changed here"))
    cleaned = _validate_person(values, existing=person)
    before = snapshot(person, cleaned)
    for field, value in cleaned.items():
        setattr(person, field, value)
    person.save()
    if cleaned.get("leave_date"):
        leave = cleaned["leave_date"]
        if TeamMembership.objects.filter(person=person, start_date__gte=leave).exists():
            raise ValidationFailed(
                {"leave_date": "a team membership starts on or after it; remove that first"}
            )
        TeamMembership.objects.filter(person=person).filter(
            Q(end_date__isnull=True) | Q(end_date__gt=leave)
        ).update(end_date=leave)
        rollup_refresh(person_id=person.pk, since=cleaned["leave_date"])
    audit_log(actor=actor, instance=person, action=Action.UPDATE, changes=diff(before, cleaned))
    return person


@transaction.atomic
def login_create(
    *, actor: Actor, person: Person, username: str, password: str, is_staff: bool = False
) -> User:
    """Give a person a login; admins also get the Django admin."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationFailed({"username": f"{username!r} is taken"})
    if person.user_id is not None:
        raise ValidationFailed({"person": f"{person} already has a login"})
    is_admin = person.role == Role.ADMIN
    user = user_model.objects.create_user(
        username=username,
        email=person.email,
        password=password,
        first_name=person.full_name.split(" ")[0],
        last_name=" ".join(person.full_name.split(" ")[1:]),
        is_staff=is_staff or is_admin,
        is_superuser=is_admin,
    )
    person.user = user
    person.save(update_fields=["user"])
    audit_log(
        actor=actor,
        instance=person,
        action=Action.UPDATE,
        changes={"user": [None, str(user.pk)]},
        note=f"login {username} created",
    )
    return user


def _path_for(parent_path: str, pk: int) -> str:
    return f"{parent_path or '/'}{pk}/"


@transaction.atomic
def team_create(
    *,
    actor: Actor,
    name: str,
    kind: str = TeamKind.TEAM,
    parent: Team | None = None,
    manager: Person | None = None,
) -> Team:
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "must not be empty"
    elif Team.objects.filter(name=name.strip()).exists():
        problems["name"] = f"a team named {name.strip()!r} exists"
    if kind not in TeamKind.values:
        problems["kind"] = f"{kind!r} is not one of {', '.join(TeamKind.values)}"
    if parent is None and kind != TeamKind.COMPANY:
        problems["parent"] = "only the company has no parent"
    if parent is None and kind == TeamKind.COMPANY and Team.objects.filter(parent=None).exists():
        problems["kind"] = "there is already a company at the root of the tree"
    if problems:
        raise ValidationFailed(problems)
    team = Team.objects.create(name=name.strip(), kind=kind, parent=parent, manager=manager)
    team.path = _path_for(parent.path if parent else "", team.pk)
    team.save(update_fields=["path"])
    audit_log(actor=actor, instance=team, action=Action.CREATE, changes=created_changes(team))
    return team


@transaction.atomic
def team_set_manager(*, actor: Actor, team: Team, manager: Person | None) -> Team:
    before = snapshot(team, ["manager_id"])
    team.manager = manager
    team.save(update_fields=["manager"])
    audit_log(
        actor=actor,
        instance=team,
        action=Action.UPDATE,
        changes=diff(before, {"manager_id": manager.pk if manager else None}),
    )
    return team


@transaction.atomic
def membership_start(
    *, actor: Actor, person: Person, team: Team, start_date: date
) -> TeamMembership:
    """Put a person in a team from a date; an open membership elsewhere ends that day.

    Refuses anything that would overlap an existing period, so each dated record maps to one team.
    """
    Person.objects.select_for_update().filter(pk=person.pk).first()
    reasons: list[str] = []
    if start_date < person.hire_date:
        reasons.append(
            f"{start_date.isoformat()} is before {person}'s hire date "
            f"{person.hire_date.isoformat()}"
        )
    if person.leave_date is not None and start_date >= person.leave_date:
        reasons.append(f"{person} has left on {person.leave_date.isoformat()}")
    # The membership running on the start day (if any) is cut short; any other that reaches the
    # start day or begins after it would overlap.
    current = (
        TeamMembership.objects.filter(person=person, start_date__lt=start_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=start_date))
        .select_for_update()
        .first()
    )
    later = TeamMembership.objects.filter(person=person).filter(
        Q(start_date__gte=start_date) | Q(end_date__gt=start_date) | Q(end_date__isnull=True)
    )
    if current is not None:
        later = later.exclude(pk=current.pk)
    if later.exists():
        reasons.append(
            f"{person} already has a team membership on or after {start_date.isoformat()}; "
            "end or remove it first"
        )
    if reasons:
        raise ValidationFailed({"start_date": "; ".join(reasons)})
    if current is not None:
        if current.team_id == team.pk:
            return current
        old_end = current.end_date
        current.end_date = start_date
        current.save(update_fields=["end_date"])
        audit_log(
            actor=actor,
            instance=current,
            action=Action.UPDATE,
            changes={
                "end_date": [old_end.isoformat() if old_end else None, start_date.isoformat()]
            },
        )
    membership = TeamMembership.objects.create(
        person=person, team=team, start_date=start_date, end_date=person.leave_date
    )
    rollup_refresh(person_id=person.pk, since=start_date)
    audit_log(
        actor=actor,
        instance=membership,
        action=Action.CREATE,
        changes=created_changes(membership),
    )
    return membership


@transaction.atomic
def territory_create(*, actor: Actor, name: str, parent: Territory | None = None) -> Territory:
    if not name.strip():
        raise ValidationFailed({"name": "must not be empty"})
    if Territory.objects.filter(name=name.strip()).exists():
        raise ValidationFailed({"name": f"a territory named {name.strip()!r} exists"})
    territory = Territory.objects.create(name=name.strip(), parent=parent)
    territory.path = _path_for(parent.path if parent else "", territory.pk)
    territory.save(update_fields=["path"])
    audit_log(
        actor=actor, instance=territory, action=Action.CREATE, changes=created_changes(territory)
    )
    return territory


@transaction.atomic
def territory_assign(
    *,
    actor: Actor,
    territory: Territory,
    person: Person,
    start_date: date,
    end_date: date | None = None,
) -> TerritoryAssignment:
    if end_date is not None and end_date <= start_date:
        raise ValidationFailed({"end_date": "must be after the start date"})
    assignment = TerritoryAssignment.objects.create(
        territory=territory, person=person, start_date=start_date, end_date=end_date
    )
    audit_log(
        actor=actor,
        instance=assignment,
        action=Action.CREATE,
        changes=created_changes(assignment),
    )
    return assignment
