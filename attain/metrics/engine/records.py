"""Drill-down: the records behind a KPI value, as a queryset the caller paginates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from attain.core.errors import NotFound
from attain.crm.models import Activity, Deal, DealStageChange, DealStatus, Lead
from attain.metrics.engine.measures import Measures


@dataclass(frozen=True)
class RecordSet:
    model: str  # "deal", "activity", "lead", "stage_change"
    queryset: QuerySet[Any]
    columns: tuple[str, ...]


DEAL_COLUMNS = (
    "id",
    "name",
    "owner__full_name",
    "account__name",
    "stage__name",
    "status",
    "amount_base",
    "created_at",
    "expected_close_date",
    "closed_on",
    "next_step",
)
ACTIVITY_COLUMNS = (
    "id",
    "kind",
    "owner__full_name",
    "occurred_at",
    "outcome",
    "deal_id",
    "account__name",
    "subject",
)
LEAD_COLUMNS = ("id", "name", "company", "source", "owner__full_name", "created_at", "status")
STAGE_CHANGE_COLUMNS = (
    "id",
    "deal_id",
    "deal__name",
    "from_stage__name",
    "to_stage__name",
    "changed_at",
)


def _closed(m: Measures, *statuses: str) -> QuerySet[Deal]:
    deals = Deal.objects.filter(
        status__in=statuses, closed_on__gte=m.period.start, closed_on__lt=m.period.end
    )
    return m.attributed(deals, day="closed_on", within=m.period_span)


def _created(m: Measures) -> QuerySet[Deal]:
    deals = Deal.objects.filter(created_on__gte=m.period.start, created_on__lt=m.period.end)
    return m.attributed(deals, day="created_on", within=m.period_span)


def _activities(m: Measures, kind: str | None) -> QuerySet[Activity]:
    activities = Activity.objects.filter(
        occurred_on__gte=m.period.start, occurred_on__lt=m.period.end
    )
    if kind:
        activities = activities.filter(kind=kind)
    return m.attributed(activities, day="occurred_on", within=m.period_span)


def records_for(record_set: str, m: Measures) -> RecordSet:
    """The records a KPI counts, newest first."""
    name, _, kind = record_set.partition(":")
    if name == "deals_won":
        return RecordSet(
            "deal", _closed(m, DealStatus.WON).order_by("-closed_on", "-id"), DEAL_COLUMNS
        )
    if name == "deals_lost":
        return RecordSet(
            "deal", _closed(m, DealStatus.LOST).order_by("-closed_on", "-id"), DEAL_COLUMNS
        )
    if name == "deals_closed":
        qs = _closed(m, DealStatus.WON, DealStatus.LOST).order_by("-closed_on", "-id")
        return RecordSet("deal", qs, DEAL_COLUMNS)
    if name == "new_customers":
        return RecordSet("deal", m.first_win_deals().order_by("-closed_on", "-id"), DEAL_COLUMNS)
    if name == "deals_created":
        return RecordSet("deal", _created(m).order_by("-created_at", "-id"), DEAL_COLUMNS)
    if name == "open_deals":
        ids = [d.id for d in m.open_deals]
        return RecordSet(
            "deal", Deal.objects.filter(id__in=ids).order_by("-amount_base", "-id"), DEAL_COLUMNS
        )
    if name == "open_deals_due":
        ids = [
            d.id
            for d in m.open_deals
            if d.expected_close_date is not None and m.period.contains(d.expected_close_date)
        ]
        return RecordSet(
            "deal",
            Deal.objects.filter(id__in=ids).order_by("expected_close_date", "-id"),
            DEAL_COLUMNS,
        )
    if name == "stalled_deals":
        return RecordSet(
            "deal", m.stalled_deals_queryset().order_by("stage_entered_at", "id"), DEAL_COLUMNS
        )
    if name == "deals_missing_next_step":
        return RecordSet(
            "deal", m.missing_next_step_queryset().order_by("-amount_base", "id"), DEAL_COLUMNS
        )
    if name == "deals_past_close_date":
        return RecordSet(
            "deal", m.past_close_date_queryset().order_by("expected_close_date", "id"), DEAL_COLUMNS
        )
    if name == "deals_no_recent_activity":
        return RecordSet(
            "deal", m.no_recent_activity_queryset().order_by("last_activity_at", "id"), DEAL_COLUMNS
        )
    if name == "stage_changes":
        changes = DealStageChange.objects.filter(
            changed_at__gte=m.period.start_at(m.ctx.tz), changed_at__lt=m.period.end_at(m.ctx.tz)
        )
        changes = m.attributed(changes, owner="deal__owner", day=m.as_of_day)
        return RecordSet(
            "stage_change", changes.order_by("-changed_at", "-id"), STAGE_CHANGE_COLUMNS
        )
    if name == "leads":
        leads = Lead.objects.filter(created_on__gte=m.period.start, created_on__lt=m.period.end)
        leads = m.attributed(leads, day="created_on", within=m.period_span)
        return RecordSet("lead", leads.order_by("-created_at", "-id"), LEAD_COLUMNS)
    if name == "activities":
        return RecordSet(
            "activity",
            _activities(m, kind or None).order_by("-occurred_at", "-id"),
            ACTIVITY_COLUMNS,
        )
    if name == "quotes":
        return RecordSet(
            "activity", m.quotes_queryset().order_by("-occurred_at", "-id"), ACTIVITY_COLUMNS
        )
    raise NotFound(f"No drill-down record set is named {record_set!r}.")
