"""The hand-written rollup sums agree with the ORM's, on every subject kind and both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Q

from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.facts import FACT_NAMES, MONEY_FACTS
from attain.metrics.engine.factsql import (
    REP_SUMS,
    facts_by_group,
    facts_from_row,
    facts_sum_ranges,
    index_probe_plan,
    month_split,
    reps_with_facts,
)
from attain.metrics.engine.measures import fact_queryset, fact_source, sum_facts
from attain.metrics.engine.subjects import Subject
from attain.metrics.models import PersonDay
from attain.org.models import Person, Role, TeamMembership
from tests.metrics.conftest import History

RANGES = [
    (date(2026, 4, 1), date(2026, 7, 1)),
    (date(2026, 1, 1), date(2026, 4, 1)),
    (date(2025, 4, 1), date(2025, 7, 1)),
    (date(2026, 5, 15), date(2026, 5, 16)),
]


def _subjects(history: History) -> list[Subject]:
    return [
        Subject.company(),
        Subject.for_team(history.north),
        Subject.for_person(history.alice),
    ]


def test_sums_over_several_ranges_equal_the_orm_sums(history: History, ctx: MetricsContext) -> None:
    for subject in _subjects(history):
        kind, key = fact_source(subject, ctx)
        got = facts_sum_ranges(kind=kind, key=key, ranges=RANGES)
        expected = [sum_facts(fact_queryset(subject, start, end)) for start, end in RANGES]
        assert got == expected, subject.spec
        for facts in got:
            assert set(facts) == set(FACT_NAMES)
            for name in MONEY_FACTS:
                money = facts[name]
                assert isinstance(money, Decimal)
                assert money.as_tuple().exponent == -2


def test_some_figures_are_not_zero_so_the_comparison_means_something(
    history: History, ctx: MetricsContext
) -> None:
    kind, key = fact_source(Subject.company(), ctx)
    (q2,) = facts_sum_ranges(kind=kind, key=key, ranges=[RANGES[0]])
    assert q2["revenue_won"] > 0
    assert q2["deals_won"] > 0


def test_grouped_by_person_limited_to_a_team_subtree(history: History) -> None:
    start, end = RANGES[0]
    grouped = facts_by_group(
        kind="all",
        key=None,
        start=start,
        end=end,
        group="person_id",
        names=["revenue_won", "calls"],
        team_path=history.north.path,
    )
    rows = PersonDay.objects.filter(
        day__gte=start, day__lt=end, team__path__startswith=history.north.path
    )
    expected: dict[int, dict[str, object]] = {}
    for person_id in set(rows.values_list("person_id", flat=True)):
        mine = rows.filter(person_id=person_id)
        expected[person_id] = {
            "revenue_won": sum_facts(mine)["revenue_won"],
            "calls": sum_facts(mine)["calls"],
        }
    assert grouped == expected
    assert grouped  # the fixture has North activity in the quarter


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 4, 1), date(2026, 7, 1)),  # whole months only
        (date(2026, 4, 10), date(2026, 6, 20)),  # edges and a month between
        (date(2026, 5, 3), date(2026, 5, 28)),  # inside one month: days only
        (date(2025, 12, 15), date(2026, 12, 31)),  # a year with both edges
    ],
)
def test_per_person_sums_from_months_and_edge_days_equal_the_day_sums(
    history: History, start: date, end: date
) -> None:
    names = list(FACT_NAMES)
    for team_path in (None, history.north.path, history.company.path):
        grouped = facts_by_group(
            kind="all",
            key=None,
            start=start,
            end=end,
            group="person_id",
            names=names,
            team_path=team_path,
        )
        rows = PersonDay.objects.filter(day__gte=start, day__lt=end)
        if team_path is not None:
            rows = rows.filter(team__path__startswith=team_path)
        expected = {
            person_id: sum_facts(rows.filter(person_id=person_id))
            for person_id in set(rows.values_list("person_id", flat=True))
        }
        assert grouped == expected, (start, end, team_path)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 4, 1), date(2026, 7, 1)),  # whole months only
        (date(2026, 4, 10), date(2026, 6, 20)),  # edges and a month between
        (date(2026, 5, 3), date(2026, 5, 28)),  # inside one month: days only
    ],
)
def test_reps_with_facts_are_the_reps_in_scope_with_their_per_person_sums(
    history: History, start: date, end: date
) -> None:
    names = list(FACT_NAMES)
    zero = facts_from_row([None] * len(names), names)
    for team_path in (None, history.north.path, history.south.path):
        rows = reps_with_facts(start=start, end=end, names=names, team_path=team_path)
        people = Person.objects.filter(role=Role.REP, hire_date__lt=end).filter(
            Q(leave_date__isnull=True) | Q(leave_date__gt=start)
        )
        if team_path is not None:
            members = TeamMembership.objects.filter(
                team__path__startswith=team_path, start_date__lt=end
            ).filter(Q(end_date__isnull=True) | Q(end_date__gt=start))
            people = people.filter(id__in=members.values("person_id"))
        by_name = sorted(people, key=lambda p: (p.full_name, p.pk))
        assert [row[:REP_SUMS] for row in rows] == [
            (p.pk, p.full_name, p.email, p.fte) for p in by_name
        ], (start, end, team_path)
        sums = facts_by_group(
            kind="all",
            key=None,
            start=start,
            end=end,
            group="person_id",
            names=names,
            team_path=team_path,
        )
        for row in rows:
            facts = dict(zip(names, row[REP_SUMS:], strict=True))
            assert facts == sums.get(row[0], zero), (start, end, team_path, row[1])
            for name in MONEY_FACTS:
                money = facts[name]
                assert isinstance(money, Decimal)
                assert money.as_tuple().exponent == -2
        assert all(isinstance(row[3], Decimal) for row in rows)


def test_reps_with_no_facts_asked_are_just_the_reps(history: History) -> None:
    rows = reps_with_facts(start=date(2026, 4, 1), end=date(2026, 7, 1), names=[])
    assert [row[1:] for row in rows] == [
        ("Alice Rep", "alice@acme.test", Decimal("1.00")),
        ("Bob Rep", "bob@acme.test", Decimal("1.00")),
        ("Carol Rep", "carol@acme.test", Decimal("1.00")),
    ]


def test_month_split_covers_the_range_exactly() -> None:
    assert month_split(date(2026, 4, 1), date(2026, 7, 1)) == (
        (date(2026, 4, 1), date(2026, 7, 1)),
        [],
    )
    assert month_split(date(2026, 4, 10), date(2026, 6, 20)) == (
        (date(2026, 5, 1), date(2026, 6, 1)),
        [(date(2026, 4, 10), date(2026, 5, 1)), (date(2026, 6, 1), date(2026, 6, 20))],
    )
    assert month_split(date(2026, 5, 3), date(2026, 5, 28)) == (
        None,
        [(date(2026, 5, 3), date(2026, 5, 28))],
    )


def test_grouped_by_day_returns_dates(history: History, ctx: MetricsContext) -> None:
    kind, key = fact_source(Subject.company(), ctx)
    by_day = facts_by_group(
        kind=kind, key=key, start=RANGES[0][0], end=RANGES[0][1], group="day", names=["calls"]
    )
    assert by_day
    assert all(isinstance(day, date) for day in by_day)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="group"):
        facts_by_group(
            kind="all", key=None, start=date(2026, 1, 1), end=date(2026, 2, 1), group="x", names=[]
        )
    with pytest.raises(ValueError, match="unknown facts"):
        facts_by_group(
            kind="all",
            key=None,
            start=date(2026, 1, 1),
            end=date(2026, 2, 1),
            group="day",
            names=["nope"],
        )


def _planner_settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_parallel_workers_per_gather'), "
            "current_setting('random_page_cost')"
        )
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.django_db
def test_the_index_probe_plan_applies_inside_and_is_restored_after() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("planner settings exist on PostgreSQL only")
    with transaction.atomic():  # the caller's transaction outlives the block
        before = _planner_settings()
        with index_probe_plan():
            inside = _planner_settings()
        after = _planner_settings()
    assert inside == ("0", "1.1")
    assert after == before != inside
