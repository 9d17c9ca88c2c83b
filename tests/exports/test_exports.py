"""Exports: generic-format columns, period filters, both file formats, and who may export what."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from python_calamine import CalamineWorkbook

from attain.crm.models import Stage
from attain.crm.services import account_create, activity_log, deal_create
from attain.exports.selectors import export_columns
from attain.metrics.engine.subjects import Subject
from attain.metrics.services import target_set
from attain.org.models import Person, Team
from attain.org.selectors import period_parse
from tests.conftest import PASSWORD, berlin


@pytest.fixture
def book(
    alice: Person, bob: Person, carol: Person, team_north: Team, stages: dict[str, Stage]
) -> dict[str, int]:
    """Deals and activities for alice and bob (North, under maria) and carol (South, under sam)."""
    acme = account_create(actor=None, name="Acme, Inc.", industry="Retail", owner=alice)
    won = deal_create(
        actor=None,
        name="Acme – rollout",
        owner=alice,
        account=acme,
        amount=Decimal("12000.50"),
        stage=stages["Won"],
        created_at=berlin(2026, 1, 10, 9, 30),
        closed_at=berlin(2026, 2, 3, 16, 0),
        lead_source="Website",
        external_id="SF-001",
        source_system="generic",
    )
    deal_create(
        actor=None,
        name="Bob's open deal",
        owner=bob,
        amount=Decimal("500"),
        stage=stages["Proposal"],
        created_at=berlin(2026, 4, 2, 9, 0),
        expected_close_date=berlin(2026, 6, 30, 0).date(),
    )
    deal_create(
        actor=None,
        name="Carol's deal",
        owner=carol,
        amount=Decimal("7"),
        stage=stages["Qualification"],
        created_at=berlin(2026, 1, 20, 9, 0),
    )
    activity_log(
        actor=None,
        kind="call",
        owner=alice,
        occurred_at=berlin(2026, 1, 12, 10, 0),
        deal=won,
        account=acme,
        outcome="connected",
        duration_minutes=15,
        subject="Kick-off",
    )
    activity_log(actor=None, kind="email", owner=carol, occurred_at=berlin(2026, 5, 1, 8, 0))
    q1 = period_parse("FY2026-Q1")
    target_set(
        actor=None,
        kpi="revenue_won",
        subject=Subject(kind="person", label="Alice", spec="", person_id=alice.pk),
        period=q1,
        value=Decimal("50000"),
    )
    target_set(
        actor=None,
        kpi="revenue_won",
        subject=Subject(kind="team", label="North", spec="", team_id=team_north.pk),
        period=q1,
        value=Decimal("90000"),
    )
    return {"won": won.pk}


def export(*args: str) -> list[dict[str, str]]:
    out = StringIO()
    call_command("export", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_deals_export_uses_the_generic_columns_and_plain_values(book: dict[str, int]) -> None:
    rows = export("deals")

    assert list(rows[0]) == export_columns("deals")
    won = next(r for r in rows if r["external_id"] == "SF-001")
    assert won["name"] == "Acme – rollout"
    assert won["owner"] == "alice@acme.test"
    assert won["amount"] == "12000.50"
    assert won["currency"] == "EUR"
    assert won["stage"] == "Won"
    assert won["status"] == "won"
    assert won["created_at"] == "2026-01-10T09:30:00+0100"
    assert won["close_date"] == "2026-02-03T16:00:00+0100"
    assert won["account"] == "Acme, Inc."
    assert won["pipeline"] == "Sales"
    open_deal = next(r for r in rows if r["name"] == "Bob's open deal")
    assert open_deal["close_date"] == "2026-06-30"  # expected close date while open
    assert open_deal["external_id"].startswith("attain-")


def test_period_filters_deals_by_created_or_closed_date(book: dict[str, int]) -> None:
    names = {r["name"] for r in export("deals", "--period", "2026-02-01..2026-02-28")}
    assert names == {"Acme – rollout"}  # closed in February, created in January
    names = {r["name"] for r in export("deals", "--period", "FY2026-Q1")}
    assert names == {"Acme – rollout", "Carol's deal"}


def test_activities_export_links_the_deal_by_its_external_id(book: dict[str, int]) -> None:
    rows = export("activities", "--period", "FY2026-Q1")

    assert len(rows) == 1
    assert rows[0]["kind"] == "call"
    assert rows[0]["deal"] == "SF-001"
    assert rows[0]["occurred_at"] == "2026-01-12T10:00:00+0100"
    assert rows[0]["duration_minutes"] == "15"


def test_targets_export_names_subject_and_period(book: dict[str, int]) -> None:
    rows = export("targets")

    assert {(r["subject"], r["period"], r["value"]) for r in rows} == {
        ("alice@acme.test", "FY2026-Q1", "50000.00"),
        ("North", "FY2026-Q1", "90000.00"),
    }


def test_accounts_and_people_have_no_period(book: dict[str, int]) -> None:
    assert [r["name"] for r in export("accounts")] == ["Acme, Inc."]
    assert "alice@acme.test" in {r["email"] for r in export("people")}
    with pytest.raises(CommandError, match="accounts are exported whole"):
        export("accounts", "--period", "FY2026")


def test_bad_period_is_a_clear_error(book: dict[str, int]) -> None:
    with pytest.raises(CommandError, match="--period"):
        export("deals", "--period", "someday")


def test_xlsx_export_reads_back_as_the_csv(book: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "deals.xlsx"
    call_command("export", "deals", "--format", "xlsx", "--output", str(path), stdout=StringIO())

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("deals").to_python()
    header, *data = sheet
    as_csv = export("deals")
    assert header == export_columns("deals")
    assert [dict(zip(header, row, strict=True)) for row in data] == as_csv


def test_xlsx_needs_an_output_file(book: dict[str, int]) -> None:
    with pytest.raises(CommandError, match="needs --output"):
        call_command("export", "deals", "--format", "xlsx", stdout=StringIO())


def test_csv_to_file(book: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    call_command("export", "deals", "-o", str(path), stdout=StringIO(), stderr=StringIO())
    assert len(list(csv.DictReader(path.open(encoding="utf-8")))) == 3


# ------------------------------------------------------------------ the download view


def download(user: User | None, url: str) -> tuple[int, list[dict[str, str]]]:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if response.status_code != 200 or not url.split("?")[0].endswith(".csv"):
        return response.status_code, []
    text = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    return 200, list(csv.DictReader(io.StringIO(text)))


def owners(rows: list[dict[str, str]]) -> set[str]:
    return {r["owner"] for r in rows}


def test_rep_downloads_only_their_own_deals(book: dict[str, int], alice: Person) -> None:
    status, rows = download(alice.user, "/export/deals.csv")
    assert status == 200
    assert owners(rows) == {"alice@acme.test"}


def test_manager_downloads_their_team(book: dict[str, int], maria: Person) -> None:
    _, rows = download(maria.user, "/export/deals.csv")
    assert owners(rows) == {"alice@acme.test", "bob@acme.test"}
    _, targets = download(maria.user, "/export/targets.csv")
    assert {r["subject"] for r in targets} == {"alice@acme.test", "North"}


def test_other_manager_sees_nothing_of_north(book: dict[str, int], sam: Person) -> None:
    _, rows = download(sam.user, "/export/deals.csv")
    assert owners(rows) == {"carol@acme.test"}
    _, accounts = download(sam.user, "/export/accounts.csv")
    assert accounts == []


def test_executive_downloads_everything(book: dict[str, int], eve: Person) -> None:
    _, rows = download(eve.user, "/export/deals.csv?period=FY2026")
    assert len(rows) == 3


def test_finance_downloads_only_their_own_like_every_page(
    book: dict[str, int], frank: Person
) -> None:
    """The scope is the shared access layer's: finance sees its own records until pay arrives."""
    status, rows = download(frank.user, "/export/deals.csv")
    assert status == 200
    assert rows == []


