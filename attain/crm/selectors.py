"""Reads of CRM records for pages and reports: keyword-only, typed, one query each.

Each selector returns rows with their related records already joined, so a page that lists them
issues the same number of queries for three deals as for three hundred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, QuerySet

from attain.crm.models import Activity, Deal, DealStatus
from attain.org.models import Person


def deals_open_for(*, person: Person) -> QuerySet[Deal]:
    """A person's open deals, soonest expected close first (undated last), with account and stage.

    Ordered by close date because that is what a rep works through; the joins keep list pages
    from querying once per row.
    """
    return (
        Deal.objects.filter(owner=person, status=DealStatus.OPEN)
        .select_related("account", "stage")
        .order_by(F("expected_close_date").asc(nulls_last=True), "name", "pk")
    )


def activities_between(*, person: Person, start: date, end: date) -> QuerySet[Activity]:
    """A person's activities on organisation-local days in [start, end), newest first.

    Filters on the stored local date (`occurred_on`), so a 23:30 call in Berlin counts on the day
    the rep made it, whatever the server's time zone.
    """
    return (
        Activity.objects.filter(owner=person, occurred_on__gte=start, occurred_on__lt=end)
        .select_related("deal", "account")
        .order_by("-occurred_at", "-pk")
    )


@dataclass(frozen=True)
class ActivityDayCount:
    """How many activities of one kind a person logged on one day."""

    day: date
    kind: str
    count: int


def activity_counts_between(*, person: Person, start: date, end: date) -> list[ActivityDayCount]:
    """Activity counts per (day, kind) in [start, end), from one grouped query.

    Days and kinds without activities are absent; callers that chart a whole week fill the gaps.
    """
    rows = (
        Activity.objects.filter(owner=person, occurred_on__gte=start, occurred_on__lt=end)
        .order_by()
        .values("occurred_on", "kind")
        .annotate(n=Count("pk"))
        .order_by("occurred_on", "kind")
    )
    return [
        ActivityDayCount(day=row["occurred_on"], kind=row["kind"], count=row["n"]) for row in rows
    ]
