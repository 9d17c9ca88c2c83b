"""The hand-written deal reads (engine/rawsql.py) select exactly what the ORM definitions do."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Max

from attain.core.periods import Period, PeriodKind
from attain.crm.models import Deal, DealStageChange, DealStatus, Stage
from attain.crm.services import activity_log, deal_change_stage, deal_create
from attain.metrics.engine import rawsql
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.measures import Measures
from attain.metrics.engine.subjects import Subject, attributed, subtree_spans
from attain.org.services import membership_start
from tests.conftest import berlin
from tests.metrics.conftest import TODAY, History


def _subjects(history: History) -> list[Subject]:
    return [
        Subject.company(),
        Subject.for_team(history.north),
        Subject.for_team(history.south),
        Subject.for_team(history.region),
        Subject.for_person(history.bob),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "window",
    [
        (None, date(2026, 12, 31)),
        (date(2026, 4, 1), date(2026, 7, 1)),
        (date(2026, 5, 15), date(2026, 6, 30)),  # starts on Bob's move to South
        (date(2026, 5, 1), date(2026, 5, 16)),  # ends the day after it
        (date(2026, 1, 1), date(2026, 4, 1)),
    ],
)
def test_won_rows_are_the_orm_attribution_of_won_deals(
    history: History, window: tuple[date | None, date]
) -> None:
    start, end = window
    for subject in _subjects(history):
        spans = subtree_spans(subject) if subject.kind == "team" else None
        deals = Deal.objects.filter(status=DealStatus.WON, closed_on__lt=end)
        if start is not None:
            deals = deals.filter(closed_on__gte=start)
        expected = sorted(
            attributed(
                deals, subject, owner="owner", day="closed_on", within=(start or date.min, end)
            ).values_list("closed_on", "created_on", "account_id", "amount_base")
        )
        assert sorted(rawsql.won_rows(subject, spans, start, end)) == expected, subject.spec
        revenue, count, accounts = rawsql.won_customers(subject, spans, start, end)
        with_account = [row for row in expected if row[2] is not None]
        assert revenue == sum((row[3] for row in with_account), Decimal("0.00"))
        assert count == len(with_account)
        assert accounts == len({row[2] for row in with_account})
        if start is not None:
            ctx = MetricsContext.load(today=TODAY)
            m = Measures(subject, Period(PeriodKind.RANGE, start, end, "window"), ctx)
            first_wins = m.first_win_deals().values("account_id").distinct().count()
            assert rawsql.new_customers(subject, spans, start, end) == first_wins


@pytest.mark.django_db
@pytest.mark.parametrize("today", [TODAY, date(2026, 6, 25), date(2026, 9, 1)])
def test_health_counts_match_the_drill_down_querysets(history: History, today: date) -> None:
    """One SQL statement counts what each flag's queryset (the pages' drill-down) lists."""
    ctx = MetricsContext.load(today=today)
    period = ctx.calendar.quarter_of(today)
    for subject in _subjects(history):
        m = Measures(subject, period, ctx)
        expected = {
            "open": m.current_open_deals().count(),
            "no_next_step": m.missing_next_step_queryset().count(),
            "past_close": m.past_close_date_queryset().count(),
            "no_recent_activity": m.no_recent_activity_queryset().count(),
        }
        assert m.health_counts == expected, (subject.spec, today)
        assert m.stalled_count == m.stalled_deals_queryset().count(), (subject.spec, today)
    # The fixture does exercise the flags (a test of zeros would prove nothing).
    company = Measures(Subject.company(), period, ctx)
    assert company.health_counts["open"] == 2


@pytest.mark.django_db
def test_open_rows_at_a_past_moment_take_the_stage_of_that_moment(
    history: History, stages: dict[str, Stage]
) -> None:
    """Delta was in Qualification on 20 Apr and in Proposal from 1 May; Alpha was open then."""
    ctx = MetricsContext.load(today=TODAY)
    at = berlin(2026, 4, 20, 12)
    rows = rawsql.open_rows(Subject.company(), None, at=at, at_day=at.date(), live=False)
    by_deal = {row.id: row.stage_id for row in rows}
    d = history.deals
    assert by_deal == {
        d["alpha"].pk: stages["Proposal"].pk,  # won at 15:00 that day: still open at noon
        d["gamma"].pk: stages["Qualification"].pk,
        d["delta"].pk: stages["Qualification"].pk,
        d["epsilon"].pk: stages["Qualification"].pk,
        d["zeta"].pk: stages["Qualification"].pk,
    }
    m = Measures(Subject.company(), ctx.calendar.quarter(2026, 2), ctx)
    assert {deal.id for deal in m.open_deals} == {d["delta"].pk, d["eta"].pk}


@pytest.mark.django_db
@pytest.mark.parametrize("live", [False, True])
def test_open_ages_are_the_open_rows_counted_and_aged_per_stage(
    history: History, live: bool
) -> None:
    """The grouped age read (one team's average deal age) against the rows it sums: per stage
    then, the count of open deals and their summed whole days from local created day to at."""
    at = berlin(2026, 4, 20, 12) if not live else berlin(2026, 7, 10, 9)
    day = at.date()
    for subject in _subjects(history):
        spans = subtree_spans(subject) if subject.kind == "team" else None
        rows = rawsql.open_rows(subject, spans, at=at, at_day=day, live=live)
        expected: dict[int, tuple[int, int]] = {}
        for row in rows:
            count, days = expected.get(row.stage_id, (0, 0))
            expected[row.stage_id] = (count + 1, days + (day - row.created_on).days)
        ages = rawsql.open_ages(subject, spans, at=at, at_day=day, live=live)
        assert ages == expected, subject.label
    company = rawsql.open_ages(Subject.company(), None, at=at, at_day=day, live=live)
    assert sum(count for count, _ in company.values()) == (5 if not live else 2)


@pytest.mark.django_db
def test_stage_entered_at_is_the_moment_of_the_latest_change(
    history: History, stages: dict[str, Stage]
) -> None:
    """Stage conversion reads only deals that entered their stage in the period, which is right
    only while every writer keeps `stage_entered_at` at the deal's latest change."""
    deal = deal_create(
        actor=None,
        name="Late",
        owner=history.carol,
        amount=Decimal("500"),
        stage=stages["Qualification"],
        created_at=berlin(2026, 6, 2, 9),
    )
    deal_change_stage(
        actor=None, deal=deal, stage=stages["Proposal"], changed_at=berlin(2026, 6, 20)
    )
    latest = dict(
        DealStageChange.objects.values("deal_id")
        .annotate(at=Max("changed_at"))
        .values_list("deal_id", "at")
    )
    for pk, entered in Deal.objects.values_list("pk", "stage_entered_at"):
        assert latest[pk] == entered, pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Q2 over: Qualification entered by Gamma, Delta, Epsilon, Zeta, Eta; Delta, Epsilon and
        # Zeta moved on. Proposal: Delta, still there. Won: Alpha, Epsilon, Zeta. Lost: Gamma.
        (TODAY, {"Qualification": (5, 3), "Proposal": (1, 0), "Won": (3, 0), "Lost": (1, 0)}),
        # As of 3 May only Delta had moved on (Epsilon won on 10 May, Zeta on 10 June); what
        # was entered later in the quarter is still listed (the history holds it).
        (
            date(2026, 5, 3),
            {"Qualification": (5, 1), "Proposal": (1, 0), "Won": (3, 0), "Lost": (1, 0)},
        ),
    ],
)
def test_stage_step_counts_by_hand(
    history: History, stages: dict[str, Stage], today: date, expected: dict[str, tuple[int, int]]
) -> None:
    ctx = MetricsContext.load(today=today)
    q2 = ctx.calendar.quarter(2026, 2)
    position = {stage.pk: stage.position for stage in stages.values()}
    lost = stages["Lost"].pk
    counts = rawsql.stage_step_counts(
        Subject.company(),
        None,
        start_at=q2.start_at(ctx.tz),
        end_at=q2.end_at(ctx.tz),
        as_of=ctx.as_of(q2),
        as_of_day=today,
        position=position,
        reached={s: p for s, p in position.items() if s != lost},
    )
    names = {stage.pk: name for name, stage in stages.items()}
    assert {names[pk]: n for pk, n in counts.items()} == expected


