"""Broken and awkward files: each problem names its row, column and value; nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from attain.crm.models import Deal, Stage
from attain.importers.results import ImportResult
from attain.importers.selectors import import_preview
from attain.importers.services import import_run
from tests.importers.conftest import HUBSPOT_DEALS, SALESFORCE_DEALS

pytestmark = pytest.mark.django_db


def _edit(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    copy = [list(r) for r in rows]
    copy[row - 1][copy[0].index(column)] = value
    return copy


def _problems(result: ImportResult) -> set[tuple[int, str, str, str]]:
    return {(e.row, e.column, e.value, e.reason) for e in result.errors}


def test_every_bad_cell_is_reported_with_its_row_and_nothing_is_written(reps, write_csv):
    rows = _edit(HUBSPOT_DEALS, 2, "Create Date", "31/31/2026")
    rows = _edit(rows, 2, "Amount", "12abc")
    rows = _edit(rows, 3, "Amount", "-300")
    rows = _edit(rows, 4, "Deal owner", "Nobody Known")
    rows = _edit(rows, 5, "Record ID", "9001")  # duplicate of row 2
    result = import_run(actor=None, kind="deals", path=write_csv("hs.csv", rows))
    problems = _problems(result)
    assert any(p[:3] == (2, "Create Date", "31/31/2026") and "not a date" in p[3] for p in problems)
    assert any(p[:3] == (2, "Amount", "12abc") and "not an amount" in p[3] for p in problems)
    assert (3, "Amount", "-300", "negative amount") in problems
    assert any(p[:3] == (4, "Deal owner", "Nobody Known") for p in problems)
    assert any(p[:3] == (5, "Record ID", "9001") and "row 2" in p[3] for p in problems)
    assert result.rejected == 4 and result.exit_code == 1 and not result.committed
    assert result.unmatched_owners == ["Nobody Known"]
    assert Deal.objects.count() == 0 and Stage.objects.count() == 0


def test_an_unknown_stage_is_a_row_error_once_deals_exist(reps, usd_rate, write_csv):
    import_run(actor=None, kind="deals", path=write_csv("a.csv", SALESFORCE_DEALS))
    rows = _edit(SALESFORCE_DEALS, 2, "Stage", "Signed")
    result = import_run(actor=None, kind="deals", path=write_csv("b.csv", rows))
    error = result.errors[0]
    assert (error.row, error.column, error.value) == (2, "Stage", "Signed")
    assert "unknown stage" in error.reason and "Closed Won" in error.reason


def test_closed_before_created_and_missing_close_date_are_rejected(reps, write_csv):
    rows = _edit(HUBSPOT_DEALS, 2, "Close Date", "2026-03-01 10:00")
    rows = _edit(rows, 3, "Close Date", "")
    result = import_run(actor=None, kind="deals", path=write_csv("hs.csv", rows))
    reasons = {e.row: e.reason for e in result.errors}
    assert "closed before it was created" in reasons[2]
    assert "needs a close date" in reasons[3]


def test_missing_owners_can_be_created(reps, write_csv):
    rows = _edit(HUBSPOT_DEALS, 4, "Deal owner", "Zoë Newcomer")
    result = import_run(
        actor=None, kind="deals", path=write_csv("hs.csv", rows), create_missing_people=True
    )
    assert result.rejected == 0 and result.created == 4
    deal = Deal.objects.get(external_id="9003")
    assert deal.owner.full_name == "Zoë Newcomer"
    assert any("created person Zoë Newcomer" in n for n in result.notes)


def test_owners_match_by_name_ignoring_case_and_accents(reps, write_csv):
    rows = _edit(HUBSPOT_DEALS, 2, "Deal owner", "  ÁLICE   rep ")
    rows = _edit(rows, 3, "Deal owner", "BOB@ACME.TEST")
    result = import_run(actor=None, kind="deals", path=write_csv("hs.csv", rows))
    assert result.errors == []
    assert Deal.objects.get(external_id="9001").owner == reps["alice"]
    assert Deal.objects.get(external_id="9002").owner == reps["bob"]


def test_latin1_semicolon_file_with_accents_is_read(reps, write_csv):
    rows = _edit(HUBSPOT_DEALS, 2, "Deal Name", "Société Générale – Bürgschaft")
    rows = [[c.replace("–", "-") for c in r] for r in rows]
    path = write_csv("latin.csv", rows, encoding="cp1252", delimiter=";")
    result = import_run(actor=None, kind="deals", path=path)
    assert result.errors == [] and result.created == 4
    assert Deal.objects.get(external_id="9001").name == "Société Générale - Bürgschaft"


def test_utf8_bom_tab_delimited_with_quoted_newlines_and_blank_lines(reps, tmp_path):
    lines = ["\t".join(HUBSPOT_DEALS[0])]
    for row in HUBSPOT_DEALS[1:]:
        cells = list(row)
        cells[1] = f'"{cells[1]}\nsecond line"'
        lines.append("\t".join(cells))
    path = tmp_path / "bom.tsv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n\r\n\t\t\r\n").encode("utf-8"))
    result = import_run(actor=None, kind="deals", path=path)
    assert result.errors == [] and result.created == 4 and result.source == "hubspot"
    assert Deal.objects.get(external_id="9004").name == "Tyrell deal\nsecond line"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "binary"),
        (b"PK\x03\x04garbage that is not a workbook", "not a readable XLSX"),
    ],
)
def test_unreadable_files_exit_2_with_a_reason(reps, tmp_path, content, reason):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    result = import_run(actor=None, kind="deals", path=path)
    assert result.exit_code == 2 and result.unreadable and not result.committed
    assert reason in result.errors[0].reason and result.errors[0].row == 0
    assert Deal.objects.count() == 0


def test_a_file_with_only_headers_imports_nothing(reps, write_csv):
    result = import_run(actor=None, kind="deals", path=write_csv("h.csv", HUBSPOT_DEALS[:1]))
    assert (result.rows, result.created, result.rejected, result.exit_code) == (0, 0, 0, 0)


def test_a_missing_required_column_names_it(reps, write_csv):
    rows = [r[:2] + r[3:] for r in HUBSPOT_DEALS]  # no "Deal Stage"
    result = import_run(actor=None, kind="deals", path=write_csv("h.csv", rows))
    assert result.exit_code == 2
    assert result.errors[0].row == 1 and result.errors[0].column == "stage"
    assert "Deal Stage" in result.errors[0].reason


def test_a_missing_file_is_unreadable(reps, tmp_path: Path):
    result = import_run(actor=None, kind="deals", path=tmp_path / "nope.csv")
    assert result.exit_code == 2 and "cannot open" in result.errors[0].reason


def test_preview_shows_source_mapping_and_first_rows(reps, write_csv):
    preview = import_preview(kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS), rows=2)
    assert preview.source == "hubspot"
    assert preview.mapping["owner"] == "Deal owner" and preview.mapping["stage"] == "Deal Stage"
    assert [r["Record ID"] for r in preview.rows] == ["9001", "9002"]
    assert preview.missing_required == [] and preview.problems == []
    salesforce = import_preview(kind="deals", path=write_csv("sf.csv", SALESFORCE_DEALS))
    assert salesforce.source == "salesforce" and salesforce.unmapped_headers == ["Fiscal Period"]


def test_an_explicit_column_mapping_wins(reps, write_csv):
    rows = [list(r) for r in HUBSPOT_DEALS]
    rows[0][rows[0].index("Deal owner")] = "Sales Person"
    result = import_run(
        actor=None, kind="deals", path=write_csv("hs.csv", rows), mapping={"owner": "sales person"}
    )
    assert result.errors == [] and result.mapping["owner"] == "Sales Person"
