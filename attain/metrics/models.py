"""Rollups (daily facts per person and per team-tree node) and targets.

`PersonDay` holds one row per person and organisation-local day with any activity; `team` is the
team the person belonged to that day. `NodeDay` sums PersonDay over each node's whole subtree
(the company root also takes people who were in no team), so a team, region or company figure
for any period is one indexed range read. `PersonMonth` sums PersonDay per calendar month and team
for leaderboards, and `PersonQuarter` per block of three calendar months aligned to the fiscal
year (a fiscal quarter, where the fiscal year starts on a month). All four are maintained by the
services that write raw records and rebuilt by `attain metrics rebuild`.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from attain.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from attain.org.models import Person, Team


def _count() -> models.IntegerField:  # type: ignore[type-arg]
    return models.IntegerField(default=0)


def _money() -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, default=Decimal(0)
    )


class FactColumns(models.Model):
    """The additive fact columns shared by both rollups; one per entry of engine.facts.FACTS."""

    leads = _count()
    calls = _count()
    emails = _count()
    meetings = _count()
    quotes = _count()
    follow_ups = _count()
    deals_created = _count()
    pipeline_created = _money()
    deals_won = _count()
    revenue_won = _money()
    deals_lost = _count()
    value_lost = _money()
    won_cycle_days = _count()
    revenue_with_cost = _money()
    margin_won = _money()

    class Meta:
        abstract = True


class PersonDay(FactColumns):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "day"], name="person_day_unique"),
        ]
        indexes = [
            models.Index(fields=["day", "person"], name="person_day_day_person"),
            models.Index(fields=["team", "day"], name="person_day_team_day"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day.isoformat()}"


class PersonBlock(FactColumns):
    """A person's facts over a block of days (a month, a quarter) while in one team (None: in
    no team): the per-person rollups leaderboards sum."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        abstract = True


def _one_row_per_person_and_team(block: str) -> list[models.BaseConstraint]:
    """A PersonBlock table holds one row per person, team (or no team) and `block` start."""
    return [
        models.UniqueConstraint(
            fields=["person", "team", block],
            condition=Q(team__isnull=False),
            name=f"person_{block}_unique",
        ),
        models.UniqueConstraint(
            fields=["person", block],
            condition=Q(team__isnull=True),
            name=f"person_{block}_no_team_unique",
        ),
    ]


class PersonMonth(PersonBlock):
    """PersonDay summed per calendar month and team (None: days in no team).

    Leaderboards rank every rep over a quarter: three rows a rep instead of ninety. `month` is the
    first day of the calendar month; a rep who changed team mid-month has one row per team.
    """

    month = models.DateField()

    class Meta:
        constraints = _one_row_per_person_and_team("month")
        indexes = [models.Index(fields=["month", "person"], name="person_month_month_person")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.month:%Y-%m} team {self.team_id}"


class PersonQuarter(PersonBlock):
    """PersonDay summed per block of three calendar months and team (None: days in no team).

    The blocks start on the fiscal year's first month and every third month after it, so a
    fiscal quarter of a calendar-month fiscal year is one row a rep: a leaderboard of 2,000 reps
    sums 2,000 rows instead of PersonMonth's 6,000 (which cost most of the board's time). Under
    a 4-4-5 calendar fiscal quarters do not fall on months; their reads take months and days.
    Changing the fiscal year's first month re-derives the blocks (`rollup_quarters_realign`).
    """

    quarter = models.DateField(help_text="first day of the block's first month")

    class Meta:
        constraints = _one_row_per_person_and_team("quarter")
        indexes = [models.Index(fields=["quarter", "person"], name="person_quarter_quarter_person")]

    def __str__(self) -> str:
        return f"{self.person_id} quarter of {self.quarter:%Y-%m} team {self.team_id}"


class NodeDay(FactColumns):
    node = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["node", "day"], name="node_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} {self.day.isoformat()}"


class SubjectKind(models.TextChoices):
    PERSON = "person", "Person"
    TEAM = "team", "Team"
    COMPANY = "company", "Company"


class Target(models.Model):
    """A target for one KPI, subject and period (dates half-open, as the periods module uses)."""

    kpi = models.CharField(max_length=64)
    subject_kind = models.CharField(max_length=7, choices=SubjectKind.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    period_label = models.CharField(max_length=64)
    value = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kpi", "period_start"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject_kind="person", person__isnull=False, team__isnull=True)
                    | Q(subject_kind="team", person__isnull=True, team__isnull=False)
                    | Q(subject_kind="company", person__isnull=True, team__isnull=True)
                ),
                name="target_subject_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="target_period_order"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
            models.UniqueConstraint(
                fields=["kpi", "person", "period_start", "period_end"],
                condition=Q(subject_kind="person"),
                name="target_unique_person",
            ),
            models.UniqueConstraint(
                fields=["kpi", "team", "period_start", "period_end"],
                condition=Q(subject_kind="team"),
                name="target_unique_team",
            ),
            models.UniqueConstraint(
                fields=["kpi", "period_start", "period_end"],
                condition=Q(subject_kind="company"),
                name="target_unique_company",
            ),
        ]
        indexes = [models.Index(fields=["kpi", "period_start"], name="target_kpi_start")]

    def __str__(self) -> str:
        who = self.person or self.team or "company"
        return f"{self.kpi} {who} {self.period_label}: {self.value}"
