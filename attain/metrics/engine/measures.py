"""The quantities KPI formulas are made of, for one subject and period, each computed once.

Additive facts come from the rollups in one query; everything that cannot be summed from daily
facts (medians, distinct customers, point-in-time pipeline, follow-up windows, stage history) is
computed from the raw records, attributed to the subject by the owner's team on the record's day.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from attain.core.periods import Period, local_date
from attain.crm.models import (
    Activity,
    ActivityKind,
    Deal,
    DealStatus,
    ForecastCategory,
)
from attain.metrics.engine import rawsql
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.facts import FACT_NAMES, MONEY_FACTS
from attain.metrics.engine.factsql import facts_sum_ranges, index_probe_plan
from attain.metrics.engine.rawsql import TargetRow, WonRow
from attain.metrics.engine.subjects import Span, Subject, attributed, subtree_spans
from attain.metrics.models import NodeDay, PersonDay
from attain.org.models import Team

Number = Decimal | int


def fact_queryset(subject: Subject, start: date, end: date) -> QuerySet[Any]:
    """The rollup rows that hold the subject's daily facts in [start, end)."""
    if subject.kind == "person":
        return PersonDay.objects.filter(person=subject.person_id, day__gte=start, day__lt=end)
    node_id = subject.team_id
    if subject.kind == "company":
        node_id = Team.objects.filter(parent__isnull=True).values_list("id", flat=True).first()
        if node_id is None:  # no tree yet: every person-day is the company's
            return PersonDay.objects.filter(day__gte=start, day__lt=end)
    return NodeDay.objects.filter(node_id=node_id, day__gte=start, day__lt=end)


def fact_source(subject: Subject, ctx: MetricsContext) -> tuple[str, int | None]:
    """Which rollup rows hold the subject's facts: ("person", id), ("node", id) or ("all", None)."""
    if subject.kind == "person":
        return "person", subject.person_id
    if subject.kind == "team":
        return "node", subject.team_id
    if "root_node" not in ctx.cache:
        ctx.cache["root_node"] = (
            Team.objects.filter(parent__isnull=True).values_list("id", flat=True).first()
        )
    root: int | None = ctx.cache["root_node"]
    return ("node", root) if root is not None else ("all", None)


def sum_facts(queryset: QuerySet[Any]) -> dict[str, Number]:
    totals = queryset.aggregate(**{name: Sum(name) for name in FACT_NAMES})
    return {name: _zero_if_none(name, totals[name]) for name in FACT_NAMES}


def _zero_if_none(name: str, value: Number | None) -> Number:
    if value is None:
        return Decimal("0.00") if name in MONEY_FACTS else 0
    return value


# A team up to this size reads its won-deal history once per request (a few thousand rows) and
# derives every won-deal measure of every period from it; a larger one aggregates in SQL.
SHARED_HISTORY_PEOPLE = 50


def _revenue_and_accounts(rows: Iterable[WonRow]) -> tuple[Decimal, int]:
    """Revenue of the won deals that have an account, and how many distinct accounts."""
    revenue, accounts = Decimal("0.00"), set()
    for _, _, account, amount in rows:
        if account is not None:
            revenue += amount
            accounts.add(account)
    return revenue, len(accounts)


@dataclass
class OpenDeal:
    id: int
    amount: Decimal
    probability: int
    stage_id: int
    created_on: date  # the organisation-local day it was created
    expected_close_date: date | None


@dataclass(frozen=True)
class OpenTotals:
    count: int
    value: Decimal
    weighted: Decimal
    due: Decimal

    @classmethod
    def grouped(cls, rows: Iterable[tuple[int, bool, int, Decimal | None]]) -> OpenTotals:
        """From (probability, due in period, deal count, summed amount) groups."""
        count, value, weighted, due = 0, Decimal("0.00"), Decimal(0), Decimal("0.00")
        for probability, is_due, n, amount in rows:
            amount = amount or Decimal("0.00")
            count += n
            value += amount
            weighted += amount * (probability or 0)
            if is_due:
                due += amount
        return cls(count, value, (weighted / 100).quantize(Decimal("0.01")), due)

    @classmethod
    def of(cls, deals: Iterable[tuple[Decimal, int, bool]]) -> OpenTotals:
        """From individual (amount, probability, due in period) deals."""
        return cls.grouped((p, due, 1, amount) for amount, p, due in deals)


