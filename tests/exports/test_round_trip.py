"""Export → import with `--source generic` → nothing changes: the export is the import format."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from attain.core.periods import Period
from attain.crm.models import Activity, Deal, Stage
from attain.crm.services import deal_create
from attain.importers.services import import_run
from attain.metrics.engine.subjects import Subject
from attain.metrics.services import target_set
from attain.org.models import Person, Team
from attain.org.selectors import period_parse
from attain.quality.selectors import quality_report
from tests.conftest import berlin

pytestmark = pytest.mark.django_db

DEALS = [
    ["external_id", "name", "owner", "amount", "currency", "stage", "created_at", "close_date",
     "account", "lead_source", "lost_reason", "next_step"],
    ["D-1", "Globex expansion", "alice@acme.test", "12000.50", "EUR", "Won",
     "2026-01-10T09:30:00+0100", "2026-03-15T12:00:00+0100", "Globex", "Website", "", ""],
    ["D-2", "Initech pilot", "alice@acme.test", "4000", "EUR", "Lost",
     "2026-01-20T14:00:00+0100", "2026-02-20T10:00:00+0100", "Initech", "Partner", "Price", ""],
    ["D-3", "Hooli platform", "carol@acme.test", "8500", "EUR", "Negotiation",
     "2026-03-03T16:15:00+0100", "2026-08-30", "Hooli", "", "", "Call the CFO"],
]  # fmt: skip
ACTIVITIES = [
    ["external_id", "kind", "owner", "occurred_at", "subject", "outcome", "duration_minutes",
     "deal", "account"],
    ["A-1", "call", "alice@acme.test", "2026-01-12T10:00:00+0100", "Kick-off", "connected", "15",
     "D-1", "Globex"],
    ["A-2", "meeting", "carol@acme.test", "2026-03-05T09:00:00+0100", "Demo", "held", "60",
     "D-3", "Hooli"],
]  # fmt: skip


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def export_to(path: Path, kind: str) -> Path:
    call_command("export", kind, "--output", str(path), stdout=StringIO(), stderr=StringIO())
    return path


def test_deals_and_activities_round_trip_unchanged(
    alice: Person, carol: Person, stages: dict[str, Stage], tmp_path: Path
) -> None:
    for kind, rows in (("deals", DEALS), ("activities", ACTIVITIES)):
        first = import_run(actor=None, kind=kind, path=write(tmp_path / f"{kind}.csv", rows))
        assert first.committed and first.errors == [], first.errors
    before = list(Deal.objects.order_by("pk").values())

    for kind in ("accounts", "deals", "activities"):
        again = import_run(
            actor=None, kind=kind, path=export_to(tmp_path / f"out-{kind}.csv", kind),
            source="generic",
        )  # fmt: skip
        assert again.errors == [], (kind, again.errors)
        assert (again.created, again.updated) == (0, 0), (kind, again.as_dict())

    assert Deal.objects.count() == 3 and Activity.objects.count() == 2
    after = list(Deal.objects.order_by("pk").values())
    assert [{k: v for k, v in d.items() if k != "updated_at"} for d in after] == [
        {k: v for k, v in d.items() if k != "updated_at"} for d in before
    ]
    assert quality_report().check("duplicate_accounts").count == 0


def test_people_round_trip_unchanged(alice: Person, carol: Person, tmp_path: Path) -> None:
    again = import_run(
        actor=None, kind="people", path=export_to(tmp_path / "people.csv", "people"),
        source="generic",
    )  # fmt: skip
    assert again.errors == [], again.errors
    assert (again.created, again.updated) == (0, 0), again.as_dict()


def test_targets_round_trip_unchanged(alice: Person, team_north: Team, tmp_path: Path) -> None:
    q1 = period_parse("FY2026-Q1")
    alice_subject = Subject(kind="person", label="Alice", spec="", person_id=alice.pk)
    target_set(actor=None, kpi="revenue_won", subject=alice_subject, period=q1, value=Decimal("5"))
    odd = Period(kind=q1.kind, start=date(2026, 1, 15), end=date(2026, 2, 15), label="custom")
    target_set(actor=None, kpi="calls", subject=Subject.company(), period=odd, value=Decimal("90"))

    again = import_run(
        actor=None, kind="targets", path=export_to(tmp_path / "targets.csv", "targets"),
        source="generic",
    )  # fmt: skip

    assert again.errors == [], again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2), again.as_dict()


def test_native_deals_round_trip_unchanged(
    alice: Person, stages: dict[str, Stage], tmp_path: Path
) -> None:
    deal_create(
        actor=None,
        name="Made in Attain",
        owner=alice,
        amount=Decimal("10"),
        stage=stages["Proposal"],
        created_at=berlin(2026, 1, 5, 10),
    )
    again = import_run(
        actor=None, kind="deals", path=export_to(tmp_path / "deals.csv", "deals"),
        source="generic",
    )  # fmt: skip
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1), again.as_dict()


def test_xlsx_export_round_trips_too(
    alice: Person, carol: Person, stages: dict[str, Stage], tmp_path: Path
) -> None:
    first = import_run(actor=None, kind="deals", path=write(tmp_path / "deals.csv", DEALS))
    assert first.committed, first.errors
    path = tmp_path / "deals.xlsx"
    call_command("export", "deals", "--format", "xlsx", "-o", str(path), stderr=StringIO())

    again = import_run(actor=None, kind="deals", path=path, source="generic")

    assert again.errors == [], again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3), again.as_dict()
