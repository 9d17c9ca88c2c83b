"""Idempotent upserts, stage history on updates, exact rollups, dry runs, all-or-nothing, runs."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError

from attain.core.frames import frame_insert
from attain.crm.models import Account, Activity, Deal, DealStageChange, DealStatus, Stage
from attain.importers import loaders
from attain.importers.models import ImportIssue, ImportRun, ImportStatus
from attain.importers.services import import_run
from attain.metrics.engine.rollups import rollup_verify
from attain.metrics.models import PersonDay
from tests.importers.conftest import HUBSPOT_DEALS, PIPEDRIVE_DEALS, SALESFORCE_DEALS

pytestmark = pytest.mark.django_db


def _edit(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    copy = [list(r) for r in rows]
    copy[row - 1][copy[0].index(column)] = value
    return copy


def _counts() -> tuple[int, ...]:
    return (
        Deal.objects.count(),
        DealStageChange.objects.count(),
        Account.objects.count(),
        Activity.objects.count(),
        PersonDay.objects.count(),
        Stage.objects.count(),
    )


def test_the_same_file_twice_changes_nothing(reps, usd_rate, write_csv):
    path = write_csv("sf.csv", SALESFORCE_DEALS)
    import_run(actor=None, kind="deals", path=path)
    before = _counts()
    again = import_run(actor=None, kind="deals", path=path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 5, 0)
    assert _counts() == before


def test_changed_stage_and_amount_update_the_deal_and_record_history(reps, usd_rate, write_csv):
    import_run(actor=None, kind="deals", path=write_csv("sf.csv", SALESFORCE_DEALS))
    rows = _edit(SALESFORCE_DEALS, 5, "Stage", "Closed Won")  # Hooli: Negotiation -> won
    rows = _edit(rows, 5, "Amount", "EUR 9,100.00")
    rows = _edit(rows, 6, "Opportunity Owner", "Alice Rep")  # Stark moves from Carol to Alice
    result = import_run(actor=None, kind="deals", path=write_csv("sf2.csv", rows))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 3), result.errors
    hooli = Deal.objects.get(external_id="0065g00000AbCdE4")
    assert hooli.status == DealStatus.WON and hooli.amount == Decimal("9100.00")
    assert str(hooli.closed_on) == "2026-08-30"
    moves = list(DealStageChange.objects.filter(deal=hooli).order_by("changed_at"))
    assert [m.to_stage.name for m in moves] == ["Negotiation/Review", "Closed Won"]
    assert moves[1].from_stage is not None and moves[1].from_stage.name == "Negotiation/Review"
    assert Deal.objects.get(external_id="0065g00000AbCdE5").owner == reps["alice"]
    assert rollup_verify(samples=60, seed=3) == []


def test_rollups_verify_after_new_updated_and_unchanged_rows(reps, write_csv):
    import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    rows = _edit(HUBSPOT_DEALS, 4, "Deal Stage", "closedlost")  # Cyberdyne lost
    rows = _edit(rows, 2, "Amount", "7500")  # Wayne won amount changes
    rows = _edit(rows, 3, "Deal owner", "Carol Rep")  # Oscorp changes owner
    rows.append(
        [
            "9005",
            "Massive deal",
            "closedwon",
            "1200",
            "2026-07-01 10:00",
            "2026-06-01 10:00",
            "Bob Rep",
            "Sales Pipeline",
            "Massive",
            "EUR",
        ]
    )
    result = import_run(actor=None, kind="deals", path=write_csv("hs2.csv", rows))
    assert (result.created, result.updated, result.unchanged) == (1, 3, 1)
    assert rollup_verify(samples=80, seed=5) == []


def test_a_big_import_rebuilds_rollups_and_they_verify(reps, write_csv, monkeypatch):
    from attain.importers import services

    monkeypatch.setattr(services, "REFRESH_LIMIT", 2)
    import_run(actor=None, kind="deals", path=write_csv("pd.csv", PIPEDRIVE_DEALS))
    assert rollup_verify(samples=40, seed=2) == []


def test_dry_run_reports_everything_and_writes_nothing(reps, usd_rate, write_csv):
    before = _counts()
    entries = LogEntry.objects.count()
    result = import_run(
        actor=None, kind="deals", path=write_csv("sf.csv", SALESFORCE_DEALS), dry_run=True
    )
    assert (result.created, result.dry_run, result.committed) == (5, True, False)
    assert any("created stages" in n for n in result.notes)
    assert _counts() == before and LogEntry.objects.count() == entries
    assert result.run_id is None and not ImportRun.objects.exists()


def test_one_bad_row_rejects_the_whole_import(reps, usd_rate, write_csv):
    rows = _edit(SALESFORCE_DEALS, 4, "Amount", "-5")
    result = import_run(actor=None, kind="deals", path=write_csv("sf.csv", rows))
    assert (result.rejected, result.committed, result.exit_code) == (1, False, 1)
    assert result.created == 0 and "4 would have been created" in result.notes[-1]
    assert Deal.objects.count() == 0 and Stage.objects.count() == 0
    run = ImportRun.objects.get(pk=int(result.run_id or 0))
    assert run.status == ImportStatus.REJECTED and run.created == 0
    issue = ImportIssue.objects.get(run=run)
    assert (issue.row, issue.column, issue.value, issue.reason) == (
        4,
        "Amount",
        "-5",
        "negative amount",
    )


def test_skip_bad_rows_keeps_the_good_ones_and_writes_the_rejected(reps, usd_rate, write_csv):
    import_run(actor=None, kind="deals", path=write_csv("first.csv", SALESFORCE_DEALS))
    rows = _edit(SALESFORCE_DEALS, 3, "Stage", "Verbal Commit")
    rows.append(
        [
            "Bob Rep",
            "Acme",
            "New one",
            "Prospecting",
            "",
            "EUR 100",
            "10",
            "12/1/2026",
            "6/1/2026, 9:00 AM",
            "",
            "0065g00000AbCdE9",
        ]
    )
    path = write_csv("sf.csv", rows)
    result = import_run(actor=None, kind="deals", path=path, skip_bad_rows=True)
    assert (result.created, result.unchanged, result.rejected) == (1, 4, 1)
    assert result.committed and result.exit_code == 1
    rejected = Path(str(path) + ".rejected.csv")
    assert result.rejected_file == rejected
    lines = list(csv.reader(rejected.open(encoding="utf-8")))
    assert lines[0][:3] == ["row", "reason", "Opportunity Owner"]
    assert lines[1][0] == "3" and "unknown stage" in lines[1][1]
    assert lines[1][2:] == rows[2]
    assert ImportRun.objects.get(pk=int(result.run_id or 0)).status == ImportStatus.PARTIAL
    assert Deal.objects.count() == 6


def test_the_mapping_file_maps_an_unknown_stage(reps, usd_rate, write_csv):
    import_run(actor=None, kind="deals", path=write_csv("first.csv", SALESFORCE_DEALS))
    rows = _edit(SALESFORCE_DEALS, 3, "Stage", "Verbal Commit")
    result = import_run(
        actor=None,
        kind="deals",
        path=write_csv("sf.csv", rows),
        stage_mapping={"Verbal Commit": "Negotiation/Review"},
    )
    assert (result.updated, result.unchanged, result.rejected) == (1, 4, 0)
    assert Deal.objects.get(external_id="0065g00000AbCdE2").stage.name == "Negotiation/Review"


def test_a_database_error_mid_import_leaves_nothing(reps, usd_rate, write_csv, monkeypatch):
    calls = {"n": 0}
    real = frame_insert

    def counted(table, frame):
        calls["n"] += 1
        return real(table, frame)

    def failing(**kwargs):
        raise DatabaseError("disk full")

    # The deals are written, then their first stage changes fail.
    monkeypatch.setattr(loaders, "frame_insert", counted)
    monkeypatch.setattr(loaders, "first_stage_changes", failing)
    result = import_run(actor=None, kind="deals", path=write_csv("sf.csv", SALESFORCE_DEALS))
    assert calls["n"] >= 1 and result.exit_code == 2 and not result.committed
    assert "disk full" in result.errors[0].reason
    assert (Deal.objects.count(), Account.objects.count(), Stage.objects.count()) == (0, 0, 0)


def test_a_run_is_recorded_and_audited(reps, usd_rate, write_csv, adam):
    user = adam.user
    result = import_run(actor=user, kind="deals", path=write_csv("sf.csv", SALESFORCE_DEALS))
    run = ImportRun.objects.get(pk=int(result.run_id or 0))
    assert (run.actor, run.file_name, run.created, run.status) == (
        user,
        "sf.csv",
        5,
        ImportStatus.COMMITTED,
    )
    assert len(run.file_sha256) == 64 and run.rows == 5 and run.seconds >= 0
    notes = [(e.additional_data or {}).get("note", "") for e in LogEntry.objects.filter(actor=user)]
    assert any("import of sf.csv" in n for n in notes)
    assert LogEntry.objects.filter(object_pk=str(run.pk), actor=user).exists()
    json.dumps(result.as_dict())


def test_a_big_file_loads_with_deferred_indexes_and_keeps_them(reps, write_csv, monkeypatch):
    from django.db import connection

    from attain.importers import services

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            return {
                name
                for name, info in connection.introspection.get_constraints(
                    cursor, Deal._meta.db_table
                ).items()
                if info["index"]
            }

    deferred: list[tuple[list[str], bool]] = []
    from attain.core.bulk import deferred_indexes as real

    def spy(tables: list[str], *, unique: bool = False, primary_keys: bool = False) -> Any:
        deferred.append((tables, unique))
        return real(tables, unique=unique, primary_keys=primary_keys)

    before = indexes()
    monkeypatch.setattr(services, "BIG_FILE_BYTES", 0)
    monkeypatch.setattr(services, "BYTES_PER_ROW", 1)
    monkeypatch.setattr(services, "table_rows_estimate", lambda table: 0)
    monkeypatch.setattr(services, "deferred_indexes", spy)
    path = write_csv("hs.csv", HUBSPOT_DEALS)
    result = import_run(actor=None, kind="deals", path=path)
    assert result.created == 4 and result.committed
    assert indexes() == before
    assert rollup_verify(samples=20, seed=8) == []
    # The source's first import also deferred its unique ids; the second keeps them.
    rows = [*HUBSPOT_DEALS, ["9006", "Another", "closedwon", "800", *HUBSPOT_DEALS[1][4:]]]
    again = import_run(actor=None, kind="deals", path=write_csv("hs2.csv", rows))
    assert (again.created, again.unchanged) == (1, 4) and again.committed
    assert [unique for _, unique in deferred] == [True, False]
    assert indexes() == before


def test_a_big_file_into_a_much_bigger_table_keeps_its_indexes(monkeypatch):
    from attain.importers import services
    from attain.importers.loaders import ActivityLoader

    loader = ActivityLoader.__new__(ActivityLoader)
    monkeypatch.setattr(services, "BIG_FILE_BYTES", 1000)
    monkeypatch.setattr(services, "table_rows_estimate", lambda table: 5_000_000)
    # 50 MB ≈ 500,000 rows: the table holds ten times that, so rebuilding would cost more.
    assert services._defer(loader, 50_000_000) == (False, False)
    assert services._defer(loader, 500) == (False, False)  # a small file never defers
    monkeypatch.setattr(services, "table_rows_estimate", lambda table: 1_000_000)
    monkeypatch.setattr(loader, "source_has_rows", lambda model: True, raising=False)
    assert services._defer(loader, 50_000_000) == (True, False)  # stored ids of this source


def test_a_generic_file_with_attain_ids_updates_native_records(reps, pipeline, write_csv):
    from attain.crm.services import deal_create
    from tests.conftest import berlin

    deal = deal_create(
        actor=None,
        name="Native",
        owner=reps["alice"],
        amount=Decimal("10"),
        stage=pipeline.stages.get(name="Qualification"),
        created_at=berlin(2026, 1, 5, 10),
    )
    rows = [
        ["external_id", "name", "owner", "amount", "stage", "created_at"],
        [
            f"attain-{deal.pk}",
            "Native",
            "alice@acme.test",
            "25",
            "Qualification",
            "2026-01-05T10:00:00+0100",
        ],
    ]
    result = import_run(actor=None, kind="deals", path=write_csv("g.csv", rows))
    assert (result.source, result.created, result.updated) == ("generic", 0, 1), result.errors
    deal.refresh_from_db()
    assert (deal.amount, deal.external_id, Deal.objects.count()) == (Decimal("25.00"), "", 1)
    again = import_run(actor=None, kind="deals", path=write_csv("g.csv", rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