class Measures:
    """Lazy, cached measures for one (subject, period); `facts` may be preloaded in bulk."""

    def __init__(
        self,
        subject: Subject,
        period: Period,
        ctx: MetricsContext,
        *,
        facts: dict[str, Number] | None = None,
    ) -> None:
        self.subject = subject
        self.period = period
        self.ctx = ctx
        self._facts = facts
        self._targets: dict[str, Decimal | None] = {}
        # Set by `measures_preload` when one request asks for several periods or KPIs of this
        # subject: the won-deal measures then share one read of the won deals (up to this day);
        # with several KPIs, open-pipeline totals come from the open deals' rows too.
        self.shared_until: date | None = None
        self.open_rows_shared = False

    # ------------------------------------------------------------------ facts and calendar

    def fact(self, name: str) -> Number:
        if self._facts is None:
            kind, key = fact_source(self.subject, self.ctx)
            span = (self.period.start, self.period.end)
            self._facts = facts_sum_ranges(kind=kind, key=key, ranges=[span])[0]
        return self._facts[name]

    def facts_sum(self, *names: str) -> Number:
        return sum((self.fact(n) for n in names), start=0)

    @cached_property
    def working_days(self) -> int:
        return self.ctx.calendar.working_days(self.period)

    @cached_property
    def working_days_elapsed(self) -> int:
        return self.ctx.calendar.working_days_elapsed(self.period, self.ctx.today)

    @cached_property
    def as_of(self) -> datetime:
        return self.ctx.as_of(self.period)

    @cached_property
    def as_of_day(self) -> date:
        return local_date(self.as_of, self.ctx.tz)

    @property
    def spans(self) -> list[Span] | None:
        """The team subject's memberships, read once per context (None for other subjects)."""
        if self.subject.kind != "team":
            return None
        key = ("spans", self.subject.team_path)
        if key not in self.ctx.cache:
            self.ctx.cache[key] = subtree_spans(self.subject)
        spans: list[Span] = self.ctx.cache[key]
        return spans

    def attributed(
        self,
        queryset: QuerySet[Any],
        *,
        owner: str = "owner",
        day: str | date,
        within: tuple[date, date] | None = None,
    ) -> QuerySet[Any]:
        """`attributed()` with this subject and its memberships read once."""
        return attributed(
            queryset, self.subject, owner=owner, day=day, within=within, spans=self.spans
        )

    def target(self, kpi_key: str) -> Decimal | None:
        if kpi_key not in self._targets:
            self._targets[kpi_key] = target_for(kpi_key, self.subject, self.period)
        return self._targets[kpi_key]

    # ------------------------------------------------------------------ closed deals (raw)

    def won_deals(self) -> QuerySet[Deal]:
        deals = Deal.objects.filter(
            status=DealStatus.WON, closed_on__gte=self.period.start, closed_on__lt=self.period.end
        )
        return self.attributed(deals, day="closed_on", within=self.period_span)

    @property
    def period_span(self) -> tuple[date, date]:
        return self.period.start, self.period.end

    def won_history(self) -> list[WonRow] | None:
        """Every won deal of the subject closed before `shared_until`, read once per request.

        None when the request shares nothing, or for the company or a team of more than
        SHARED_HISTORY_PEOPLE people (their whole history is too many rows; SQL aggregates are
        cheaper there). Attribution is by the owner's team on each deal's close day, so any
        close-day range of these rows is that range's attribution.
        """
        if self.shared_until is None or not self._small_subject():
            return None
        key = ("won_history", self.subject.spec, self.shared_until)
        if key not in self.ctx.cache:
            self.ctx.cache[key] = rawsql.won_rows(self.subject, self.spans, None, self.shared_until)
        rows: list[WonRow] = self.ctx.cache[key]
        return rows

    def _small_subject(self) -> bool:
        """A person, or a team of at most SHARED_HISTORY_PEOPLE people (not the company)."""
        if self.subject.kind == "company":
            return False
        spans = self.spans
        return spans is None or len({p for p, _, _ in spans}) <= SHARED_HISTORY_PEOPLE

    def _won_between(self, start: date, end: date) -> list[WonRow] | None:
        history = self.won_history()
        if history is None:
            return None
        return [row for row in history if start <= row[0] < end]

    @cached_property
    def won_rows(self) -> list[WonRow]:
        """(close day, created day, account id, base amount) of the period's won deals."""
        rows = self._won_between(self.period.start, self.period.end)
        if rows is not None:
            return rows
        return rawsql.won_rows(self.subject, self.spans, self.period.start, self.period.end)

    @cached_property
    def won_cycle_days(self) -> list[int]:
        return [(closed_on - created_on).days for closed_on, created_on, _, _ in self.won_rows]

    @cached_property
    def median_cycle_days(self) -> Decimal | None:
        days = self.won_cycle_days
        return Decimal(str(statistics.median(days))) if days else None

    @cached_property
    def customers_won(self) -> tuple[Decimal, int]:
        """Revenue of won deals that have an account, and how many distinct accounts."""
        # From the rows when they are (or will be) in hand; the company's are too many to read
        # only for this.
        if "won_rows" in self.__dict__ or self.won_history() is not None:
            return _revenue_and_accounts(self.won_rows)
        revenue, _, accounts = rawsql.won_customers(
            self.subject, self.spans, self.period.start, self.period.end
        )
        return revenue, accounts

    def first_win_deals(self) -> QuerySet[Deal]:
        """The subject's won deals in the period that are their account's first-ever win."""
        earlier = Deal.objects.filter(
            account_id=OuterRef("account_id"), status=DealStatus.WON
        ).filter(
            Q(closed_at__lt=OuterRef("closed_at"))
            | Q(closed_at=OuterRef("closed_at"), id__lt=OuterRef("id"))
        )
        return self.won_deals().filter(account__isnull=False).exclude(Exists(earlier))

    @cached_property
    def new_customers(self) -> int:
        """Accounts whose first-ever won deal closed in the period (by the subject)."""
        return rawsql.new_customers(self.subject, self.spans, self.period.start, self.period.end)

    @cached_property
    def lifetime_customers(self) -> tuple[Decimal, int]:
        """All revenue the subject ever won up to the period end, and from how many accounts."""
        rows = self._won_between(date.min, self.period.end)
        if rows is not None:
            return _revenue_and_accounts(rows)
        revenue, _, accounts = rawsql.won_customers(self.subject, self.spans, None, self.period.end)
        return revenue, accounts

    @cached_property
    def trailing_year_purchases(self) -> tuple[int, int]:
        """Won deals and distinct customer accounts in the 365 days before the period end."""
        span = (self.period.end - timedelta(days=365), self.period.end)
        rows = self._won_between(*span)
        if rows is not None:
            ids = [account for _, _, account, _ in rows if account is not None]
            return len(ids), len(set(ids))
        _, deals, accounts = rawsql.won_customers(self.subject, self.spans, *span)
        return deals, accounts

    # ------------------------------------------------------------------ open pipeline (raw)

    def open_deals_queryset(self) -> QuerySet[Deal]:
        """Deals open at the as-of moment, attributed by the owner's team on that day."""
        at = self.as_of
        open_now = Deal.objects.filter(status=DealStatus.OPEN, created_at__lt=at)
        if self.ctx.is_live(self.period):
            return self.attributed(open_now, day=self.as_of_day)
        # Open then = open now, or closed at or after `at` (a deal is open exactly when it has no
        # close time). The closed branch also names its statuses and the local close day that
        # implies, and each branch carries the owners, so each is a range of an owner index
        # (SQLite too) instead of every deal the owners ever had.
        closed_since = Deal.objects.filter(
            status__in=(DealStatus.WON, DealStatus.LOST),
            closed_on__gte=local_date(at, self.ctx.tz),
            closed_at__gte=at,
            created_at__lt=at,
        )
        return self.attributed(open_now, day=self.as_of_day) | self.attributed(
            closed_since, day=self.as_of_day
        )

    @cached_property
    def open_deals(self) -> list[OpenDeal]:
        """Deals open at the as-of moment, each with the stage it was in then."""
        defaults = {s.id: s.default_probability for s in self.stages().values()}
        return [
            OpenDeal(
                id=row.id,
                amount=row.amount,
                probability=(
                    row.probability
                    if row.probability is not None
                    else (defaults.get(row.stage_id) or 0)
                ),
                stage_id=row.stage_id,
                created_on=row.created_on,
                expected_close_date=row.expected_close_date,
            )
            for row in rawsql.open_rows(
                self.subject,
                self.spans,
                at=self.as_of,
                at_day=self.as_of_day,
                live=self.ctx.is_live(self.period),
            )
        ]

    @cached_property
    def open_totals(self) -> OpenTotals:
        """Count, value, weighted value and value due in the period of the open pipeline.

        Summed in SQL, grouped by effective probability and whether the deal is due in the
        period (a handful of rows), so the weighting stays exact Decimal arithmetic. For a past
        snapshot the weighted value is not in here: it needs each deal's stage at that time.
        """
        # Several KPIs of a person or team: the rows serve weighted value and age too (the
        # company's or a region's open deals are thousands, summed in SQL instead).
        if self.open_rows_shared and self._small_subject():
            return OpenTotals.of(
                (
                    d.amount,
                    d.probability,
                    d.expected_close_date is not None
                    and self.period.start <= d.expected_close_date < self.period.end,
                )
                for d in self.open_deals
            )
        return OpenTotals.grouped(
            rawsql.open_groups(
                self.subject,
                self.spans,
                at=self.as_of,
                at_day=self.as_of_day,
                live=self.ctx.is_live(self.period),
                due=self.period_span,
            )
        )

    @cached_property
    def pipeline_value(self) -> Decimal:
        return self.open_totals.value

    @cached_property
    def weighted_pipeline(self) -> Decimal:
        if self.ctx.is_live(self.period):
            return self.open_totals.weighted
        return OpenTotals.of((d.amount, d.probability, False) for d in self.open_deals).weighted

    @cached_property
    def pipeline_due_in_period(self) -> Decimal:
        return self.open_totals.due

    @cached_property
    def open_deal_count(self) -> int:
        return self.open_totals.count

    @cached_property
    def deal_age_by_stage(self) -> dict[int, tuple[int, int]]:
        """Open deals per stage id as (count, summed age in days), an age being the as-of day
        minus the local created day. From the open deals' rows when several KPIs share them,
        else counted in SQL (a team's average age alone needs no row per deal)."""
        if not (self.open_rows_shared and self._small_subject()):
            return rawsql.open_ages(
                self.subject,
                self.spans,
                at=self.as_of,
                at_day=self.as_of_day,
                live=self.ctx.is_live(self.period),
            )
        ages: dict[int, tuple[int, int]] = {}
        for deal in self.open_deals:
            count, days = ages.get(deal.stage_id, (0, 0))
            ages[deal.stage_id] = (count + 1, days + (self.as_of_day - deal.created_on).days)
        return ages

    # ------------------------------------------------------------------ pipeline health (now)

    def current_open_deals(self) -> QuerySet[Deal]:
        """Open deals right now (health flags describe the present, whatever the period)."""
        deals = Deal.objects.filter(status=DealStatus.OPEN)
        return self.attributed(deals, day=self.ctx.today)

    def stalled_deals_queryset(self) -> QuerySet[Deal]:
        last_touch = Greatest(Coalesce("last_activity_at", "stage_entered_at"), "stage_entered_at")
        # One cutoff per stage as a CASE, not an OR of stage conditions: an OR makes SQLite scan
        # the stage index instead of the owner/status index.
        cutoff = Case(
            *(
                When(
                    stage_id=stage.id,
                    then=Value(self.ctx.now - timedelta(days=stage.stall_after_days)),
                )
                for stage in self.stages().values()
            ),
            default=Value(None),
            output_field=DateTimeField(),
        )
        return (
            self.current_open_deals()
            .alias(last_touch=last_touch, cutoff=cutoff)
            .filter(last_touch__lt=F("cutoff"))
        )

    def missing_next_step_queryset(self) -> QuerySet[Deal]:
        return self.current_open_deals().filter(next_step="")

    def past_close_date_queryset(self) -> QuerySet[Deal]:
        return self.current_open_deals().filter(expected_close_date__lt=self.ctx.today)

    def no_recent_activity_queryset(self) -> QuerySet[Deal]:
        cutoff = self.ctx.now - timedelta(days=self.ctx.settings.no_activity_days)
        return self.current_open_deals().filter(
            Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff)
        )

    def _now_cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """Health figures describe the present whatever the period: compute once per subject."""
        key = (name, self.subject.kind, self.subject.person_id, self.subject.team_id)
        if key not in self.ctx.cache:
            self.ctx.cache[key] = compute()
        return self.ctx.cache[key]

    @cached_property
    def health_counts(self) -> dict[str, int]:
        """Open deals now and how many carry each data-quality flag (one statement, shared with
        `stalled_count`); the same definitions as the `*_queryset` drill-downs above."""
        counts: dict[str, int] = self._now_cached("health", self._health_counts)
        return {name: n for name, n in counts.items() if name != "stalled"}

    @cached_property
    def stalled_count(self) -> int:
        counts: dict[str, int] = self._now_cached("health", self._health_counts)
        return counts["stalled"]

    def _health_counts(self) -> dict[str, int]:
        counts = rawsql.health_counts(
            self.subject,
            self.spans,
            today=self.ctx.today,
            no_activity_before=self.ctx.now - timedelta(days=self.ctx.settings.no_activity_days),
            stall_before={
                stage.id: self.ctx.now - timedelta(days=stage.stall_after_days)
                for stage in self.stages().values()
            },
        )
        return dataclasses.asdict(counts)

    # ------------------------------------------------------------------ activities (raw)

    def quotes_queryset(self) -> QuerySet[Activity]:
        quotes = Activity.objects.filter(
            kind=ActivityKind.QUOTE,
            occurred_on__gte=self.period.start,
            occurred_on__lt=self.period.end,
        )
        return self.attributed(quotes, day="occurred_on", within=self.period_span)

    @cached_property
    def quotes_followed_up(self) -> tuple[int, int]:
        """(quotes with a follow-up within N days on the same deal or account, all quotes)."""
        return rawsql.quotes_followed_up(
            self.subject,
            self.spans,
            start=self.period.start,
            end=self.period.end,
            window=timedelta(days=self.ctx.settings.follow_up_days),
        )

    # ------------------------------------------------------------------ stage history (raw)

    def stages(self) -> dict[int, StageInfo]:
        """Every stage by id (a handful), read once per request."""
        if "stages" not in self.ctx.cache:
            self.ctx.cache["stages"] = {row[0]: StageInfo(*row) for row in rawsql.stage_rows()}
        stages: dict[int, StageInfo] = self.ctx.cache["stages"]
        return stages

    def default_stages(self) -> list[StageInfo]:
        """The default pipeline's stages in order."""
        return sorted(
            (s for s in self.stages().values() if s.in_default_pipeline), key=lambda s: s.position
        )

    @cached_property
    def stage_steps(self) -> list[StageStep]:
        """For each open stage: deals that entered it in the period, and how many moved on."""
        stages = self.default_stages()
        if not stages:
            return []
        position = {s.id: s.position for s in stages}
        lost = {s.id for s in stages if s.forecast_category == ForecastCategory.CLOSED_LOST}
        # Open and won stages count as progress; a lost deal reached nothing further.
        with index_probe_plan():
            counts = rawsql.stage_step_counts(
                self.subject,
                self.spans,
                start_at=self.period.start_at(self.ctx.tz),
                end_at=self.period.end_at(self.ctx.tz),
                as_of=self.as_of,
                as_of_day=self.as_of_day,
                position=position,
                reached={s: p for s, p in position.items() if s not in lost},
            )
        return [
            StageStep(stage.name, *counts.get(stage.id, (0, 0)))
            for stage in stages
            if stage.forecast_category
            not in (ForecastCategory.CLOSED_WON, ForecastCategory.CLOSED_LOST)
        ]


