"""Maria, a manager, loads a Salesforce export in the browser: preview, dry run, import."""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from attain.crm.models import Deal
from attain.crm.services import exchange_rate_set
from attain.org.models import Person
from tests.conftest import PASSWORD
from tests.e2e.conftest import Screen
from tests.importers.conftest import SALESFORCE_DEALS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def private_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload lands under this test's own temp dir."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture
def export_file(tmp_path: Path, alice: Person, bob: Person, carol: Person) -> Path:
    """Salesforce's five opportunities, the third with an amount nobody can read."""
    exchange_rate_set(actor=None, currency="USD", valid_from=date(2025, 1, 1), rate=Decimal("0.9"))
    rows = [list(r) for r in SALESFORCE_DEALS]
    rows[3][5] = "about 10k"
    path = tmp_path / "Opportunities Q1.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_maria_previews_dry_runs_and_imports_a_salesforce_export(
    screen: Screen, maria: Person, export_file: Path
) -> None:
    page = screen.page
    screen.goto("/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="Imports")).to_be_visible()
    page.get_by_role("link", name="New import").click()
    page.get_by_label("What the file holds").select_option("deals")
    page.get_by_label("File", exact=True).set_input_files(str(export_file))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_text("Salesforce report export")).to_be_visible()
    expect(page.get_by_role("region", name="First rows of the file")).to_contain_text(
        "Globex expansion"
    )
    page.get_by_role("button", name="Dry run").click()

    result = page.locator("#result")
    expect(result).to_contain_text("Dry run: nothing was written")
    expect(result.get_by_role("row").filter(has_text="about 10k")).to_contain_text("not an amount")
    screen.shot("import-dry-run")
    assert Deal.objects.count() == 0

    page.get_by_label(re.compile("skip the bad ones")).check()
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/"))
    expect(page.get_by_text("Imported Opportunities Q1.csv: 4 created")).to_be_visible()
    expect(page.get_by_role("heading", name="Opportunities Q1.csv")).to_be_visible()
    expect(page.get_by_role("heading", name="Problems")).to_be_visible()
    expect(page.locator(".quality")).to_contain_text("Likely duplicate accounts")  # htmx-loaded
    screen.shot("import-run")
    assert Deal.objects.count() == 4
    assert screen.offsite_requests == []
    assert screen.console_errors == []
