"""Deals from Salesforce, HubSpot and Pipedrive load with the right stages, money and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from attain.crm.models import Deal, DealStageChange, DealStatus, Stage
from attain.importers.services import import_run
from attain.metrics.engine.rollups import rollup_verify
from tests.importers.conftest import HUBSPOT_DEALS, PIPEDRIVE_DEALS, SALESFORCE_DEALS

pytestmark = pytest.mark.django_db


def test_salesforce_report_creates_stages_and_deals(reps, usd_rate, write_csv):
    path = write_csv("sf.csv", SALESFORCE_DEALS)
    result = import_run(actor=None, kind="deals", path=path)
    assert result.errors == [], result.errors
    assert (result.source, result.created, result.rejected) == ("salesforce", 5, 0)
    assert result.committed and result.exit_code == 0
    assert any("created stages" in n for n in result.notes)
    won = Stage.objects.get(name="Closed Won")
    assert won.forecast_category == "closed_won"
    globex = Deal.objects.get(external_id="0065g00000AbCdE1")
    assert (globex.owner, globex.status, globex.amount) == (
        reps["alice"],
        DealStatus.WON,
        Decimal("12000.00"),
    )
    assert globex.closed_on == date(2026, 3, 15) and globex.created_on == date(2026, 1, 10)
    umbrella = Deal.objects.get(external_id="0065g00000AbCdE3")
    assert (umbrella.currency, umbrella.amount_base) == ("USD", Decimal("9000.00"))
    hooli = Deal.objects.get(external_id="0065g00000AbCdE4")
    assert (hooli.status, hooli.expected_close_date) == (DealStatus.OPEN, date(2026, 8, 30))
    assert DealStageChange.objects.count() == 5
    assert rollup_verify(samples=20, seed=1) == []


def test_hubspot_internal_stage_ids_map_to_labels(reps, write_csv):
    result = import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    assert result.errors == [] and result.source == "hubspot" and result.created == 4
    wayne = Deal.objects.get(external_id="9001", source_system="hubspot")
    assert wayne.stage.name == "Closed Won" and wayne.status == DealStatus.WON
    assert Deal.objects.get(external_id="9003").stage.name == "Contract Sent"


def test_pipedrive_status_closes_deal_at_won_time(reps, write_csv):
    result = import_run(actor=None, kind="deals", path=write_csv("pd.csv", PIPEDRIVE_DEALS))
    assert result.errors == [] and result.source == "pipedrive" and result.created == 4
    acme = Deal.objects.get(external_id="101", source_system="pipedrive")
    assert acme.status == DealStatus.WON and acme.closed_on == date(2026, 2, 5)
    soylent = Deal.objects.get(external_id="102")
    assert soylent.status == DealStatus.LOST and soylent.lost_reason == "Price too high"
    assert Deal.objects.get(external_id="103").status == DealStatus.OPEN


def test_salesforce_xlsx_reads_like_the_csv(reps, usd_rate, write_xlsx):
    result = import_run(actor=None, kind="deals", path=write_xlsx("sf.xlsx", SALESFORCE_DEALS))
    assert result.errors == [] and result.created == 5 and result.source == "salesforce"


def test_hubspot_xlsx_with_real_date_cells_on_a_named_sheet(reps, tmp_path):
    from datetime import datetime

    import xlsxwriter

    path = tmp_path / "hubspot.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Notes").write(0, 0, "exported by HubSpot")
    sheet = book.add_worksheet("Deals")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(HUBSPOT_DEALS):
        for c, value in enumerate(row):
            header = HUBSPOT_DEALS[0][c]
            if r and header in ("Create Date", "Close Date") and value:
                sheet.write_datetime(r, c, datetime.strptime(value, "%Y-%m-%d %H:%M"), stamp)
            elif r and header == "Amount":
                sheet.write_number(r, c, float(value))
            else:
                sheet.write(r, c, value)
    book.close()
    wrong = import_run(actor=None, kind="deals", path=path, sheet="Nope")
    assert wrong.exit_code == 2 and "Deals" in wrong.errors[0].reason
    result = import_run(actor=None, kind="deals", path=path, sheet="Deals")
    assert result.errors == [] and result.created == 4
    wayne = Deal.objects.get(external_id="9001")
    assert wayne.amount == Decimal("7000.00") and wayne.closed_on == date(2026, 5, 10)


def test_a_file_of_attain_field_names_is_generic_even_with_a_probability_column() -> None:
    """What `attain export deals` writes must import back as generic, not as Salesforce."""
    from attain.importers.sources import FIELDS, source_detect

    exported = [field.name for field in FIELDS["deals"]]
    assert "probability" in exported
    assert source_detect(exported) == "generic"
    assert source_detect(["Opportunity Name", "Opportunity Owner", "Probability (%)"]) == (
        "salesforce"
    )