class NotFromFacts(Exception):
    """A formula asked a FactsView for more than facts (a target, raw records)."""


# What a FactsView answers besides facts: figures of the period that every subject shares.
_PERIOD_LEVEL = frozenset(
    {"period", "ctx", "period_span", "working_days", "working_days_elapsed", "as_of", "as_of_day"}
)


class FactsView:
    """Stands in for Measures where a formula may be a function of summed facts alone.

    A leaderboard evaluates a rollup KPI for thousands of reps; most formulas read only facts
    (and perhaps the period's working days), so reps with equal facts have equal values and
    need neither a Subject nor a Measures each. The facts are in `sums` (a rep's row), read
    through `positions` (fact name -> index; a fact not in it is a KeyError, as in Measures), so
    moving the view to the next rep is one assignment. Whatever else a formula asks for (a
    target) raises NotFromFacts, and the caller evaluates that subject with a full Measures.
    """

    __slots__ = ("_period", "positions", "sums")

    def __init__(self, positions: dict[str, int], period: Measures) -> None:
        self.positions = positions
        self.sums: tuple[Number, ...] = ()
        self._period = period  # any subject's Measures of the period: only _PERIOD_LEVEL is read

    def fact(self, name: str) -> Number:
        return self.sums[self.positions[name]]

    def facts_sum(self, *names: str) -> Number:
        return sum((self.fact(n) for n in names), start=0)

    def __getattr__(self, name: str) -> Any:
        if name in _PERIOD_LEVEL:
            return getattr(self._period, name)
        raise NotFromFacts(name)


