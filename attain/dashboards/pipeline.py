"""Pipeline review: a subject's open deals right now, with age, last touch, next step and health.

The health flags are the metrics engine's own definitions (`Measures.stalled_deals_queryset`,
`missing_next_step_queryset`, `past_close_date_queryset`), so a filter here lists exactly the deals
the `stalled_deals`, `deals_missing_next_step` and `deals_past_close_date` KPIs count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum
from django.http import QueryDict

from attain.core.errors import ValidationFailed
from attain.core.periods import Period, PeriodKind, local_date
from attain.crm.models import Activity, Deal, DealStageChange, Stage
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.measures import Measures
from attain.metrics.engine.subjects import Subject
from attain.org.models import Person

PAGE_SIZE = 50
OWNER_CHOICES = 150  # more owners than this: narrow with the subject picker, not a long list

# sort key → ORDER BY; every ordering ends in the primary key so pages never overlap.
SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "stage": ("Stage", (F("stage__position").asc(), F("expected_close_date").asc(nulls_last=True))),
    "close": ("Expected close", (F("expected_close_date").asc(nulls_last=True),)),
    "amount": ("Amount (largest)", (F("amount_base").desc(),)),
    "age": ("Age (oldest)", (F("created_at").asc(),)),
    "activity": ("Last activity (longest ago)", (F("last_activity_at").asc(nulls_first=True),)),
    "owner": ("Owner", (F("owner__full_name").asc(),)),
}
FLAG_FILTERS = ("stalled", "no_next_step", "past_close")


@dataclass(frozen=True)
class PipelineFilters:
    """The review's filters, as they travel in the URL (so a filtered view can be shared)."""

    stalled: bool = False
    no_next_step: bool = False
    past_close: bool = False
    closing_in_period: bool = False
    owner_id: int | None = None
    stage_id: int | None = None
    sort: str = "stage"

    @classmethod
    def from_query(cls, query: QueryDict) -> PipelineFilters:
        """Parse the query string; anything malformed is a ValidationFailed naming the field."""
        problems: dict[str, str] = {}

        def flag(name: str) -> bool:
            value = query.get(name, "")
            if value in ("", "0"):
                return False
            if value in ("1", "on", "true"):
                return True
            problems[name] = f"{value!r} is not a yes/no value; use 1 or leave it out."
            return False

        def number(name: str) -> int | None:
            value = query.get(name, "").strip()
            if not value:
                return None
            if not value.isdigit():
                problems[name] = f"{value!r} is not an id."
                return None
            return int(value)

        sort = query.get("sort", "") or "stage"
        if sort not in SORTS:
            problems["sort"] = f"{sort!r} is not a sort; use one of {', '.join(SORTS)}."
            sort = "stage"
        filters = cls(
            stalled=flag("stalled"),
            no_next_step=flag("no_next_step"),
            past_close=flag("past_close"),
            closing_in_period=flag("closing"),
            owner_id=number("owner"),
            stage_id=number("stage"),
            sort=sort,
        )
        if problems:
            raise ValidationFailed(problems)
        return filters

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters, with some values changed.

        Yes/no filters and the sort are always written out (`stalled=0`), so the address bar,
        which htmx keeps up to date, says what is off as well as what is on: the pickers copy it
        into their hidden fields when the period or subject changes. Owner and stage appear only
        when set.
        """
        values = {
            "stalled": self.stalled,
            "no_next_step": self.no_next_step,
            "past_close": self.past_close,
            "closing": self.closing_in_period,
            "owner": self.owner_id,
            "stage": self.stage_id,
            "sort": self.sort,
        }
        values.update(changes)
        params: dict[str, str] = {}
        for key, value in values.items():
            if isinstance(value, bool):
                params[key] = "1" if value else "0"
            elif value not in (None, ""):
                params[key] = str(value)
        return params

    @property
    def any(self) -> bool:
        return bool(
            self.stalled
            or self.no_next_step
            or self.past_close
            or self.closing_in_period
            or self.owner_id
            or self.stage_id
        )


@dataclass(frozen=True)
class HealthFlag:
    key: str  # stalled | no_next_step | past_close | step_late
    label: str
    reason: str  # the whole sentence (the deal page, a tooltip)
    severity: str  # danger | warn
    short: str = ""  # the reason in a few words (the review table)


@dataclass(frozen=True)
class PipelineRow:
    deal: Deal
    age_days: int
    days_in_stage: int
    days_since_activity: int | None
    flags: tuple[HealthFlag, ...]


@dataclass(frozen=True)
class StageSummary:
    stage: Stage
    count: int
    amount: Decimal
    share: int  # percent of the largest stage's amount, for the bar width


@dataclass
class PipelineReview:
    subject: Subject
    filters: PipelineFilters
    today: date
    open_count: int
    open_amount: Decimal
    stalled: int
    no_next_step: int
    past_close: int
    stages: list[StageSummary]
    owners: list[Person]  # empty when there are too many to list (pick a subject instead)
    page: Page[int]
    rows: list[PipelineRow] = field(default_factory=list)

    @property
    def matching(self) -> int:
        return self.page.paginator.count


def _days(today: date, instant: datetime | None, ctx: MetricsContext) -> int | None:
    return None if instant is None else (today - local_date(instant, ctx.tz)).days


def with_health(deals: QuerySet[Deal], *, ctx: MetricsContext) -> QuerySet[Deal]:
    """Annotate `is_stalled` from the engine's stalled definition (company-wide, so any scope)."""
    stalled = Measures(
        Subject.company(), ctx.calendar.period_of(ctx.today, PeriodKind.DAY), ctx
    ).stalled_deals_queryset()
    return deals.annotate(is_stalled=Exists(stalled.filter(pk=OuterRef("pk"))))


