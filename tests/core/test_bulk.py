"""attain.core.bulk: COPY / executemany loads, all or nothing, ids the database continues from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from attain.core.bulk import (
    ForeignKeyViolation,
    bulk_insert,
    deferred_indexes,
    foreign_keys_checked_once,
    next_id,
    page_fill,
    pages_with_room,
    reset_sequences,
)
from attain.crm.models import Account, Activity
from attain.demo.generator import ACTIVITY_COLUMNS
from attain.metrics.models import PersonDay
from attain.org.models import Holiday, Team
from tests.conftest import foreign_keys_on

HOLIDAY_COLUMNS = ("id", "date", "name")


def _holidays(first_id: int, count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        yield (first_id + n, date(2030, 1, 1 + n), f"Day {n}")


def _constraints(table: str) -> dict[str, dict[str, Any]]:
    with connection.cursor() as cursor:
        constraints: dict[str, dict[str, Any]] = connection.introspection.get_constraints(
            cursor, table
        )
    return constraints


def _index_names(table: str) -> set[str]:
    return {n for n, info in _constraints(table).items() if info["index"] or info["foreign_key"]}


@pytest.mark.django_db
def test_bulk_insert_writes_every_row_across_batches() -> None:
    with transaction.atomic():
        count = bulk_insert("org_holiday", HOLIDAY_COLUMNS, _holidays(500, 20), batch_size=7)

    assert count == 20
    assert list(Holiday.objects.order_by("pk").values_list("pk", "date", "name")) == list(
        _holidays(500, 20)
    )


@pytest.mark.django_db
def test_bulk_insert_stores_datetimes_exactly_as_the_orm_does() -> None:
    moment = datetime(2026, 3, 8, 9, 30, 15, 250, tzinfo=ZoneInfo("America/New_York"))
    orm = Account.objects.create(name="Via ORM", created_at=moment)
    first = next_id("crm_account")

    with transaction.atomic():
        bulk_insert(
            "crm_account",
            ("id", "name", "industry", "size", "created_at", "external_id", "source_system"),
            [(first, "Via COPY", "", "", moment, "", "")],
        )

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, created_at FROM crm_account ORDER BY id")
        (_, stored_by_orm), (_, stored_in_bulk) = cursor.fetchall()
    assert stored_in_bulk == stored_by_orm
    assert Account.objects.get(pk=first).created_at == moment == orm.created_at


@pytest.mark.django_db(transaction=True)
def test_bulk_insert_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        bulk_insert("org_holiday", HOLIDAY_COLUMNS, _holidays(1, 1))

    assert not Holiday.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_rows_midway_leaves_nothing_written() -> None:
    def rows() -> Iterator[tuple[Any, ...]]:
        yield from _holidays(1, 15)
        raise ValueError("source file is truncated")

    with pytest.raises(ValueError, match="truncated"), transaction.atomic():
        bulk_insert("org_holiday", HOLIDAY_COLUMNS, rows(), batch_size=4)

    assert not Holiday.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_error_midway_rolls_back_every_earlier_batch() -> None:
    rows = [*_holidays(1, 12), (3, date(2031, 1, 1), "Duplicate id")]

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert("org_holiday", HOLIDAY_COLUMNS, rows, batch_size=5)

    assert not Holiday.objects.exists()


@pytest.mark.django_db
def test_ids_continue_after_explicit_ids_once_sequences_are_reset() -> None:
    with transaction.atomic():
        bulk_insert("org_holiday", HOLIDAY_COLUMNS, _holidays(1000, 3))
        reset_sequences(["org_holiday"])

    created = Holiday.objects.create(date=date(2031, 7, 4), name="After the load")

    assert created.pk == 1003
    assert next_id("org_holiday") == 1004


@pytest.mark.django_db
def test_reset_sequences_restarts_an_emptied_table_at_one() -> None:
    for n in range(3):
        Holiday.objects.create(date=date(2032, 1, 1 + n), name=f"Old {n}")
    Holiday.objects.all().delete()

    reset_sequences(["org_holiday"])

    assert Holiday.objects.create(date=date(2032, 2, 1), name="Fresh").pk == 1


@pytest.mark.django_db
def test_deferred_indexes_rebuilds_every_index_and_foreign_key() -> None:
    before = _index_names("crm_activity")

    with transaction.atomic(), deferred_indexes(["crm_activity"]):
        during = _index_names("crm_activity")

    assert "activity_owner_day_kind" in before and "activity_owner_day_kind" not in during
    assert "activity_unique_external_id" in during  # unique indexes keep guarding the load
    assert _index_names("crm_activity") == before


def _foreign_keys(table: str) -> set[str]:
    return {name for name, info in _constraints(table).items() if info["foreign_key"]}


@pytest.mark.django_db
def test_deferred_indexes_drop_foreign_keys_on_postgresql_unless_told_to_keep_them(
    backend: str,
) -> None:
    before = _foreign_keys("crm_activity")

    with transaction.atomic(), deferred_indexes(["crm_activity"]):
        dropped = _foreign_keys("crm_activity")
    with transaction.atomic(), deferred_indexes(["crm_activity"], foreign_keys=False):
        kept = _foreign_keys("crm_activity")

    assert len(before) == 3
    # SQLite's foreign keys belong to the table's definition; they are never dropped.
    assert dropped == (set() if backend == "postgresql" else before)
    assert kept == before
    assert _foreign_keys("crm_activity") == before


def _unique_constraints(table: str) -> set[str]:
    return {
        n for n, info in _constraints(table).items() if info["unique"] and not info["primary_key"]
    }


@pytest.mark.django_db
def test_unique_constraints_are_deferred_only_when_asked_and_only_on_postgresql(
    backend: str,
) -> None:
    before = _unique_constraints("metrics_personday")

    with transaction.atomic(), deferred_indexes(["metrics_personday"]):
        kept = _unique_constraints("metrics_personday")
    with transaction.atomic(), deferred_indexes(["metrics_personday"], unique_constraints=True):
        during = _unique_constraints("metrics_personday")

    assert "person_day_unique" in before and kept == before
    # SQLite keeps a unique constraint as a unique index: `unique` is what defers those.
    assert ("person_day_unique" in during) == (backend == "sqlite")
    assert _unique_constraints("metrics_personday") == before


@pytest.mark.django_db
def test_a_deferred_unique_constraint_refuses_a_duplicate_written_meanwhile(
    alice: Any, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's unique constraints are unique indexes (see `unique`)")
    row = "INSERT INTO metrics_personday (person_id, day, {}) VALUES (%s, %s, {})"
    facts = [
        f.column
        for f in PersonDay._meta.concrete_fields
        if f.column not in ("id", "person_id", "day", "team_id")
    ]
    sql = row.format(", ".join(facts), ", ".join("0" for _ in facts))
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        deferred_indexes(["metrics_personday"], unique_constraints=True),
        connection.cursor() as cursor,
    ):
        for _ in range(2):
            cursor.execute(sql, [alice.pk, date(2026, 1, 5)])

    assert not PersonDay.objects.exists()


@pytest.mark.django_db
def test_deferred_indexes_analyze_the_tables_unless_told_not_to(alice: Any, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("only PostgreSQL is analyzed")
    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    rows = [
        (pk, "call", alice.pk, None, None, at, date(2026, 1, 5), "", None, "", f"x-{pk}", "hubspot")
        for pk in range(1, 21)
    ]

    def statistics() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_statistic WHERE starelid = 'crm_activity'::regclass"
            )
            return int(cursor.fetchone()[0])

    with transaction.atomic():
        bulk_insert("crm_activity", ACTIVITY_COLUMNS, rows)
        with deferred_indexes(["crm_activity"], analyze=False):
            pass
        skipped = statistics()
        with deferred_indexes(["crm_activity"]):
            pass
        analyzed = statistics()
        transaction.set_rollback(True)

    assert (skipped, analyzed > 0) == (0, True)


@pytest.mark.django_db
def test_rows_loaded_while_indexes_are_deferred_are_kept_and_indexed(alice: Any) -> None:
    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    rows = [
        (pk, "call", alice.pk, None, None, at, date(2026, 1, 5), "", None, "", f"x-{pk}", "hubspot")
        for pk in (1, 2)
    ]
    before = _index_names("crm_activity")

    with transaction.atomic(), deferred_indexes(["crm_activity"], unique=True):
        bulk_insert("crm_activity", ACTIVITY_COLUMNS, rows)

    assert Activity.objects.filter(owner=alice).count() == 2
    assert _index_names("crm_activity") == before


@pytest.mark.django_db
def test_checks_queued_while_foreign_keys_are_kept_do_not_block_the_rebuild(alice: Any) -> None:
    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    row = (1, "call", alice.pk, None, None, at, date(2026, 1, 5), "", None, "", "x-1", "hubspot")
    with transaction.atomic():
        bulk_insert("crm_activity", ACTIVITY_COLUMNS, [row])
        # PostgreSQL queues a check for each updated row this transaction inserted.
        with deferred_indexes(["crm_activity"], foreign_keys=False):
            Activity.objects.update(subject="Changed")

    assert Activity.objects.get().subject == "Changed"


@pytest.mark.django_db
def test_deferred_unique_indexes_are_rebuilt_and_refuse_a_duplicate_written_meanwhile(
    alice: Any,
) -> None:
    before = _index_names("crm_activity")
    with transaction.atomic(), deferred_indexes(["crm_activity"], unique=True):
        during = _index_names("crm_activity")
    assert "activity_unique_external_id" in before
    assert "activity_unique_external_id" not in during
    assert _index_names("crm_activity") == before

    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    rows = [
        (pk, "call", alice.pk, None, None, at, date(2026, 1, 5), "", None, "", "x-1", "hubspot")
        for pk in (1, 2)
    ]
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        deferred_indexes(["crm_activity"], unique=True),
    ):
        bulk_insert("crm_activity", ACTIVITY_COLUMNS, rows)
    assert not Activity.objects.exists()
    assert _index_names("crm_activity") == before


@pytest.mark.django_db(transaction=True)
def test_a_dangling_foreign_key_loaded_without_indexes_is_still_refused() -> None:
    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    row = (1, "call", 999_999, None, None, at, date(2026, 1, 5), "", None, "", "", "")

    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        deferred_indexes(["crm_activity"]),
    ):
        bulk_insert("crm_activity", ACTIVITY_COLUMNS, [row])

    assert not Activity.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_pointing_at_nothing_is_found_before_commit_and_undone(backend) -> None:
    with (
        pytest.raises(IntegrityError, match="org_team") as raised,
        foreign_keys_checked_once() as check,
        transaction.atomic(),
    ):
        Team.objects.create(name="Ok")
        orphan = Team.objects.create(name="Orphan", parent_id=999_999)
        check()

    assert not Team.objects.exists()
    if backend == "sqlite":
        assert isinstance(raised.value, ForeignKeyViolation)
        assert f"row {orphan.pk} has parent_id = 999999" in str(raised.value)
        assert foreign_keys_on()


@pytest.mark.django_db(transaction=True)
def test_deleting_a_referenced_row_is_found_in_the_tables_that_point_at_it(backend) -> None:
    parent = Team.objects.create(name="Parent")
    Team.objects.create(name="Child", parent=parent)

    with (
        pytest.raises(IntegrityError, match="org_team"),
        foreign_keys_checked_once() as check,
        transaction.atomic(),
    ):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM org_team WHERE id = %s", [parent.pk])
        check()

    assert Team.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_foreign_keys_are_off_only_inside_the_block_on_sqlite(backend) -> None:
    with foreign_keys_checked_once() as check:
        assert foreign_keys_on() is (backend != "sqlite")
        with transaction.atomic():
            Team.objects.create(name="Fine")
            assert check() is (backend == "sqlite")

    assert Team.objects.count() == 1
    assert foreign_keys_on()


@pytest.mark.django_db
def test_inside_a_transaction_foreign_keys_stay_checked_row_by_row() -> None:
    # The test's own transaction is open: SQLite cannot switch enforcement off here.
    with foreign_keys_checked_once() as check, transaction.atomic():
        assert foreign_keys_on()
        Team.objects.create(name="Fine")
        assert check() is False


def _primary_keys(table: str) -> set[str]:
    return {n for n, info in _constraints(table).items() if info["primary_key"]}


@pytest.mark.django_db
def test_primary_keys_are_deferred_only_when_asked_unreferenced_and_on_postgresql(
    backend: str,
) -> None:
    activity, deal = _primary_keys("crm_activity"), _primary_keys("crm_deal")

    with transaction.atomic(), deferred_indexes(["crm_activity"], unique=True):
        kept = _primary_keys("crm_activity")
    with transaction.atomic(), deferred_indexes(["crm_activity", "crm_deal"], primary_keys=True):
        during = _primary_keys("crm_activity"), _primary_keys("crm_deal")

    assert activity and deal and kept == activity
    # A SQLite rowid table is its key; a key other tables' foreign keys reference stays.
    assert during == ((activity if backend == "sqlite" else set()), deal)
    assert _primary_keys("crm_activity") == activity


@pytest.mark.django_db
def test_a_deferred_primary_key_refuses_a_duplicate_id_written_meanwhile(alice: Any) -> None:
    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    rows = [
        (7, "call", alice.pk, None, None, at, date(2026, 1, 5), "", None, "", f"x-{n}", "hubspot")
        for n in (1, 2)
    ]
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        deferred_indexes(["crm_activity"], unique=True, primary_keys=True),
    ):
        bulk_insert("crm_activity", ACTIVITY_COLUMNS, rows)

    assert not Activity.objects.exists()
    assert _primary_keys("crm_activity")


def _fill_after_loading(alice: Any, *, room: bool) -> tuple[float | None, Any]:
    """Page fill of 3,000 activities loaded (with or without room left), and the table's
    options after; all rolled back."""
    at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    rows = (
        (pk, "call", alice.pk, None, None, at, date(2026, 1, 5), "", None, "", f"x-{pk}", "hs")
        for pk in range(1, 3_001)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE crm_activity SET (fillfactor = 90)")
        with pages_with_room(["crm_activity"]) if room else transaction.atomic():
            bulk_insert("crm_activity", ACTIVITY_COLUMNS, rows)
        options = None
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE crm_activity")
            cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'crm_activity'")
            options = cursor.fetchone()[0]
        fill = page_fill("crm_activity")
        transaction.set_rollback(True)
    return fill, options


@pytest.mark.django_db
def test_pages_with_room_leaves_half_of_each_page_free_and_restores_the_setting(
    alice: Any, backend: str
) -> None:
    dense, _ = _fill_after_loading(alice, room=False)
    sparse, options = _fill_after_loading(alice, room=True)

    if backend == "sqlite":
        assert (dense, sparse, options) == (None, None, None)
        return
    assert dense is not None and sparse is not None
    assert 0.8 < dense < 1.1 and sparse < 0.6
    assert options == ["fillfactor=90"]
