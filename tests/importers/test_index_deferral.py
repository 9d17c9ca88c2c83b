"""When a big import builds its tables' indexes once at the end instead of row by row: a
source's first file from the start; a re-import only once its writes make it worth it, so an
unchanged file never drops and rebuilds them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from attain.core.bulk import deferred_indexes
from attain.crm.models import Activity
from attain.importers import reading, services
from attain.importers.services import import_run
from attain.metrics.engine.rollups import rollup_verify

pytestmark = pytest.mark.django_db

HEADERS = ["Activity - ID", "Activity - Type", "Activity - Due date", "Activity - Assigned to user"]
CALLS = [HEADERS, *([str(n), "call", f"2026-01-{n:02d}", "Alice Rep"] for n in range(1, 9))]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return int(cursor.fetchone()[0])


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every file counts as big, tables hold what they hold (PostgreSQL's estimate counts
    only committed rows, seen by its statistics a while later), batches hold four rows;
    records each deferral of indexes."""
    monkeypatch.setattr(services, "BIG_FILE_BYTES", 0)
    monkeypatch.setattr(services, "BYTES_PER_ROW", 1)
    monkeypatch.setattr(services, "table_rows_estimate", _count)
    monkeypatch.setattr(reading, "BATCH_ROWS", 4)
    calls: list[dict[str, Any]] = []

    def spy(tables: list[str], *, unique: bool = False, primary_keys: bool = False) -> Any:
        calls.append({"tables": tables, "unique": unique, "stored": Activity.objects.count()})
        if primary_keys:
            calls[-1]["primary_keys"] = True
        return deferred_indexes(tables, unique=unique, primary_keys=primary_keys)

    monkeypatch.setattr(services, "deferred_indexes", spy)
    return calls


def _import(write_csv: Any, rows: list[list[str]]) -> Any:
    result = import_run(actor=None, kind="activities", path=write_csv("calls.csv", rows))
    assert result.errors == [] and result.committed, result.errors
    return result


def test_a_source_s_first_file_defers_every_index_from_the_start(reps, write_csv, deferrals):
    _import(write_csv, CALLS)
    table = Activity._meta.db_table
    assert deferrals == [{"tables": [table], "unique": True, "stored": 0, "primary_keys": True}]


def test_an_unchanged_re_import_keeps_the_indexes(reps, write_csv, deferrals):
    _import(write_csv, CALLS)
    deferrals.clear()
    assert _import(write_csv, CALLS).unchanged == 8
    assert deferrals == []


def test_a_re_import_with_a_few_changes_keeps_the_indexes(reps, write_csv, deferrals):
    _import(write_csv, CALLS)
    deferrals.clear()
    changed = [list(row) for row in CALLS]
    changed[5][1] = "email"
    assert _import(write_csv, changed).updated == 1
    assert deferrals == []
    assert rollup_verify(samples=20, seed=41) == []


def test_a_re_import_of_new_rows_defers_after_the_first_batch_it_writes(reps, write_csv, deferrals):
    _import(write_csv, CALLS)
    deferrals.clear()
    more = [*CALLS, *([str(n), "email", f"2026-02-{n:02d}", "Bob Rep"] for n in range(9, 15))]
    assert _import(write_csv, more).created == 6
    # two batches unchanged, then new rows: the first new batch goes in with the indexes, the
    # last one without
    table = Activity._meta.db_table
    assert deferrals == [{"tables": [table], "unique": False, "stored": 12}]
    assert Activity.objects.count() == 14
    assert rollup_verify(samples=20, seed=42) == []


def test_a_generic_file_keeps_the_primary_key_its_ids_may_update_by(reps, write_csv, deferrals):
    """`attain-<pk>` ids in a generic file update Attain's own records by key."""
    rows = [["external_id", "kind", "occurred_at", "owner"], *(row for row in CALLS[1:])]
    result = import_run(
        actor=None, kind="activities", path=write_csv("calls.csv", rows), source="generic"
    )
    assert result.errors == [] and result.committed and result.created == 8, result.errors
    table = Activity._meta.db_table
    assert deferrals == [{"tables": [table], "unique": True, "stored": 0}]