def deal_flags(deal: Deal, *, ctx: MetricsContext) -> tuple[HealthFlag, ...]:
    """The deal's health flags, each with the reason a manager can act on.

    `deal.is_stalled` must come from `with_health`; the other flags are the engine's plain
    conditions (empty next step, expected close before today) checked on the row.
    """
    today = ctx.today
    flags: list[HealthFlag] = []
    if deal.status != "open":
        return ()
    if getattr(deal, "is_stalled", False):
        touch = max(d for d in (deal.last_activity_at, deal.stage_entered_at) if d is not None)
        quiet = (today - local_date(touch, ctx.tz)).days
        flags.append(
            HealthFlag(
                "stalled",
                "Stalled",
                f"No activity and no stage change for {quiet} days "
                f"(limit in {deal.stage.name}: {deal.stage.stall_after_days})",
                "danger",
                f"{quiet} days quiet, limit {deal.stage.stall_after_days}",
            )
        )
    if deal.expected_close_date is not None and deal.expected_close_date < today:
        late = (today - deal.expected_close_date).days
        flags.append(
            HealthFlag(
                "past_close",
                "Past close date",
                f"Expected to close on {deal.expected_close_date:%d %b %Y}, {late} "
                f"day{'s' if late != 1 else ''} ago",
                "danger",
                f"{late} day{'s' if late != 1 else ''} overdue",
            )
        )
    if deal.next_step == "":
        flags.append(
            HealthFlag("no_next_step", "No next step", "No next step is recorded", "warn", "")
        )
    elif deal.next_step_date is not None and deal.next_step_date < today:
        flags.append(
            HealthFlag(
                "step_late",
                "Next step late",
                f"The next step was due on {deal.next_step_date:%d %b %Y}",
                "warn",
                f"was due {deal.next_step_date:%d %b}",
            )
        )
    return tuple(flags)


def _row(deal: Deal, ctx: MetricsContext) -> PipelineRow:
    today = ctx.today
    return PipelineRow(
        deal=deal,
        age_days=(today - deal.created_on).days,
        days_in_stage=_days(today, deal.stage_entered_at, ctx) or 0,
        days_since_activity=_days(today, deal.last_activity_at, ctx),
        flags=deal_flags(deal, ctx=ctx),
    )


