"""The hand-written rollup sums agree with the ORM's, on every subject kind and both databases."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db import ProgrammingError, connection, transaction
from django.db.models import Q, Sum
from hypothesis import given
from hypothesis import strategies as st

from attain.metrics.engine import quarters
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.facts import FACT_NAMES, MONEY_FACTS
from attain.metrics.engine.factsql import (
    REP_SUMS,
    facts_by_group,
    facts_from_row,
    facts_sum_ranges,
    index_probe_plan,
    reps_with_facts,
)
from attain.metrics.engine.measures import fact_queryset, fact_source, sum_facts
from attain.metrics.engine.rollups import rollup_verify
from attain.metrics.engine.subjects import Subject
from attain.metrics.models import PersonDay, PersonQuarter
from attain.org.models import Person, Role, TeamMembership
from attain.org.services import organisation_configure, person_create
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


def _person_day_sums(
    start: date, end: date, names: list[str], team_path: str | None
) -> dict[int, dict[str, object]]:
    """The reference: per-person sums straight from PersonDay through the ORM."""
    days = PersonDay.objects.filter(day__gte=start, day__lt=end)
    if team_path is not None:
        days = days.filter(team__path__startswith=team_path)
    return {
        row.pop("person_id"): row
        for row in days.values("person_id").annotate(**{n: Sum(n) for n in names})
    }


def _assert_reps_with_facts(history: History, start: date, end: date, start_month: int = 1) -> None:
    names = list(FACT_NAMES)
    zero = facts_from_row([None] * len(names), names)
    for team_path in (None, history.north.path, history.south.path):
        rows = reps_with_facts(
            start=start, end=end, names=names, start_month=start_month, team_path=team_path
        )
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
        expected = _person_day_sums(start, end, names, team_path)
        grouped = facts_by_group(
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
            assert facts == {**zero, **expected.get(row[0], {})}, (start, end, team_path, row[1])
            assert facts == grouped.get(row[0], zero)
            for name in MONEY_FACTS:
                money = facts[name]
                assert isinstance(money, Decimal)
                assert money.as_tuple().exponent == -2
        assert all(isinstance(row[3], Decimal) for row in rows)


RANGES_BY_KIND = [
    (date(2026, 4, 1), date(2026, 7, 1)),  # one fiscal quarter: PersonQuarter only
    (date(2026, 3, 1), date(2026, 8, 1)),  # a month, a quarter, a month
    (date(2026, 1, 1), date(2027, 1, 1)),  # the fiscal year: four quarters
    (date(2026, 4, 10), date(2026, 6, 20)),  # edges and a month between
    (date(2026, 5, 3), date(2026, 5, 28)),  # inside one month: days only
    (date(2026, 3, 20), date(2026, 7, 3)),  # days, a quarter, days
]


@pytest.mark.parametrize(("start", "end"), RANGES_BY_KIND)
def test_reps_with_facts_are_the_reps_in_scope_with_their_per_person_sums(
    history: History, start: date, end: date
) -> None:
    _assert_reps_with_facts(history, start, end)


def test_the_quarter_rollup_follows_the_fiscal_year_start(history: History) -> None:
    """Moving the fiscal year to start in February moves every block to Feb/May/Aug/Nov, and
    sums over the new quarters still equal the person-days."""
    before = PersonQuarter.objects.count()
    assert before and {
        q.month for q in PersonQuarter.objects.values_list("quarter", flat=True)
    } <= {1, 4, 7, 10}
    organisation_configure(actor=None, fiscal_year_start_month=2)
    months = {q.month for q in PersonQuarter.objects.values_list("quarter", flat=True)}
    assert months and months <= {2, 5, 8, 11}
    assert rollup_verify(samples=60, seed=11) == []
    for start, end in [(date(2026, 5, 1), date(2026, 8, 1)), *RANGES_BY_KIND]:
        _assert_reps_with_facts(history, start, end, start_month=2)


def test_reps_with_no_facts_asked_are_just_the_reps(history: History) -> None:
    rows = reps_with_facts(start=date(2026, 4, 1), end=date(2026, 7, 1), names=[], start_month=1)
    assert [row[1:] for row in rows] == [
        ("Alice Rep", "alice@acme.test", Decimal("1.00")),
        ("Bob Rep", "bob@acme.test", Decimal("1.00")),
        ("Carol Rep", "carol@acme.test", Decimal("1.00")),
    ]


def test_reps_come_in_code_point_order_of_name_then_id(history: History) -> None:
    """The order boards break ties by: names compared by code point (uppercase before
    lowercase, accented letters after z, as Python compares them), equal names by id."""
    for name, email in [
        ("Émile Rep", "emile@acme.test"),
        ("adam Rep", "adam.lower@acme.test"),
        ("Zoe Rep", "zoe@acme.test"),
        ("Bob Rep", "bob.two@acme.test"),
    ]:
        person_create(
            actor=None, full_name=name, email=email, hire_date=date(2024, 1, 1), role=Role.REP
        )
    rows = reps_with_facts(
        start=date(2026, 4, 1), end=date(2026, 7, 1), names=["calls"], start_month=1
    )
    names = [row[1] for row in rows]
    assert names == [
        "Alice Rep", "Bob Rep", "Bob Rep", "Carol Rep", "Zoe Rep", "adam Rep", "Émile Rep"
    ]  # fmt: skip
    bobs = [row[0] for row in rows if row[1] == "Bob Rep"]
    assert bobs == sorted(bobs) and bobs[0] == history.bob.pk
    assert [row[4] for row in rows if row[1] == "Bob Rep"] == [
        6,
        0,
    ]  # Q2 calls: 2 on 1 May, 4 on 1 Jun; none


def test_quarters_split_by_hand() -> None:
    blocks = (date(2026, 4, 1), date(2026, 7, 1))
    assert quarters.split(date(2026, 4, 1), date(2026, 7, 1), 1) == (blocks, [], [])
    assert quarters.split(date(2026, 4, 1), date(2026, 7, 1), 2) == (
        None,
        [(date(2026, 4, 1), date(2026, 7, 1))],
        [],
    )
    assert quarters.split(date(2026, 3, 20), date(2026, 7, 3), 1) == (
        blocks,
        [],
        [(date(2026, 3, 20), date(2026, 4, 1)), (date(2026, 7, 1), date(2026, 7, 3))],
    )
    assert quarters.split(date(2026, 4, 10), date(2026, 6, 20), 1) == (
        None,
        [(date(2026, 5, 1), date(2026, 6, 1))],
        [(date(2026, 4, 10), date(2026, 5, 1)), (date(2026, 6, 1), date(2026, 6, 20))],
    )
    assert quarters.split(date(2026, 5, 3), date(2026, 5, 28), 1) == (
        None,
        [],
        [(date(2026, 5, 3), date(2026, 5, 28))],
    )
    assert quarters.quarter_of(date(2026, 1, 31), 2) == date(2025, 11, 1)
    assert quarters.quarters_covering(date(2026, 1, 1), date(2026, 2, 1), 2) == (
        date(2025, 11, 1),
        date(2026, 2, 1),
    )


@given(
    start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    days=st.integers(1, 900),
    start_month=st.integers(1, 12),
)
def test_quarters_split_tiles_the_range_with_aligned_pieces(
    start: date, days: int, start_month: int
) -> None:
    end = start + timedelta(days=days)
    blocks, months, edge_days = quarters.split(start, end, start_month)
    pieces = sorted([*([blocks] if blocks else []), *months, *edge_days])
    assert pieces[0][0] == start and pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in pairwise(pieces))
    assert all(lo < hi for lo, hi in pieces)
    if blocks:
        for edge in blocks:
            assert edge.day == 1 and (edge.month - start_month) % 3 == 0
    for lo, hi in months:
        assert lo.day == 1 and hi.day == 1
    assert len(edge_days) <= 2 and len(months) <= 2


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


@pytest.mark.django_db(transaction=True)
def test_the_index_probe_plan_outside_a_transaction_ends_with_its_own_commit() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("planner settings exist on PostgreSQL only")
    assert not connection.in_atomic_block
    before = _planner_settings()
    with index_probe_plan():
        assert connection.in_atomic_block
        inside = _planner_settings()
    after = _planner_settings()
    assert inside == ("0", "1.1")
    assert after == before != inside


@pytest.mark.django_db
def test_an_error_inside_the_index_probe_plan_surfaces_and_its_settings_are_undone() -> None:
    """The statement's own error reaches the caller (a restoring statement sent after it would
    fail in the aborted transaction and hide it), and rolling back the block undoes them."""
    if connection.vendor != "postgresql":
        pytest.skip("planner settings exist on PostgreSQL only")
    with transaction.atomic():
        before = _planner_settings()
        with (
            pytest.raises(ProgrammingError, match="no_such_column"),
            index_probe_plan(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT no_such_column FROM org_person")
        assert _planner_settings() == before


def test_reps_show_a_change_to_people_made_outside_the_services(history: History) -> None:
    """The reps come from the per-process people directory: a rename by raw SQL and a leave
    date set by a queryset update (neither goes through a service) show on the next call."""
    asked = {"start": date(2026, 4, 1), "end": date(2026, 7, 1), "names": ["calls"]}
    before = reps_with_facts(**asked, start_month=1)  # type: ignore[arg-type]
    assert [row[1] for row in before] == ["Alice Rep", "Bob Rep", "Carol Rep"]
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET full_name = %s WHERE id = %s", ["Aaron Rep", history.bob.pk]
        )
    Person.objects.filter(pk=history.carol.pk).update(leave_date=date(2026, 3, 1))

    after = reps_with_facts(**asked, start_month=1)  # type: ignore[arg-type]

    assert [row[1] for row in after] == ["Aaron Rep", "Alice Rep"]
    assert after[0][4] == before[1][4] == 6  # Bob's calls, under his new name