def test_list_pages_offer_the_export(book: dict[str, int], maria: Person) -> None:
    client = Client()
    client.force_login(maria.user)  # type: ignore[arg-type]
    page = client.get("/pipeline/").content.decode()
    assert 'href="/export/deals.csv"' in page and 'href="/export/deals.xlsx"' in page
    records = client.get(
        "/records/", {"kpi": "revenue_won", "period": "FY2026", "subject": "team:North"}
    ).content.decode()
    assert 'href="/export/deals.csv?period=FY2026"' in records


def test_download_xlsx_is_a_workbook(book: dict[str, int], eve: Person) -> None:
    client = Client()
    client.force_login(eve.user)  # type: ignore[arg-type]
    response = client.get("/export/activities.xlsx?period=FY2026")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="attain-activities-FY2026.xlsx"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert len(rows) == 3  # header + 2 activities


def test_download_needs_login_and_known_kind(book: dict[str, int], eve: Person) -> None:
    assert Client().get("/export/deals.csv").status_code == 302
    assert download(eve.user, "/export/stages.csv")[0] == 404
    assert download(eve.user, "/export/deals.pdf")[0] == 404
    assert download(eve.user, "/export/deals.csv?period=someday")[0] == 400
    assert download(eve.user, "/export/people.csv?period=FY2026")[0] == 400


def test_login_without_person_is_forbidden(book: dict[str, int], db: None) -> None:
    stranger = User.objects.create_user("stranger", password=PASSWORD)
    assert download(stranger, "/export/deals.csv")[0] == 403