def pipeline_review(
    *,
    subject: Subject,
    period: Period,
    owner_ids: frozenset[int] | None,
    filters: PipelineFilters,
    page: int,
    ctx: MetricsContext,
    page_size: int = PAGE_SIZE,
) -> PipelineReview:
    """The subject's open deals now (today's team membership, like the health KPIs), limited to
    owners the viewer may see (`owner_ids`, None = everyone), filtered, sorted and paginated.

    The period only matters for the "closing in the period" filter: open deals are a present-tense
    list whatever period is picked. A fixed number of queries whatever the number of deals.
    """
    measures = Measures(subject, period, ctx)
    scope = measures.current_open_deals()
    if owner_ids is not None:
        scope = scope.filter(owner_id__in=owner_ids)

    # The headline counts are the health KPIs themselves (the engine's aggregate and stalled
    # count for the subject). A visible team's members today are all visible, so `owner_ids`
    # cannot narrow them; a person seen for a past period (a rep who has since left the
    # manager's team) is not visible today, and then neither are their deals nor their counts.
    hidden_person = (
        subject.kind == "person" and owner_ids is not None and subject.person_id not in owner_ids
    )
    if hidden_person:
        health = dict.fromkeys(("open", "no_next_step", "past_close"), 0)
        stalled_count = 0
    else:
        health = measures.health_counts
        stalled_count = measures.stalled_count

    # Stage totals and the owners for the filter, from one grouped read.
    by_stage: dict[int, list[Any]] = {}
    owner_set: set[int] = set()
    for stage_id, owner_id, count, amount in (
        scope.order_by()
        .values("stage_id", "owner_id")
        .annotate(count=Count("id"), amount=Sum("amount_base"))
        .values_list("stage_id", "owner_id", "count", "amount")
    ):
        totals = by_stage.setdefault(stage_id, [0, Decimal("0.00")])
        totals[0] += count
        totals[1] += amount or 0
        owner_set.add(owner_id)
    stages = list(Stage.objects.filter(pk__in=by_stage).select_related("pipeline"))
    stages.sort(key=lambda s: (not s.pipeline.is_default, s.pipeline.name, s.position))
    largest = max((amount for _, amount in by_stage.values()), default=0)
    summaries = [
        StageSummary(
            stage=stage,
            count=by_stage[stage.pk][0],
            amount=by_stage[stage.pk][1],
            share=int(100 * by_stage[stage.pk][1] / largest) if largest else 0,
        )
        for stage in stages
    ]
    owners = []
    if len(owner_set) <= OWNER_CHOICES:
        owners = list(Person.objects.filter(pk__in=owner_set).order_by("full_name"))

    deals = scope
    if filters.stalled:
        deals = deals.filter(pk__in=measures.stalled_deals_queryset())
    if filters.no_next_step:
        deals = deals.filter(pk__in=measures.missing_next_step_queryset())
    if filters.past_close:
        deals = deals.filter(pk__in=measures.past_close_date_queryset())
    if filters.closing_in_period:
        deals = deals.filter(
            expected_close_date__gte=period.start, expected_close_date__lt=period.end
        )
    if filters.owner_id is not None:
        deals = deals.filter(owner_id=filters.owner_id)
    if filters.stage_id is not None:
        deals = deals.filter(stage_id=filters.stage_id)
    # Sort and cut the page on ids alone, then read the page's rows with their joins and the
    # stalled flag: evaluating the flag (a subquery) for every deal before the LIMIT costs a
    # company-wide review hundreds of milliseconds.
    ordered = deals.order_by(*SORTS[filters.sort][1], "pk").values_list("pk", flat=True)
    paginator = Paginator(ordered, page_size)
    current = paginator.get_page(page)
    page_ids = list(current.object_list)
    loaded = {
        deal.pk: deal
        for deal in with_health(Deal.objects.filter(pk__in=page_ids), ctx=ctx).select_related(
            "owner", "account", "stage"
        )
    }
    page_deals = [loaded[pk] for pk in page_ids if pk in loaded]
    return PipelineReview(
        subject=subject,
        filters=filters,
        today=ctx.today,
        open_count=health["open"],
        open_amount=sum((amount for _, amount in by_stage.values()), start=Decimal("0.00")),
        stalled=stalled_count,
        no_next_step=health["no_next_step"],
        past_close=health["past_close"],
        stages=summaries,
        owners=owners,
        page=current,
        rows=[_row(deal, ctx) for deal in page_deals],
    )


# ----------------------------------------------------------------------------- one deal


@dataclass(frozen=True)
class StageStay:
    """One stage a deal passed through: when it entered and how long it stayed."""

    change: DealStageChange
    days: int
    current: bool


@dataclass
class DealPage:
    deal: Deal
    flags: tuple[HealthFlag, ...]
    age_days: int
    days_since_activity: int | None
    history: list[StageStay]
    activities: list[Activity]
    activity_total: int


ACTIVITY_LIMIT = 100


def deal_page(*, deal: Deal, activities: QuerySet[Activity], ctx: MetricsContext) -> DealPage:
    """A deal with its health flags, stage history (oldest first) and latest activities.

    `activities` is the viewer's visible activities; the deal's own are taken from it, so a
    manager does not see what someone outside their scope logged on a shared deal.
    """
    annotated = with_health(Deal.objects.filter(pk=deal.pk), ctx=ctx).values_list(
        "is_stalled",  # type: ignore[misc]  # an annotation, unknown to django-stubs
        flat=True,
    )
    deal.is_stalled = bool(annotated.first())  # type: ignore[attr-defined]
    changes = list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("changed_at", "id")
    )
    end = deal.closed_at or ctx.now
    history = [
        StageStay(
            change=change,
            days=(
                local_date(changes[i + 1].changed_at if i + 1 < len(changes) else end, ctx.tz)
                - local_date(change.changed_at, ctx.tz)
            ).days,
            current=i + 1 == len(changes),
        )
        for i, change in enumerate(changes)
    ]
    mine = activities.filter(deal=deal).select_related("owner").order_by("-occurred_at", "-id")
    listed = list(mine[:ACTIVITY_LIMIT])
    total = len(listed) if len(listed) < ACTIVITY_LIMIT else mine.count()
    today = ctx.today
    return DealPage(
        deal=deal,
        flags=deal_flags(deal, ctx=ctx),
        age_days=((deal.closed_on or today) - deal.created_on).days,
        days_since_activity=_days(today, deal.last_activity_at, ctx),
        history=history,
        activities=listed,
        activity_total=total,
    )