@pytest.mark.django_db
def test_a_membership_that_ends_and_restarts_is_attributed_per_span(history: History) -> None:
    """Two spans of the same person in one team: the SQL keeps both date conditions."""
    membership_start(
        actor=None, person=history.bob, team=history.north, start_date=date(2026, 6, 5)
    )
    subject = Subject.for_team(history.north)
    spans = subtree_spans(subject)
    assert len([s for s in spans if s[0] == history.bob.pk]) == 2
    start, end = date(2026, 4, 1), date(2026, 7, 1)
    deals = Deal.objects.filter(status=DealStatus.WON, closed_on__gte=start, closed_on__lt=end)
    expected = sorted(
        attributed(deals, subject, owner="owner", day="closed_on", within=(start, end)).values_list(
            "closed_on", "created_on", "account_id", "amount_base"
        )
    )
    got = sorted(rawsql.won_rows(subject, spans, start, end))
    assert got == expected
    # Epsilon (10 May, North) and Zeta (10 Jun, back in North) both count; Alice's Alpha too.
    assert {row[0] for row in got} == {date(2026, 4, 20), date(2026, 5, 10), date(2026, 6, 10)}


@pytest.mark.django_db
def test_a_follow_up_counts_up_to_the_last_microsecond_of_the_window(history: History) -> None:
    """Quotes at fractional seconds, follow-ups exactly at and just past the 3-day window (on
    SQLite the window end is computed on the stored text, so its format must not matter)."""
    alice, carol = history.alice, history.carol
    deals = history.deals
    quote_at = berlin(2026, 5, 20, 9, 15).replace(microsecond=250000)
    window = timedelta(days=3)
    cases = [
        (deals["delta"], quote_at, quote_at + window),  # exactly at the end: followed
        (deals["alpha"], quote_at, quote_at + window + timedelta(microseconds=1)),  # just past
        (deals["eta"], quote_at.replace(microsecond=0), quote_at.replace(microsecond=0) + window),
    ]
    for deal, at, follow_at in cases:
        activity_log(actor=None, kind="quote", owner=alice, occurred_at=at, deal=deal)
        activity_log(actor=None, kind="follow_up", owner=carol, occurred_at=follow_at, deal=deal)
    # A quote with no deal is followed up on its account; a follow-up on another deal of the
    # same account does not count for a quote that has a deal.
    account = deals["gamma"].account
    activity_log(actor=None, kind="quote", owner=alice, occurred_at=quote_at, account=account)
    activity_log(
        actor=None, kind="follow_up", owner=alice, occurred_at=quote_at + window, account=account
    )
    subject = Subject.for_person(alice)
    followed, total = rawsql.quotes_followed_up(
        subject, None, start=date(2026, 5, 20), end=date(2026, 5, 21), window=window
    )
    assert (followed, total) == (3, 4)
    # Nothing before the quote counts, and the window is whole days.
    followed, total = rawsql.quotes_followed_up(
        subject, None, start=date(2026, 5, 20), end=date(2026, 5, 21), window=timedelta(days=0)
    )
    assert (followed, total) == (0, 4)
    if connection.vendor == "sqlite":
        with pytest.raises(ValueError, match="whole number of days"):
            rawsql.quotes_followed_up(
                subject,
                None,
                start=date(2026, 5, 20),
                end=date(2026, 5, 21),
                window=timedelta(hours=36),
            )
