"""The people directory kept per process: current after any kind of write to people, including
writes that bypass the services and writes rolled back, and not re-read when nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from attain.org.directory import people_directory, people_version
from attain.org.models import Organisation, Person, Role
from attain.org.services import person_create, person_update


def _names() -> list[str]:
    return [row[1] for row in people_directory().rows]


def _rep(name: str, email: str, hire: date = date(2024, 1, 1), **extra: object) -> Person:
    return person_create(actor=None, full_name=name, email=email, hire_date=hire, **extra)  # type: ignore[arg-type]


def test_the_directory_lists_everyone_by_name_in_code_point_order_then_id(
    org: Organisation,
) -> None:
    _rep("Zoë", "zoe@example.com")
    _rep("adam", "adam2@example.com")
    first = _rep("Bea", "bea1@example.com")
    second = _rep("Bea", "bea2@example.com")
    _rep("Élise", "elise@example.com")

    rows = people_directory().rows

    assert [row[1] for row in rows] == ["Bea", "Bea", "Zoë", "adam", "Élise"]
    assert [rows[0][0], rows[1][0]] == sorted([first.pk, second.pk])
    assert rows[0][2:] == (
        "bea1@example.com" if rows[0][0] == first.pk else "bea2@example.com",
        Decimal("1.00"),
        Role.REP.value,
        date(2024, 1, 1),
        None,
    )


def test_employed_keeps_the_role_and_anyone_employed_on_some_day_of_the_period(
    org: Organisation,
) -> None:
    _rep("Left before", "a@example.com", leave_date=date(2026, 4, 1))
    _rep("Left during", "b@example.com", leave_date=date(2026, 4, 2))
    _rep("Hired during", "c@example.com", hire=date(2026, 6, 30))
    _rep("Hired after", "d@example.com", hire=date(2026, 7, 1))
    _rep("Manager", "e@example.com", role=Role.MANAGER)

    employed = people_directory().employed(Role.REP.value, date(2026, 4, 1), date(2026, 7, 1))

    assert [row[1] for row in employed] == ["Hired during", "Left during"]


def _raw_rename(person: Person, name: str) -> None:
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET full_name = %s WHERE id = %s", [name, person.pk])


WRITES: dict[str, Callable[[Person], object]] = {
    "service": lambda p: person_update(actor=None, person=p, full_name="Renamed"),
    "queryset update": lambda p: Person.objects.filter(pk=p.pk).update(full_name="Renamed"),
    "raw SQL": lambda p: _raw_rename(p, "Renamed"),
    "delete and insert": lambda p: (
        Person.objects.filter(pk=p.pk).delete(),
        Person.objects.create(full_name="Renamed", email="new@example.com", hire_date=date.today()),
    ),
    "bulk create": lambda p: Person.objects.bulk_create(
        [Person(full_name="Renamed", email="bulk@example.com", hire_date=date(2025, 1, 1))]
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_any_write_to_people_shows_in_the_next_directory(org: Organisation, write: str) -> None:
    person = _rep("Original", "original@example.com")
    before = people_version()
    assert "Renamed" not in _names()

    WRITES[write](person)

    assert people_version() != before
    assert "Renamed" in _names()


def test_an_unchanged_table_costs_one_version_read(
    org: Organisation, django_assert_num_queries: Callable[[int], object]
) -> None:
    _rep("Someone", "someone@example.com")
    kept = people_directory()

    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        again = people_directory()

    assert again is kept


def test_a_rolled_back_write_leaves_the_directory_as_it_was(org: Organisation) -> None:
    person = _rep("Before", "before@example.com")
    assert _names() == ["Before"]

    with pytest.raises(RuntimeError), transaction.atomic():
        _raw_rename(person, "Inside")
        assert _names() == ["Inside"]  # the transaction sees its own write
        raise RuntimeError("undo")

    assert _names() == ["Before"]