@dataclass(frozen=True)
class StageInfo:
    id: int
    name: str
    position: int
    default_probability: int
    forecast_category: str
    in_default_pipeline: bool
    stall_after_days: int


@dataclass(frozen=True)
class StageStep:
    stage: str
    entered: int
    advanced: int


def target_rows(keys: Iterable[str], subject: Subject, start: date, end: date) -> list[TargetRow]:
    """The subject's targets for these KPIs whose periods lie inside [start, end), in one read."""
    return rawsql.target_rows(sorted(set(keys)), subject, start, end)


def target_resolve(kpi_key: str, period: Period, rows: Iterable[TargetRow]) -> Decimal | None:
    """The target for exactly this period, or the sum of targets that tile it without gaps."""
    inside = sorted(
        (start, end, value)
        for key, start, end, value in rows
        if key == kpi_key and start >= period.start and end <= period.end
    )
    for start, end, value in inside:
        if start == period.start and end == period.end:
            return value
    cursor, total = period.start, Decimal("0.00")
    for start, end, value in inside:
        if start != cursor:
            return None
        cursor, total = end, total + value
    return total if inside and cursor == period.end else None


def target_for(kpi_key: str, subject: Subject, period: Period) -> Decimal | None:
    """The subject's target for exactly this period, or the sum of targets that tile it."""
    return target_resolve(
        kpi_key, period, target_rows([kpi_key], subject, period.start, period.end)
    )


