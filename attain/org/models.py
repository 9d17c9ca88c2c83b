"""The sales organisation: settings, people, the team tree with dated membership, territories.

Models hold fields and constraints only; writes go through attain.org.services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from attain.core.periods import PeriodType, WeekRule, YearNaming


class Organisation(models.Model):
    """The one organisation this installation serves, and its calendars."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(max_length=200)
    base_currency = models.CharField(max_length=3, default="USD")
    time_zone = models.CharField(max_length=64, default="UTC")
    working_weekdays = models.CharField(
        max_length=7, default="01234", help_text="Python weekdays that are working days (0=Mon)."
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(default=1)
    period_type = models.CharField(
        max_length=10,
        choices=[(t.value, t.value) for t in PeriodType],
        default=PeriodType.CALENDAR.value,
    )
    week_start = models.PositiveSmallIntegerField(default=0, help_text="0=Monday … 6=Sunday")
    week_rule = models.CharField(
        max_length=10,
        choices=[(r.value, r.value) for r in WeekRule],
        default=WeekRule.LAST.value,
        help_text="53rd-week rule: the year ends on the last week-end day of the month, "
        "or the one nearest to the month's end.",
    )
    fiscal_year_naming = models.CharField(
        max_length=5,
        choices=[(n.value, n.value) for n in YearNaming],
        default=YearNaming.END.value,
        help_text="Name a fiscal year by the calendar year in which it ends (default) or starts.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="org_single_row"),
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="org_fy_start_month_range",
            ),
            models.CheckConstraint(
                condition=Q(week_start__gte=0, week_start__lte=6), name="org_week_start_range"
            ),
            models.CheckConstraint(
                condition=Q(period_type__in=[t.value for t in PeriodType]),
                name="org_period_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(week_rule__in=[r.value for r in WeekRule]), name="org_week_rule_valid"
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year_naming__in=[n.value for n in YearNaming]),
                name="org_fy_naming_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A non-working day for the whole organisation (pace and per-day KPIs skip it)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Role(models.TextChoices):
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"
    FINANCE = "finance", "Finance"
    ADMIN = "admin", "Administrator"


class Person(models.Model):
    """Someone in the sales organisation; may have a login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    title = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REP)
    hire_date = models.DateField()
    leave_date = models.DateField(null=True, blank=True, help_text="First day no longer employed.")
    fte = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("1.00"), help_text="Capacity, 1.00 = full"
    )
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(
                condition=Q(leave_date__isnull=True) | Q(leave_date__gt=F("hire_date")),
                name="person_leave_after_hire",
            ),
            models.CheckConstraint(
                condition=Q(fte__gt=0, fte__lte=Decimal("1.00")), name="person_fte_range"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="person_role_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name


class TeamKind(models.TextChoices):
    COMPANY = "company", "Company"
    REGION = "region", "Region"
    TEAM = "team", "Team"


class Team(models.Model):
    """A node of the organisation tree (company → regions → teams).

    `path` is the materialised chain of ids ("/1/4/9/") so a whole subtree is one prefix query.
    """

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=TeamKind.choices, default=TeamKind.TEAM)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="team_not_own_parent"),
            models.CheckConstraint(condition=Q(kind__in=TeamKind.values), name="team_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A person belongs to a team from `start_date` (inclusive) to `end_date` (exclusive).

    Memberships of one person never overlap (enforced by attain.org.services), so every dated
    record can be attributed to exactly one team.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="membership_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["person", "start_date"], name="membership_one_start_per_day"
            ),
        ]
        indexes = [models.Index(fields=["team", "start_date"], name="membership_team_start")]

    def __str__(self) -> str:
        end = self.end_date.isoformat() if self.end_date else "…"
        return f"{self.person} in {self.team} {self.start_date.isoformat()}–{end}"


class Territory(models.Model):
    """A sales territory (tree: e.g. EMEA → DACH → Bavaria)."""

    name = models.CharField(max_length=200, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "territories"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="territory_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class TerritoryAssignment(models.Model):
    """A person covers a territory from `start_date` to `end_date` (exclusive)."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="territory_assignments"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["territory", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="territory_assignment_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["territory", "person", "start_date"],
                name="territory_assignment_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} covers {self.territory} from {self.start_date.isoformat()}"


class TableVersion(models.Model):
    """A token that changes on every write to a table, kept by database triggers (migration
    org.0002), so that a per-process cache of that table can tell in one short read whether
    it is still current, whatever wrote: services, bulk loads, raw SQL, another process.

    Tokens are random 63-bit numbers, not counters: a write that is rolled back leaves the
    old token in place, and a counter could then hand a later, different write the token a
    cache saw inside the rolled-back transaction.
    """

    table = models.CharField(max_length=63, primary_key=True)
    token = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.table}: {self.token}"