def measures_preload(
    measures: list[Measures],
    *,
    facts: bool = True,
    target_keys: Iterable[str] = (),
    shared: bool = False,
    many_kpis: bool = False,
) -> None:
    """Fill the facts and targets of several periods of ONE subject with one query each.

    A dashboard tile asks for a period, the one before and the same one last year; three reads of
    the same rollup rows become one conditional aggregate, and every target one read. `shared`
    lets their won-deal measures share one read of the won deals, `many_kpis` the open-pipeline
    totals be derived from the open deals' rows (see `Measures.shared_until`).
    """
    if not measures:
        return
    subject = measures[0].subject
    start = min(m.period.start for m in measures)
    end = max(m.period.end for m in measures)
    if shared:
        for m in measures:
            m.shared_until = end
            m.open_rows_shared = many_kpis
    if facts:
        kind, source_id = fact_source(subject, measures[0].ctx)
        ranges = [(m.period.start, m.period.end) for m in measures]
        for m, values in zip(
            measures, facts_sum_ranges(kind=kind, key=source_id, ranges=ranges), strict=True
        ):
            m._facts = values
    keys = sorted(set(target_keys))
    if keys:
        rows = target_rows(keys, subject, start, end)
        for m in measures:
            for key in keys:
                m._targets[key] = target_resolve(key, m.period, rows)
